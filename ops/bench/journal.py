"""A realistic journal for benchmarks: N licences over Y years of national traffic, seeded.

The mix follows the national figures: ONISR 2024 counts 6.3 M infractions with a withdrawal for
about 48 M licences, so about 0.13 a licence a year, with a heavy-tailed risk (most drivers lose
nothing, a few repeat offenders reach invalidation) and young drivers twice as exposed. About 2 % of
licences are new each year. The offence mix leans on small speeding excesses, then phone, belt, red
lights and alcohol.

Each licence is simulated on its own, with a simplified model of its balance (R-1.4, R-1.5, R-3.1,
R-4.1, R-4.2, R-5.3), to predict which registered letter a withdrawal sends and so emit the
`letter.delivered` lines that follow, the mandatory stages after a 48N, voluntary ones after a 48M,
and the return (then, sometimes, a new licence) after a 48SI. The model ignores the finer rules
(late knowledge, the 10-year restoration, annulments), so a few acknowledgements may be refused by
the real engine: the benchmark reports them. Lines come out sorted by `at`, each licence's lines in
causal order.

    generate(licences=10_000, years=10, seed=1) -> Iterator[dict]   # journal lines (CONTRACT §1)
"""

from __future__ import annotations

import bisect
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from domain.calendar import add_months, add_years
from domain.law import Law, current_law

START = date(2016, 1, 4)
INFRACTIONS_PER_LICENCE_YEAR = 6.3 / 48  # ONISR 2024: infractions with withdrawal / licences
NEW_LICENCES_PER_YEAR = 0.02  # about 1 M first licences a year for 48 M
YOUNG_RISK = 1.7  # a probationary driver's exposure relative to the mean
RISK_SHAPE = 2.0  # gamma shape of individual risk (mean 1): most lose nothing, a few lose a lot

# Relative frequency of offences among infractions with a withdrawal (catalogue keys).
OFFENCE_MIX: dict[str, float] = {
    "speeding_5_20_over50": 34.0,
    "speeding_5_20_upto50": 16.0,
    "speeding_lt5_over50": 3.0,
    "speeding_lt5_upto50": 2.0,
    "speeding_20_30": 7.0,
    "speeding_30_40": 2.0,
    "speeding_40_50": 0.8,
    "speeding_50_plus": 0.5,
    "phone_handheld": 8.0,
    "seat_belt": 3.0,
    "red_light": 4.0,
    "stop_sign": 2.0,
    "give_way": 0.6,
    "priority": 0.5,
    "pedestrian_priority": 0.6,
    "continuous_line_crossing": 2.0,
    "continuous_line_straddling": 0.5,
    "safety_distance": 0.8,
    "dangerous_overtaking": 0.7,
    "no_indicator": 0.4,
    "helmet": 0.5,
    "hard_shoulder": 0.2,
    "alcohol_contravention": 2.2,
    "alcohol_delit": 2.0,
    "alcohol_test_refusal": 0.3,
    "drugs": 1.6,
    "drugs_and_alcohol": 0.3,
    "driving_while_suspended": 0.2,
    "refusal_to_stop": 0.3,
    "hit_and_run": 0.1,
    "screen_in_view": 0.2,
}
COMPANIONS = ("phone_handheld", "seat_belt", "speeding_20_30", "red_light", "alcohol_contravention")
SAME_OCCASION = 0.04  # share of infractions reported with another one of the same occasion
ROUTES = (("traditional", 0.55), ("aac", 0.30), ("supervised", 0.15))
SURNAMES = (
    "Martin",
    "Bernard",
    "Thomas",
    "Petit",
    "Robert",
    "Richard",
    "Durand",
    "Dubois",
    "Moreau",
    "Laurent",
    "Simon",
    "Michel",
    "Lefebvre",
    "Leroy",
    "Roux",
    "David",
)
GIVEN = (
    "Camille",
    "Léa",
    "Hugo",
    "Louis",
    "Manon",
    "Chloé",
    "Lucas",
    "Inès",
    "Jules",
    "Emma",
    "Nathan",
    "Sarah",
    "Paul",
    "Claire",
    "Marc",
    "Sophie",
)
SERIOUS = frozenset({"C4", "C5", "D"})


@dataclass
class _Withdrawal:
    committed_on: date
    established_on: date
    points: int
    serious: bool
    restored: bool = False


