"""An instruction desk for domain tests: drives one Licence aggregate in memory, no I/O.

Each command first applies the effects due on its date (R-0.5), as `permis import` does.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from domain.law import current_law
from domain.licence import Context, Licence
from domain.policy import Policy
from domain.state import LicenceState
from domain.view import licence_view


def d(text: str) -> date:
    return date.fromisoformat(text)


class Desk:
    def __init__(self, neph: str = "100000000001", policy: Policy | None = None) -> None:
        self.neph = neph
        self.law = current_law()
        self.policy = policy or Policy()
        self.licence: Licence | None = None
        self.clock: date | None = None

    def _ctx(self, at: str, command_id: str | None = None) -> Context:
        return Context(d(at), command_id or f"cmd-{at}", self.law, self.policy)

    def _at(self, at: str) -> Licence:
        self.tick(at)
        assert self.licence is not None
        return self.licence

    def tick(self, to: str) -> None:
        self.clock = d(to)
        if self.licence is not None:
            self.licence.advance(self._ctx(to), d(to))

    def issue(
        self,
        at: str,
        issued_on: str,
        route: str = "traditional",
        probationary: bool = True,
        points: int = 12,
    ) -> None:
        if self.licence is None:
            self.clock = d(at)
            self.licence = Licence.issue(
                self._ctx(at), self.neph, d(issued_on), route, probationary, points, None
            )
            self.tick(at)
        else:
            self._at(at).reissue(self._ctx(at), d(issued_on), route, probationary)
            self.tick(at)  # effects the line made due apply the same day, as in import

    def training(self, at: str, completed_on: str) -> None:
        self._at(at).complete_training(self._ctx(at), d(completed_on))
        self.tick(at)  # effects the line made due apply the same day, as in import

    def record(
        self,
        at: str,
        infraction_id: str,
        offence: str,
        committed_on: str,
        occasion: str | None = None,
        offence_class: str | None = None,
        points: int | None = None,
    ) -> None:
        self._at(at).record_infraction(
            self._ctx(at), infraction_id, offence, d(committed_on), occasion, offence_class, points
        )
        self.tick(at)  # effects the line made due apply the same day, as in import

    def establish(
        self, at: str, infraction_id: str, established_on: str, basis: str = "fine_paid"
    ) -> None:
        self._at(at).establish(self._ctx(at), infraction_id, d(established_on), basis)
        self.tick(at)  # effects the line made due apply the same day, as in import

    def infraction(
        self,
        committed_on: str,
        at: str,
        offence: str = "red_light",
        iid: str | None = None,
        occasion: str | None = None,
    ) -> str:
        """Record and establish at once: committed, established on `at`, decided on `at`."""
        iid = iid or f"i-{committed_on}-{offence}"
        self.record(at, iid, offence, committed_on, occasion)
        self.establish(at, iid, at)
        return iid

    def deliver(self, at: str, letter: str, delivered_on: str | None = None) -> None:
        self._at(at).acknowledge_delivery(self._ctx(at), letter, d(delivered_on or at))
        self.tick(at)  # effects the line made due apply the same day, as in import

    def stage(
        self,
        at: str,
        stage_id: str,
        first_day: str,
        kind: str = "voluntary",
        centre: str | None = "CENTRE-1",
    ) -> None:
        first = d(first_day)
        last = date.fromordinal(first.toordinal() + 1)
        self._at(at).complete_stage(self._ctx(at), stage_id, kind, first, last, centre)
        self.tick(at)  # effects the line made due apply the same day, as in import

    def attest(self, at: str, stage_id: str, received_on: str | None = None) -> None:
        self._at(at).receive_attestation(self._ctx(at), stage_id, d(received_on or at))
        self.tick(at)  # effects the line made due apply the same day, as in import

    def give_back(self, at: str, returned_on: str | None = None) -> None:
        self._at(at).return_licence(self._ctx(at), d(returned_on or at))
        self.tick(at)  # effects the line made due apply the same day, as in import

    def cancel(
        self,
        at: str,
        infraction_id: str,
        cancelled_on: str | None = None,
        ground: str = "acquittal",
        reference: str | None = None,
    ) -> None:
        self._at(at).cancel_infraction(
            self._ctx(at), infraction_id, d(cancelled_on or at), ground, reference
        )
        self.tick(at)  # effects the line made due apply the same day, as in import

    def suspend(
        self, at: str, kind: str, first_day: str, last_day: str, reference: str | None = None
    ) -> None:
        self._at(at).record_suspension(self._ctx(at), kind, d(first_day), d(last_day), reference)
        self.tick(at)

    def lift(self, at: str, lifted_on: str | None = None, kind: str | None = None) -> None:
        self._at(at).lift_suspension(self._ctx(at), d(lifted_on or at), kind)
        self.tick(at)

    def state(self, as_of: str | None = None, known_at: str | None = None) -> LicenceState:
        assert self.licence is not None and self.clock is not None
        return self.licence.state(
            self.law, d(as_of) if as_of else self.clock, d(known_at) if known_at else None
        )

    def view(self, as_of: str | None = None, known_at: str | None = None) -> dict[str, Any]:
        return licence_view(self.state(as_of, known_at))

    def balance(self, on: str | None = None) -> int:
        if on is not None and (self.clock is None or d(on) > self.clock):
            self.tick(on)
        return self.state(on).balance

    def letters(self) -> list[str]:
        return [x["type"] for x in self.view()["letters"]]

    def events(self, name: str) -> list[Any]:
        assert self.licence is not None
        return [e for e in self.licence.history if type(e).__name__ == name]
