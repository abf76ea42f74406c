"""Seeded generator of plausible multi-year journals (issue 11 item 2).

Each person walks forward in time through episodes: infractions (occasions, late establishments,
older réalités, 0-point offences, offences outside the catalogue), deliveries of the letter the
generator guesses (a wrong guess is a line the rules refuse, which both sides must refuse alike),
voluntary, mandatory and judicial stages with late or missing attestations, formations
complémentaires around the 6th and 12th months, invalidations, late or early returns and re-issues
(some too early). Dates are drawn with a bias towards month ends, 29 February and French public
holidays, where R-0.2 and R-0.4 bite. Same seed, same journal.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from reference.law import add_months, add_years, holidays, offence, offence_keys

ORDER = {
    "licence.issue": 0,
    "training.complementary": 1,
    "infraction.record": 2,
    "infraction.establish": 3,
    "stage.complete": 4,
    "attestation.receive": 5,
    "letter.delivered": 6,
    "licence.return": 7,
    "infraction.cancel": 8,
    "suspension.record": 9,
    "suspension.lift": 10,
}
BASES = ["fine_paid", "increased_fine_title", "composition_penale", "final_conviction"]
ROUTES = ["traditional", "aac", "supervised"]


class Person:
    def __init__(self, rng: random.Random, neph: str, tag: str, corrections: bool = False) -> None:
        self.corrections = corrections  # lines too
        self.rng = rng
        self.neph = neph
        self.tag = tag
        self.lines: list[tuple[date, int, int, dict[str, Any]]] = []
        self.n = 0
        self.infractions = 0
        self.stages = 0

    def add(self, at: date, type_: str, **fields: Any) -> None:
        self.n += 1
        line = {
            "id": f"{self.tag}-{self.n:03d}",
            "at": at.isoformat(),
            "type": type_,
            "neph": self.neph,
        }
        line.update({k: v.isoformat() if isinstance(v, date) else v for k, v in fields.items()})
        self.lines.append((at, ORDER[type_], self.n, line))

    def day(self, lo: date, hi: date) -> date:
        """A day in [lo, hi], often a month end, 29 February or a public holiday."""
        if hi <= lo:
            return lo
        rng = self.rng
        span = (hi - lo).days
        pick = lo + timedelta(days=rng.randint(0, span))
        roll = rng.random()
        if roll < 0.12:  # the month's last day
            end = add_months(pick.replace(day=1), 1) - timedelta(days=1)
            pick = end if end <= hi else pick
        elif roll < 0.17:  # 29 February of a leap year in range, else 28
            for year in range(pick.year, hi.year + 1):
                try:
                    leap = date(year, 2, 29)
                except ValueError:
                    continue
                if lo <= leap <= hi:
                    pick = leap
                    break
        elif roll < 0.25:
            days = sorted(x for x in holidays(pick.year) if lo <= x <= hi)
            if days:
                pick = rng.choice(days)
        return pick


def generate(
    seed: int, persons: int | None = None, corrections: bool = False
) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    count = persons if persons is not None else rng.choice([1, 1, 2, 3])
    everyone: list[tuple[date, int, int, dict[str, Any]]] = []
    for k in range(count):
        neph = f"{(seed * 7919 + k * 104729) % 10**11:011d}{k % 10}"
        person = Person(rng, neph, f"s{seed}p{k}", corrections)
        _history(person)
        everyone.extend((at, order, n + 1000 * k, line) for at, order, n, line in person.lines)
    everyone.sort(key=lambda x: (x[0], x[1], x[2]))
    return [line for *_, line in everyone]


def _history(p: Person) -> None:
    rng = p.rng
    start = date(rng.randint(2011, 2025), rng.randint(1, 12), rng.randint(1, 28))
    horizon = add_years(start, rng.randint(2, 6))
    probationary = rng.random() < 0.6
    route = rng.choice(ROUTES)
    if probationary:
        issued = start if rng.random() < 0.7 else start - timedelta(days=rng.randint(1, 40))
        p.add(
            start,
            "licence.issue",
            issued_on=issued,
            route=route,
            probationary=True,
            holder={"surname": "Martin", "given_names": "Jeanne", "birth_date": "1990-01-01"},
        )
        rough = 6
        if rng.random() < 0.5:
            months = rng.choice([5, 6, 6, 7, 9, 12, 12, 13])
            completed = p.day(
                add_months(issued, months) - timedelta(days=3),
                add_months(issued, months) + timedelta(days=3),
            )
            if rng.random() < 0.5:
                completed = add_months(issued, months)
            known = completed + timedelta(days=rng.choice([0, 3, 20, 200, 600]))
            p.add(max(known, start), "training.complementary", completed_on=completed)
    else:
        issued = start - timedelta(days=rng.randint(400, 9000))
        rough = rng.choice([12, 12, 12, 10, 8, 6, 4, 3, 1])
        p.add(
            start, "licence.issue", issued_on=issued, route=route, probationary=False, points=rough
        )
    cursor = start
    prob_until = add_years(issued, 3) if probationary else start
    stage_years: list[date] = []
    while cursor < horizon:
        cursor += timedelta(days=rng.choice([3, 10, 30, 60, 90, 150, 240]))
        roll = rng.random()
        if roll < 0.6:
            rough, invalid = _infraction(p, cursor, rough, cursor < prob_until, stage_years)
            if invalid:
                reissued = _invalidation(p, cursor)
                if reissued is None:
                    return
                cursor = reissued
                rough = 6
                prob_until = add_years(cursor, 3)
        elif roll < 0.68 and p.corrections:
            _suspension(p, cursor)
        elif roll < 0.8:
            kind = rng.choice(
                ["voluntary"] * 6 + ["mandatory", "composition_penale", "complementary_penalty"]
            )
            first = p.day(cursor, cursor + timedelta(days=30))
            if _stage(p, first, kind, cursor) and kind == "voluntary":
                rough = min(12, rough + 4)


def _infraction(
    p: Person, cursor: date, rough: int, probation: bool, stage_years: list[date]
) -> tuple[int, bool]:
    """One occasion (1 to 3 infractions), its establishments and the letters' deliveries."""
    rng = p.rng
    occasion = None
    count = 1
    if rng.random() < 0.15:
        count = rng.randint(2, 3)
        occasion = f"occ-{p.tag}-{p.infractions}"
    old = rng.random() < 0.15  # an older réalité decided late
    committed = p.day(
        cursor - timedelta(days=rng.choice([2, 20, 400, 1500]) if old else 30), cursor
    )
    invalid = False
    for _ in range(count):
        p.infractions += 1
        iid = f"i{p.infractions}"
        key = rng.choice(offence_keys())
        fields: dict[str, Any] = {"infraction_id": iid, "offence": key, "committed_on": committed}
        if rng.random() < 0.04:
            fields.update(
                offence="local_offence_x",
                **{"class": rng.choice(["C2", "C3", "C4", "D"]), "points": rng.randint(0, 6)},
            )
        if occasion:
            fields["occasion"] = occasion
        recorded = max(cursor, committed + timedelta(days=rng.randint(0, 20)))
        p.add(recorded, "infraction.record", **fields)
        if rng.random() < 0.12:
            continue  # never established
        late = rng.random() < 0.2
        est = p.day(
            committed,
            committed
            + timedelta(days=rng.choice([0, 5, 30, 120] if not late else [200, 500, 900])),
        )
        decided = max(recorded, est + timedelta(days=rng.choice([0, 1, 4, 15, 40])))
        if late:
            decided = max(decided, est + timedelta(days=rng.randint(30, 800)))
        p.add(
            decided,
            "infraction.establish",
            infraction_id=iid,
            established_on=est,
            basis=rng.choice(BASES),
        )
        if rng.random() < 0.05:  # established twice: refused
            p.add(
                decided + timedelta(days=3),
                "infraction.establish",
                infraction_id=iid,
                established_on=est,
                basis="fine_paid",
            )
        if p.corrections and rng.random() < 0.1:  # cancelled, sometimes before establishment
            when = decided + timedelta(days=rng.choice([-5, 0, 3, 60, 400]))
            when = max(when, recorded)
            p.add(
                when,
                "infraction.cancel",
                infraction_id=iid,
                cancelled_on=when - timedelta(days=rng.choice([0, 2, 10])),
                ground=rng.choice(
                    ["acquittal", "administrative_annulment", "designation", "recording_error"]
                ),
            )
        known = offence(fields["offence"], committed)
        points = known[1] if known else fields["points"]
        if points <= 0:
            continue
        rough = max(0, rough - points)
        letter = (
            "48SI"
            if rough == 0
            else ("48N" if probation and points >= 3 else ("48M" if rough <= 6 else "48"))
        )
        if rng.random() < 0.1:
            letter = rng.choice(["48", "48M", "48N", "47"])
        if rng.random() < 0.8:
            delivered = decided + timedelta(days=rng.choice([0, 0, 1, 2, 3, 6]))
            p.add(
                delivered + timedelta(days=rng.choice([0, 0, 1, 3, 10, 60])),
                "letter.delivered",
                letter=letter,
                delivered_on=delivered,
            )
        if letter == "48N" and rng.random() < 0.7:
            first = p.day(decided, decided + timedelta(days=rng.choice([20, 60, 120, 150])))
            _stage(p, first, rng.choice(["mandatory", "mandatory", "voluntary"]), decided)
        if rough == 0:
            invalid = True
            break
    return rough, invalid