@dataclass
class _Balance:
    """The simplified balance of one licence, moved forward in time between decisions."""

    law: Law
    issued_on: date
    route: str
    probationary: bool
    balance: int
    training_on: date | None = None
    first_licence: bool = True
    gains: int = 0
    clock: date = date.min
    withdrawals: list[_Withdrawal] = field(default_factory=list)
    full_since: int = 0  # index of the first withdrawal after the last full restoration
    credits: list[tuple[date, int]] = field(default_factory=list)  # (effective on, max points)
    last_stage_first_day: date | None = None

    @property
    def ceiling(self) -> int:
        return 6 + self.gains if self.probationary else 12

    def probation_end(self) -> date:
        normal = add_years(self.issued_on, self.law.value(f"probation_years_{self.route}", START))
        if self.first_licence and self.training_on and self.training_on >= date(2019, 1, 1):
            months = self.law.value(
                f"training_short_probation_months_{self.route}", self.training_on
            )
            short = add_months(self.issued_on, months)
            if not self._committed_between(self.issued_on, short):
                return short
        return normal

    def _committed_between(self, start: date, end: date, skip: int = -1) -> bool:
        return any(
            start <= w.committed_on < end for i, w in enumerate(self.withdrawals) if i != skip
        )

    def _add(self, points: int) -> None:
        self.balance = max(0, min(self.ceiling, self.balance + points))

    def advance(self, to: date) -> None:
        """Apply, in date order, the gains, restorations and stage credits due by `to`."""
        while True:
            due = self._next(to)
            if due is None:
                self.clock = to
                return
            on, apply = due
            apply()
            self.clock = on

    def _next(self, to: date) -> tuple[date, Any] | None:
        candidates: list[tuple[date, Any]] = []
        if self.probationary:
            end = self.probation_end()
            candidates.append((end, self._end_probation))
            anniversary = add_years(self.issued_on, self.gains_count + 1)
            if anniversary < end and not self._committed_between(self.issued_on, anniversary):
                candidates.append((anniversary, self._gain))
        for i, w in enumerate(self.withdrawals):
            if w.points == 1 and not w.restored:
                due = add_months(w.established_on, 6)
                if not self._committed_between(w.established_on, due, skip=i):
                    candidates.append((due, lambda w=w: self._restore_one(w)))
        since = self.withdrawals[self.full_since :]
        if since:
            last = max(w.established_on for w in since)
            due = add_years(last, 3 if any(w.serious for w in since) else 2)
            if self.probationary:
                due = max(due, self.probation_end())
            if not self._committed_between(last, due):
                candidates.append((due, self._restore_full))
        for credit in self.credits:
            candidates.append((credit[0], lambda c=credit: self._credit(c)))
        if not candidates:
            return None
        on, apply = min(candidates, key=lambda c: c[0])
        return (on, apply) if on <= to else None

    @property
    def gains_count(self) -> int:
        return self.gains // self.law.value(f"probation_yearly_gain_{self.route}", START)

    def _gain(self) -> None:
        self.gains += self.law.value(f"probation_yearly_gain_{self.route}", START)
        self._add(self.law.value(f"probation_yearly_gain_{self.route}", START))

    def _end_probation(self) -> None:
        clean = not self._committed_between(self.issued_on, date.max)
        self.probationary = False
        if clean:
            self.balance = 12

    def _restore_one(self, w: _Withdrawal) -> None:
        w.restored = True
        self._add(1)

    def _restore_full(self) -> None:
        self.full_since = len(self.withdrawals)
        self.balance = self.ceiling

    def _credit(self, credit: tuple[date, int]) -> None:
        self.credits.remove(credit)
        self._add(credit[1])

    def withdraw(self, committed_on: date, established_on: date, points: int, cls: str) -> None:
        self.withdrawals.append(_Withdrawal(committed_on, established_on, points, cls in SERIOUS))
        self.balance = max(0, self.balance - points)


class _Licence:
    """One licence's lines, in causal order, with the dates its holder acts on."""

    def __init__(self, gen: _Generator, number: int) -> None:
        self.gen = gen
        self.neph = f"{gen.rng.randint(1, 95):02d}{number:010d}"
        self.count = 0
        self.infractions = 0
        self.stages = 0
        self.occasions = 0

    def line(self, at: date, line_type: str, /, **fields: Any) -> None:
        self.count += 1
        body = {
            "id": f"{self.neph}-{self.count:04d}",
            "at": at.isoformat(),
            "type": line_type,
            "neph": self.neph,
        }
        body.update({k: v.isoformat() if isinstance(v, date) else v for k, v in fields.items()})
        self.gen.emit(at, body)


