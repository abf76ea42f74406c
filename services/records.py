"""The relevés of R-8.2 as signed PDF documents, issued for any past date and checkable by anyone.

- the relevé intégral (the holder and the authorities of L225-4): balance, ceiling, infractions,
  letters, stages, obligations, suspensions;
- the relevé restreint (those of L225-5: an employer, an insurer): existence, validity, suspensions,
  never a point (L223-7).

A relevé states the licence *as of* a legal date *as known at* that date (R-9.1): the record a
holder was given on D is issued again, identically and with the same verification code, on any
later day. Its code signs that claim and the digest of its content (`services.documents.signing`);
checking a code states the relevé again from the register: nothing is stored when one is issued.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from domain.errors import LawNotInForce
from domain.law import Law
from domain.licence import Licence, licence_id
from domain.view import licence_view, restricted_record
from services.documents import pdf
from services.documents.signing import Claim, MalformedCode, Signer, claim_of, content_digest
from services.licensing import Licensing, UnknownLicence, UsageError
from services.web import labels
from services.web.letters import ISSUER, holder_of


class RecordKind(StrEnum):
    """The two relevés of R-8.2."""

    INTEGRAL = "integral"
    RESTRICTED = "restricted"


TITLES = {
    RecordKind.INTEGRAL: "Relevé d'information intégral",
    RecordKind.RESTRICTED: "Relevé d'information restreint",
}

REFUSED = (
    "Ce code ne correspond à aucun relevé délivré par le service : le document est faux, "
    "ou son code a été mal recopié."
)
MALFORMED = "Ce texte n'a pas la forme d'un code de vérification (8 groupes de 5 caractères)."


@dataclass(frozen=True)
class Record:
    """A relevé: what it claims to be, what it says, and its verification code."""

    claim: Claim
    content: dict[str, Any]
    code: str

    @property
    def kind(self) -> RecordKind:
        return RecordKind(self.claim.kind)

    @property
    def title(self) -> str:
        return TITLES[self.kind]


@dataclass(frozen=True)
class Verification:
    """The answer to a code: genuine, with what the relevé said; or refused, with why."""

    genuine: bool
    record: Record | None
    message: str


def content_of(
    licence: Licence, law: Law, kind: RecordKind, as_of: date, known_at: date
) -> dict[str, Any]:
    """What the relevé of `kind` says: the licence view as of `as_of` as known at `known_at`,
    cut to what its readers may see (R-8.2). JSON values only: its digest is signed."""
    try:
        state = licence.state(law, as_of, known_at)
    except LawNotInForce:
        raise UnknownLicence(licence.neph, f" on {as_of}") from None
    if not state.issued:
        raise UnknownLicence(licence.neph, f" on {as_of} as known at {known_at}")
    view = licence_view(state)
    common = {
        "kind": str(kind),
        "neph": licence.neph,
        "as_of": as_of.isoformat(),
        "known_at": known_at.isoformat(),
        "holder": holder_of(licence),
        "suspensions": _items(view.get("suspensions", []), SUSPENSION),
    }
    if kind == RecordKind.RESTRICTED:  # what lets its readers see, never a point (L223-7)
        restricted = restricted_record(view)
        return {**{name: restricted[name] for name in RESTRICTED}, **common}
    stages = [
        {**item, "refused": stage["refusal"] is not None}
        for stage, item in zip(view["stages"], _items(view["stages"], STAGE), strict=True)
    ]
    return {
        **common,
        "status": view["status"],
        "valid": view["status"] == "valid",
        "issued_on": view["issued_on"],
        "route": view["route"],
        "probationary": view["probationary"],
        "probation_ends_on": view["probation_ends_on"],
        "balance": view["balance"],
        "ceiling": view["ceiling"],
        "infractions": [
            # A cancelled one says so; the key only then, so that the relevés of licences
            # without a cancellation state what they stated before it existed.
            {**item, "cancelled_on": i["cancelled_on"]} if i.get("cancelled_on") else item
            for i, item in zip(
                view["infractions"], _items(view["infractions"], INFRACTION), strict=True
            )
        ],
        "letters": _items(view["letters"], LETTER),
        "stages": stages,
        "obligations": _items(view["obligations"], OBLIGATION),
        "new_licence_possible_on": view["new_licence_possible_on"],
    }


# What a relevé states of each item: named here, not taken whole from the view, so that a field
# the view gains later (CONTRACT §4 welcomes them) never changes what a relevé issued before said,
# nor its code. A stage's refusal is stated as a fact, not in the engine's wording, for the same
# reason.
RESTRICTED = ("neph", "as_of", "status", "valid", "issued_on", "probationary")
INFRACTION = (
    "offence",
    "class",
    "committed_on",
    "established_on",
    "decided_on",
    "points_withdrawn",
)
LETTER = ("type", "sent_on", "delivered_on")
STAGE = ("kind", "first_day", "last_day", "attestation_received_on", "points_credited")
OBLIGATION = ("kind", "due_on", "status")
SUSPENSION = ("kind", "first_day", "last_day")


def _items(items: list[dict[str, Any]], fields: tuple[str, ...]) -> list[dict[str, Any]]:
    return [{name: item.get(name) for name in fields} for item in items]


class Records:
    """Issuing and checking relevés on the store of `service`, signed with the service's secret."""

    def __init__(self, service: Licensing, secret: bytes, public_url: str) -> None:
        self.service = service
        self.signer = Signer(secret)
        self.public_url = public_url.rstrip("/")

    def issue(self, neph: str, kind: RecordKind, as_of: date | None = None) -> Record:
        """The relevé as of `as_of` (default: the clock), as known at that date (R-9.1)."""
        clock = self.service.clock()
        if as_of is not None and clock is not None and as_of > clock:
            raise UsageError(f"--as-of {as_of} is later than the clock ({clock})")
        licence = self.service.licence(neph)
        on = as_of or clock or licence.last_recorded_on
        claim = Claim(str(kind), neph, on, on)
        content = content_of(licence, self.service.law, kind, on, on)
        return Record(claim, content, self.signer.code(claim, content_digest(content)))

    def verify(self, code: str) -> Verification:
        """Genuine when the register, stated again for the code's claim, gives the content the
        code signs; the same refusal for a forged code, a tampered one or an unknown NEPH."""
        try:
            claim = claim_of(code)
        except MalformedCode:
            return Verification(False, None, MALFORMED)
        if claim.kind not in set(RecordKind):
            return Verification(False, None, REFUSED)
        kind = RecordKind(claim.kind)
        try:
            for licence in self._as_known(claim):
                content = content_of(licence, self.service.law, kind, claim.as_of, claim.known_at)
                if self.signer.matches(code, claim, content_digest(content)):
                    record = Record(
                        claim, content, self.signer.code(claim, content_digest(content))
                    )
                    return Verification(True, record, "Relevé authentique.")
        except UnknownLicence:
            pass
        return Verification(False, None, REFUSED)

    def _as_known(self, claim: Claim) -> list[Licence]:
        """The licence, then as it stood at each event recorded on the code's knowledge date: a
        relevé issued that day, before lines recorded later the same day, said what it said then
        (R-9.1 keeps days; the events keep their order within a day)."""
        licence = self.service.licence(claim.neph)
        found = [licence]
        day = claim.known_at.isoformat()
        positions = [
            e["position"] for e in self.service.audit(claim.neph) if e["recorded_on"] == day
        ]
        if not positions:
            return found
        versions = sorted({positions[0], *(p + 1 for p in positions)} - {0, licence.version})
        repository = self.service.store.repository
        found += [repository.get(licence_id(claim.neph), version=v) for v in versions]
        return found

    def html(self, record: Record) -> str:
        """The relevé as the HTML its PDF prints (the tests read it too)."""
        return record_html(record, self.public_url)

    def pdf(self, record: Record) -> bytes:
        """The relevé as an A4 PDF: the same bytes whenever the same relevé is issued."""
        return pdf.pdf_of(self.html(record))


def record_html(record: Record, public_url: str) -> str:
    """The relevé as HTML for its PDF: its content, its code and the QR code of its check."""
    return pdf.document_html(
        "releve.html",
        title=record.title,
        issuer=ISSUER,
        created=record.claim.known_at,
        code=record.code,
        verify_page=f"{public_url}/verifier",
        content=record.content,
        labels=labels,
    )


def filename(record: Record) -> str:
    """A download's file name: kind, NEPH and date."""
    kind = "integral" if record.kind == RecordKind.INTEGRAL else "restreint"
    return f"releve-{kind}-{record.claim.neph}-{record.claim.as_of.isoformat()}.pdf"