def _stage(p: Person, first: date, kind: str, not_before: date) -> bool:
    rng = p.rng
    p.stages += 1
    sid = f"s{p.stages}"
    last = first + timedelta(days=1)
    declared = last + timedelta(days=rng.choice([0, 0, 1, 3, 10, 30]))
    declared = max(declared, not_before)
    p.add(
        declared,
        "stage.complete",
        stage_id=sid,
        kind=kind,
        first_day=first,
        last_day=last,
        centre=f"CENTRE-{rng.randint(1, 3)}",
    )
    if rng.random() < 0.1:
        return False
    received = last + timedelta(days=rng.choice([1, 3, 7, 14, 15, 16, 30]))
    at = max(declared, received + timedelta(days=rng.choice([0, 0, 1, 5, 40, 200])))
    p.add(at, "attestation.receive", stage_id=sid, received_on=received)
    return True


def _invalidation(p: Person, cursor: date) -> date | None:
    """The return and, perhaps, a new licence (R-7.2); None ends the person's history."""
    rng = p.rng
    if rng.random() < 0.15:
        return None
    returned = cursor + timedelta(days=rng.choice([-3, 0, 2, 5, 9, 12, 20, 45]))
    known = max(cursor, returned) + timedelta(days=rng.choice([0, 0, 2, 30]))
    if rng.random() < 0.85:
        p.add(known, "licence.return", returned_on=returned)
    delay = rng.choice([6, 6, 6, 12, 12, 5])
    issued = add_months(returned, delay) + timedelta(days=rng.choice([-10, 0, 0, 3, 30, 200]))
    at = max(issued, known)
    if rng.random() < 0.3:  # a too early attempt, refused, then the right one
        early = max(known, issued - timedelta(days=40))
        p.add(early, "licence.issue", issued_on=early, route=rng.choice(ROUTES))
    p.add(
        at,
        "licence.issue",
        issued_on=issued,
        route=rng.choice(ROUTES),
        probationary=rng.random() < 0.95,
    )
    if rng.random() < 0.05:
        p.add(at, "licence.issue", issued_on=issued, route="traditional")
    return at


def _suspension(p: Person, cursor: date) -> None:
    """R-12: an administrative or judicial suspension, sometimes lifted early or overlapping."""
    rng = p.rng
    first = p.day(cursor - timedelta(days=20), cursor + timedelta(days=20))
    last = first + timedelta(days=rng.choice([0, 30, 90, 180, 365]))
    p.add(
        max(cursor, first - timedelta(days=5)),
        "suspension.record",
        kind=rng.choice(["administrative", "judicial"]),
        first_day=first,
        last_day=last,
    )
    if rng.random() < 0.3:
        lifted = first + timedelta(days=rng.randint(0, (last - first).days + 5))
        fields: dict[str, Any] = {"lifted_on": lifted}
        if rng.random() < 0.5:
            fields["kind"] = rng.choice(["administrative", "judicial"])
        p.add(max(cursor, lifted), "suspension.lift", **fields)