class _Generator:
    def __init__(self, licences: int, years: int, seed: int, start: date) -> None:
        self.rng = random.Random(seed)
        self.law = current_law()
        self.licences = licences
        self.start = start
        self.end = add_years(start, years)
        self.lines: list[tuple[date, int, dict[str, Any]]] = []
        self.seq = 0
        keys = list(OFFENCE_MIX)
        weights = [OFFENCE_MIX[k] for k in keys]
        self.offences = keys
        self.cumulative = [sum(weights[: i + 1]) for i in range(len(weights))]

    def emit(self, at: date, body: dict[str, Any]) -> None:
        if at <= self.end:
            self.seq += 1
            self.lines.append((at, self.seq, body))

    def days(self, low: int, high: int) -> timedelta:
        return timedelta(days=self.rng.randint(low, high))

    def offence(self) -> str:
        x = self.rng.random() * self.cumulative[-1]
        return self.offences[bisect.bisect(self.cumulative, x)]

    def route(self) -> str:
        x = self.rng.random()
        for route, share in ROUTES:
            x -= share
            if x < 0:
                return route
        return ROUTES[0][0]

    def holder(self, born: date) -> dict[str, str]:
        return {
            "surname": self.rng.choice(SURNAMES),
            "given_names": self.rng.choice(GIVEN),
            "birth_date": born.isoformat(),
        }

    def run(self) -> Iterator[dict[str, Any]]:
        span = (self.end - self.start).days
        for number in range(1, self.licences + 1):
            lic = _Licence(self, number)
            risk = self.rng.gammavariate(RISK_SHAPE, 1 / RISK_SHAPE)
            x = self.rng.random()
            new_share = min(0.5, NEW_LICENCES_PER_YEAR * span / 365.25)
            if x < new_share:  # a first licence issued during the period
                issued = self.start + self.days(0, span - 1)
                self.first_licence(lic, risk, issued, issued + self.days(0, 10))
            elif x < new_share + 3 * NEW_LICENCES_PER_YEAR:  # probationary when taken over
                issued = self.start - self.days(1, 3 * 365 - 30)
                self.first_licence(lic, risk, issued, self.start)
            else:  # an older full licence taken over from the previous system
                issued = self.start - self.days(3 * 365, 45 * 365)
                y = self.rng.random()
                points = (
                    12
                    if y < 0.82
                    else self.rng.randint(8, 11)
                    if y < 0.97
                    else self.rng.randint(4, 7)
                )
                born = issued - self.days(18 * 365, 25 * 365)
                lic.line(
                    self.start,
                    "licence.issue",
                    issued_on=issued,
                    route="traditional",
                    probationary=False,
                    points=points,
                    holder=self.holder(born),
                )
                balance = _Balance(self.law, issued, "traditional", False, points)
                self.era(lic, balance, risk, self.start)
        self.lines.sort(key=lambda item: (item[0], item[1]))
        for _, _, body in self.lines:
            yield body

    def first_licence(self, lic: _Licence, risk: float, issued: date, at: date) -> None:
        route = self.route()
        born = issued - self.days(17 * 365 + 30, 30 * 365)
        lic.line(
            at,
            "licence.issue",
            issued_on=issued,
            route=route,
            probationary=True,
            holder=self.holder(born),
        )
        balance = _Balance(self.law, issued, route, True, 6)
        trained = issued + self.days(183, 360)
        if trained >= date(2019, 1, 1) and self.rng.random() < 0.12:
            balance.training_on = trained
            lic.line(trained + self.days(1, 20), "training.complementary", completed_on=trained)
        self.era(lic, balance, risk, max(at, self.start))

    def era(self, lic: _Licence, balance: _Balance, risk: float, since: date) -> None:
        """Infractions from `since` until the end or an invalidation, then what follows."""
        infractions = []
        day = since
        while True:
            young = balance.probationary and day < add_years(balance.issued_on, 3)
            rate = INFRACTIONS_PER_LICENCE_YEAR * risk * (YOUNG_RISK if young else 0.9)
            gap = self.rng.expovariate(rate) * 365.25
            if gap >= (self.end - day).days:
                break
            day += timedelta(days=int(gap) + 1)
            infractions.extend(self.infraction(lic, day))
        infractions.sort(key=lambda i: i[0])
        invalidated: date | None = None
        notified: date | None = None
        occasion_points: dict[str, int] = {}
        for decided, committed, established, offence, occasion in infractions:
            if invalidated is not None and committed >= invalidated:
                continue  # no licence to lose points on after the 48SI
            balance.advance(decided)
            entry = self.law.offence(offence)
            points = entry.points_on(committed)
            if occasion is not None:
                used = occasion_points.get(occasion, 0)
                points = max(0, min(points, 8 - used))
                occasion_points[occasion] = used + points
            before = balance.balance
            balance.withdraw(committed, established, points, entry.offence_class)
            if points == 0 or invalidated is not None or before == 0:
                continue
            if balance.balance == 0:
                letter = "48SI"
                invalidated = decided
            elif balance.probationary and points >= 3 and committed >= balance.issued_on:
                letter = "48N"
            elif not balance.probationary and balance.balance <= 6:
                letter = "48M"
            else:
                continue  # an ordinary letter 48: no acknowledgement
            acknowledged = self.letter(lic, balance, letter, decided)
            if letter == "48SI":
                notified = acknowledged
        if notified is not None and self.rng.random() < 0.9:
            self.after_invalidation(lic, risk, notified)

    def infraction(
        self, lic: _Licence, committed: date
    ) -> list[tuple[date, date, date, str, str | None]]:
        """The record and establishment lines of one infraction (and its companion, if any)."""
        offences = [self.offence()]
        occasion = None
        if self.rng.random() < SAME_OCCASION:
            offences.append(self.rng.choice(COMPANIONS))
            lic.occasions += 1
            occasion = f"occ-{lic.occasions}"
        recorded = committed + self.days(3, 25)
        delit = any(self.law.offence(o).offence_class == "D" for o in offences)
        if delit:
            basis = "final_conviction" if self.rng.random() < 0.7 else "composition_penale"
            established = committed + self.days(60, 300)
        elif self.rng.random() < 0.86:
            basis, established = "fine_paid", committed + self.days(8, 45)
        else:
            basis, established = "increased_fine_title", committed + self.days(60, 130)
        established = max(established, recorded)
        decided = established + self.days(1, 6)
        out = []
        for offence in offences:
            lic.infractions += 1
            iid = f"inf-{lic.infractions}"
            extra = {"occasion": occasion} if occasion else {}
            lic.line(
                recorded,
                "infraction.record",
                infraction_id=iid,
                offence=offence,
                committed_on=committed,
                **extra,
            )
            lic.line(
                decided,
                "infraction.establish",
                infraction_id=iid,
                established_on=established,
                basis=basis,
            )
            out.append((decided, committed, established, offence, occasion))
        return out

    def letter(self, lic: _Licence, balance: _Balance, letter: str, decided: date) -> date | None:
        """The acknowledgement of a registered letter, and what the holder does next."""
        if self.rng.random() < 0.02:
            return None  # never acknowledged
        delivered = decided + self.days(2, 8)
        acknowledged = delivered + self.days(1, 6)
        lic.line(acknowledged, "letter.delivered", letter=letter, delivered_on=delivered)
        if letter == "48N" and self.rng.random() < 0.85:
            self.stage(lic, balance, "mandatory", delivered + self.days(14, 125))
        elif letter == "48M" and self.rng.random() < 0.3:
            self.stage(lic, balance, "voluntary", delivered + self.days(20, 180))
        return acknowledged

    def stage(self, lic: _Licence, balance: _Balance, kind: str, first: date) -> None:
        previous = balance.last_stage_first_day
        if kind == "voluntary" and previous and first < add_years(previous, 1):
            return  # the holder knows a second credit would be refused
        lic.stages += 1
        sid = f"st-{lic.stages}"
        last = first + timedelta(days=1)
        centre = f"CENTRE-{self.rng.randint(1, 95):02d}-{self.rng.randint(1, 40):03d}"
        lic.line(
            last + self.days(0, 3),
            "stage.complete",
            stage_id=sid,
            kind=kind,
            first_day=first,
            last_day=last,
            centre=centre,
        )
        received = last + self.days(3, 20)
        lic.line(
            received + self.days(0, 3), "attestation.receive", stage_id=sid, received_on=received
        )
        if previous is None or first >= add_years(previous, 1):
            balance.last_stage_first_day = first
            balance.credits.append((last + timedelta(days=1), 4))

    def after_invalidation(self, lic: _Licence, risk: float, notified: date) -> None:
        """The licence handed back after the 48SI, then sometimes a new probationary one (R-7.2)."""
        returned = notified + self.days(0, 10 if self.rng.random() < 0.9 else 40)
        lic.line(returned + self.days(0, 2), "licence.return", returned_on=returned)
        if self.rng.random() < 0.6:
            issued = add_months(returned, 13) + self.days(0, 500)
            if issued < self.end:
                route = self.route()
                lic.line(
                    issued + self.days(0, 10),
                    "licence.issue",
                    issued_on=issued,
                    route=route,
                    probationary=True,
                )
                again = _Balance(self.law, issued, route, True, 6, first_licence=False)
                self.era(lic, again, risk, issued + timedelta(days=11))


def generate(licences: int, years: int, seed: int, start: date = START) -> Iterator[dict[str, Any]]:
    """Journal lines (CONTRACT §1) for `licences` licences over `years` years from `start`."""
    return _Generator(licences, years, seed, start).run()


def end_of(years: int, start: date = START) -> date:
    """The last date a journal of `years` years from `start` covers: where to tick to."""
    return add_years(start, years)


def to_jsonl(lines: Iterator[dict[str, Any]]) -> str:
    return "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--licences", type=int, default=10_000)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, help="file to write (default: standard output)")
    args = parser.parse_args()
    text = to_jsonl(generate(args.licences, args.years, args.seed))
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    else:
        print(text, end="")
