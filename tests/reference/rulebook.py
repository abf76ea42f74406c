"""The reference reading of RULES.md R-0 to R-10 (R-11, R-12 behind `corrections=True`).

Two passes, as the rule book separates them (R-9.1):
- the *recording* pass plays the journal line by line, as the service would on each `at`: it
  refuses what the rules refuse and takes the decisions that depend on what was known that day
  (the capped points of a withdrawal, its letter, a stage's credit or refusal, the 48SI of a new
  invalidation, the letter 47);
- the *legal* fold replays, for the lines known at K, every effect in the order of its legal date
  (R-0.5: time-driven effects of a day, then that day's lines, then stage credits, R-5.3) and keeps
  a snapshot per date, so that a view as of D is the snapshot at D.

Everything here is written from the rule book; nothing is imported from domain/ or services/.
"""

from __future__ import annotations

import bisect
import heapq
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from reference.law import DAY, add_months, add_years, jours_francs, offence, param

SERIOUS = {"C4", "C5", "D"}
TEN_YEAR_CLASSES = {"C1", "C2", "C3", "C4"}
POINT_STAGES = {"voluntary", "mandatory"}
DRUGS_AND_ALCOHOL = "drugs_and_alcohol"
DRUGS_AND_ALCOHOL_FROM = date(2025, 7, 11)
TRAINING_FROM = date(2019, 1, 1)
CORRECTIONS = {"infraction.cancel", "suspension.record", "suspension.lift"}
# A restoration already due when its withdrawal is decided takes effect after all of
# that day's lines: two old infractions decided the same day, in either order, give the same
# balance, and p17 shows it on the decision day itself.
END_OF_DAY = 10.0**12


def d(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


@dataclass
class Licence:
    idx: int
    issued_on: date
    route: str
    probationary: bool
    points: int
    first: bool
    seq: int
    at: date


@dataclass
class Withdrawal:
    inf: str
    licence: int
    committed: date
    est: date
    decided: date
    points: int  # after the cap of 
    cls: str
    seq: int
    raw: int = 0
    occasion: str | None = None
    drugs: bool = False


@dataclass
class Letter:
    type: str
    sent_on: date
    seq: int
    delivered_on: date | None = None
    delivered_at: date | None = None
    invalidation: Any = None  # the 48SI's invalidation key
    stage: str | None = None


@dataclass
class Stage:
    sid: str
    kind: str
    first_day: date
    last_day: date
    known_at: date
    seq: int
    received_on: date | None = None
    received_at: date | None = None
    granted: bool | None = None
    refusal: str | None = None


@dataclass
class Person:
    neph: str
    licences: list[Licence] = field(default_factory=list)
    infractions: dict[str, dict[str, Any]] = field(default_factory=dict)
    withdrawals: list[Withdrawal] = field(default_factory=list)
    letters: list[Letter] = field(default_factory=list)
    stages: dict[str, Stage] = field(default_factory=dict)
    trainings: list[tuple[date, date]] = field(default_factory=list)  # (completed_on, at)
    returns: dict[tuple[Any, ...], tuple[date, date]] = field(
        default_factory=dict
    )  # key -> (on, at)
    occasions: dict[str, list[tuple[int, bool]]] = field(default_factory=dict)
    cancels: dict[str, date] = field(default_factory=dict)  # infraction -> recorded on
    suspensions: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Snapshot:
    balance: int = 0
    ceiling: int = 12
    licence: int = -1
    invalidation: tuple[Any, ...] | None = None  # standing on that date
    invalidation_start: date | None = None
    annulled: dict[tuple[Any, ...], date] = field(default_factory=dict)
    credited: dict[str, int] = field(default_factory=dict)
    prob_end: date | None = None  # None when not probationary
    invalidations: list[tuple[Any, ...]] = field(default_factory=list)


class Fold:
    """The legal fold of one person's facts known at K (R-0.5, R-2.2, R-4, R-5.3, R-7)."""

    def __init__(
        self,
        person: Person,
        known: date,
        until: date,
        skip_blocking: set[Any],
        stop: tuple[date, int, float] | None = None,
    ) -> None:
        self.p = person
        self.stop = stop
        self.known = known
        self.until = until
        self.skip_blocking = skip_blocking  # invalidations annulled in the end
        self.lic = [x for x in person.licences if x.at <= known]
        cancelled = {i for i, at in person.cancels.items() if at <= known}
        self.ws = [w for w in person.withdrawals if w.decided <= known and w.inf not in cancelled]
        if cancelled:  # as if never recorded, its occasion's cap included
            self.ws = [_recapped(w, self.ws) for w in self.ws]
        self.trainings = [c for c, at in person.trainings if at <= known]
        self.stages = [
            s
            for s in person.stages.values()
            if s.received_at is not None and s.received_at <= known and s.granted
        ]
        self.notified = {
            letter.invalidation: letter.delivered_on
            for letter in person.letters
            if letter.type == "48SI"
            and letter.delivered_at is not None
            and letter.delivered_at <= known
        }
        self.dates: list[date] = []
        self.snaps: list[Snapshot] = []
        self.annulled: dict[tuple[Any, ...], date] = {}
        self.invalidations: list[tuple[Any, ...]] = []
        self.inv_starts: dict[tuple[Any, ...], date] = {}

    # --- probation (R-1.3 to) ---
    def prob_end(self, lic: Licence, x: date) -> date | None:
        return self.end_of(lic, x) if lic.probationary else None

    def end_of(self, lic: Licence, x: date) -> date:
        """The end of probation as it stood on x (R-1.3, R-1.6, R-10.12, R-10.23)."""
        base = add_years(lic.issued_on, param(f"probation_years_{lic.route}", lic.issued_on) or 3)
        if not lic.first:
            return base
        for completed in self.trainings:
            if completed > x or completed < TRAINING_FROM:
                continue
            lo = add_months(lic.issued_on, param("training_window_start_months", completed) or 6)
            hi = add_months(lic.issued_on, param("training_window_end_months", completed) or 12)
            if not lo <= completed <= hi:
                continue
            months = param(f"training_short_probation_months_{lic.route}", completed)
            if months is None:
                continue
            short = add_months(lic.issued_on, months)
            lost = any(
                w.points > 0
                and w.licence == lic.idx
                and lic.issued_on <= w.committed < short
                and w.decided <= x
                and w.decided < short
                for w in self.ws
            )
            lost = lost or any(  # a suspension that starts in that period
                s["at"] <= self.known and lic.issued_on <= s["first"] < short and s["first"] <= x
                for s in self.p.suspensions
            )
            if not lost:
                return short
        return base

    def clean(self, lic: Licence, until: date) -> bool:
        """No infraction committed since probation began gave rise to a withdrawal known before
        `until` (R-1.4 POLICY, R-10.2, R-10.23)."""
        return not any(
            w.points > 0
            and w.committed >= lic.issued_on
            and w.committed < until
            and w.decided < until
            for w in self.ws
        )

    def run(self) -> Fold:
        p = self.p
        heap: list[Any] = []
        self.counter = 0
        for lic in self.lic:
            self.push(heap, (lic.issued_on, 1, lic.seq, "issue", lic))
        for w in self.ws:
            self.push(heap, (w.decided, 1, w.seq, "withdraw", w))
        for stage in self.stages:
            self.push(heap, (stage.last_day + DAY, 2, stage.seq, "stage", stage))
        s = Snapshot()
        self.s = s
        self.processed: list[Withdrawal] = []
        self.granted: list[dict[str, Any]] = []  # restorations granted (for)
        self.period: list[Withdrawal] = []  # withdrawals since the last full restoration
        self.token = 0
        self.cur: Licence | None = None
        self.credited: dict[str, int] = {}
        self.prob_active = False
        current_day: date | None = None
        while heap:
            day, phase, order, _, kind, obj = heapq.heappop(heap)
            if day > self.until:
                break
            if self.stop is not None and (day, phase, order) > self.stop:
                break
            if current_day is not None and day != current_day:
                self._snap(current_day)
            current_day = day
            getattr(self, f"_{kind}")(day, obj, heap, order)
        if current_day is not None:
            self._snap(current_day)
        del p
        return self

    def push(self, heap: list[Any], entry: tuple[date, int, float, str, Any]) -> None:
        self.counter += 1
        day, phase, order, kind, obj = entry
        heapq.heappush(heap, (day, phase, order, self.counter, kind, obj))

    def _snap(self, day: date) -> None:
        s = self.s
        lic = self.cur
        snap = Snapshot(
            balance=s.balance,
            ceiling=s.ceiling,
            licence=lic.idx if lic else -1,
            invalidation=s.invalidation,
            invalidation_start=s.invalidation_start,
            annulled=dict(self.annulled),
            credited=dict(self.credited),
            invalidations=list(self.invalidations),
        )
        if lic is not None and lic.probationary and self.prob_active:
            snap.prob_end = self.prob_end(lic, day)
        self.dates.append(day)
        self.snaps.append(snap)

    def at(self, day: date) -> Snapshot | None:
        i = bisect.bisect_right(self.dates, day) - 1
        if i < 0:
            return None
        snap = self.snaps[i]
        lic = self.lic_by_idx(snap.licence)
        if lic is not None and snap.prob_end is not None:
            end = self.end_of(lic, day)
            snap = Snapshot(**{**snap.__dict__, "prob_end": end if day < end else None})
        return snap

    def lic_by_idx(self, idx: int) -> Licence | None:
        for lic in self.lic:
            if lic.idx == idx:
                return lic
        return None

    def blocked(self) -> bool:
        inv = self.s.invalidation
        return inv is not None and inv not in self.skip_blocking

    # --- facts ---
    def _issue(self, day: date, lic: Licence, heap: list[Any], order: float) -> None:
        self.cur = lic
        s = self.s
        s.invalidation = None
        s.invalidation_start = None
        self.period = []
        self.prob_active = lic.probationary
        if lic.probationary:
            s.balance = param("probation_initial_points", day) or 6
            s.ceiling = s.balance
            checks = {add_months(lic.issued_on, months) for months in (12, 18, 24, 36)}
            for when in sorted(checks):
                self.push(heap, (when, 0, 0, "anniversary", lic))
        else:
            s.balance = lic.points
            s.ceiling = param("capital_max", day) or 12

    def _anniversary(self, day: date, lic: Licence, heap: list[Any], order: float) -> None:
        if self.cur is not lic or not self.prob_active:
            return
        end = self.end_of(lic, day)
        s = self.s
        blocked = self.blocked()
        if day >= end:
            self.prob_active = False
            s.ceiling = param("capital_max", day) or 12
            if self.clean(lic, end):  # the last gain, "whatever its balance",
                s.balance = s.ceiling  # even on an invalidated licence (the literal reading)
            self._due_full(day, heap)
            return
        is_anniversary = any(add_years(lic.issued_on, k) == day for k in range(1, 4))
        if is_anniversary and self.clean(lic, day) and not blocked:
            gain = param(f"probation_yearly_gain_{lic.route}", lic.issued_on) or 2
            s.ceiling = min(12, s.ceiling + gain)
            s.balance = min(s.ceiling, s.balance + gain)

    def probationary_now(self) -> bool:
        return self.cur is not None and self.cur.probationary and self.prob_active

    def _withdraw(self, day: date, w: Withdrawal, heap: list[Any], order: float) -> None:
        s = self.s
        self.processed.append(w)
        if w.points <= 0:
            return
        on_current = self.cur is not None and w.licence == self.cur.idx
        before = s.balance
        # revocations: a granted restoration whose window holds this commission.
        for r in self.granted:
            if r["revoked"] or r["licence"] != (self.cur.idx if self.cur else None):
                continue
            if w is r.get("w") or w in r.get("period", []):
                continue
            if r["kind"] in ("R-4.1", "R-4.2") and r["start"] <= w.committed < r["due"]:
                r["revoked"] = day
                s.balance = max(0, s.balance - r["added"])
                if r["kind"] == "R-4.2":
                    self.period = r["period"] + self.period
        if not on_current:
            return
        s.balance = max(0, s.balance - w.points)
        if before > 0 and s.balance == 0 and s.invalidation is None:
            key = (w.licence, w.inf, day.isoformat())
            s.invalidation = key
            s.invalidation_start = day
            self.invalidations.append(key)
            self.inv_starts[key] = day
        # schedule this withdrawal's restorations
        months = param("single_point_restoration_months", w.est)
        if w.points == 1 and months is not None:
            due = add_months(w.est, months)
            self._schedule(heap, due, day, order, "r41", (w, due))
        if not self.period:  # an older réalité joins the last full restoration's clock
            for r in reversed(self.granted):
                if r["kind"] == "R-4.2" and not r["revoked"] and r["licence"] == w.licence:
                    if r["start"] >= w.est:
                        self.period = list(r["period"])
                    break
        self.period.append(w)
        self._due_full(day, heap, order)
        if w.cls in TEN_YEAR_CLASSES:
            due = add_years(w.est, param("ten_year_restoration_years", w.est) or 10)
            self._schedule(heap, due, day, order, "r43", (w, due))

    def _schedule(
        self, heap: list[Any], due: date, day: date, order: float, kind: str, obj: Any
    ) -> None:
        if due <= day:
            self.push(heap, (day, 1, END_OF_DAY, kind, obj))
        else:
            self.push(heap, (due, 0, 0, kind, obj))

    def _due_full(self, day: date, heap: list[Any], order: float | None = None) -> None:
        """R-4.2 with one clock (R-10.8); at the end of probation (order None) the window runs
        up to that day (R-1.7)."""
        if not self.period:
            return
        self.token += 1
        clock = max(w.est for w in self.period)
        serious = any(w.cls in SERIOUS for w in self.period)
        name = "full_restoration_years_serious" if serious else "full_restoration_years"
        due = add_years(clock, param(name, clock) or 3)
        window = due if order is not None else max(due, day)
        obj = (self.token, clock, window)
        if due <= day:
            if order is None:
                self.push(heap, (day, 0, 0.5, "r42", obj))
            else:
                self.push(heap, (day, 1, END_OF_DAY, "r42", obj))
        else:
            self.push(heap, (due, 0, 0, "r42", obj))

    def _broken(self, start: date, due: date, exclude: list[Withdrawal]) -> bool:
        return any(
            w.points > 0 and start <= w.committed < due and w not in exclude for w in self.processed
        )

    def _r41(self, day: date, obj: tuple[Withdrawal, date], heap: list[Any], order: float) -> None:
        w, due = obj
        if self.cur is None or w.licence != self.cur.idx or self.blocked():
            return
        if self._broken(w.est, due, [w]):
            return
        s = self.s
        added = max(0, min(1, s.ceiling - s.balance))
        s.balance += added
        self.granted.append(
            {
                "kind": "R-4.1",
                "w": w,
                "start": w.est,
                "due": due,
                "added": added,
                "revoked": None,
                "licence": w.licence,
                "on": day,
            }
        )

    def _r42(self, day: date, obj: tuple[int, date, date], heap: list[Any], order: float) -> None:
        token, clock, due = obj
        if token != self.token or self.cur is None or not self.period:
            return
        if self.period[0].licence != self.cur.idx or self.blocked():
            return
        if self.probationary_now():
            return  # re-evaluated when probation ends (_anniversary calls _due_full)
        if self._broken(clock, due, self.period):
            return
        s = self.s
        top = param("capital_max", day) or 12
        added = max(0, top - s.balance)
        s.balance = max(s.balance, top)
        self.granted.append(
            {
                "kind": "R-4.2",
                "period": list(self.period),
                "start": clock,
                "due": due,
                "added": added,
                "revoked": None,
                "licence": self.cur.idx,
                "on": day,
            }
        )
        self.period = []

    def _r43(self, day: date, obj: tuple[Withdrawal, date], heap: list[Any], order: float) -> None:
        w, due = obj
        if self.cur is None or w.licence != self.cur.idx or self.blocked():
            return
        for r in self.granted:
            if r["kind"] == "R-4.2" and not r["revoked"] and w.decided <= r["on"] <= day:
                return
        for key, start in self.inv_starts.items():
            if (
                key not in self.annulled
                and key not in self.skip_blocking
                and w.decided <= start <= day
            ):
                return
        s = self.s
        added = max(0, min(w.points, s.ceiling - s.balance))
        s.balance += added
        self.granted.append(
            {
                "kind": "R-4.3",
                "w": w,
                "start": w.est,
                "due": due,
                "added": added,
                "revoked": None,
                "licence": w.licence,
                "on": day,
            }
        )

    def _stage(self, day: date, st: Stage, heap: list[Any], order: float) -> None:
        s = self.s
        if self.cur is None:
            return
        top = param("stage_max_points", st.first_day) or 4
        added = max(0, min(top, s.ceiling - s.balance))
        s.balance += added
        self.credited[st.sid] = added
        if s.invalidation is not None and s.balance > 0:
            self.annulled[s.invalidation] = day
            s.invalidation = None
            s.invalidation_start = None


def last_day(suspension: dict[str, Any], known: date) -> date:
    """A suspension's last day as known at `known`: the day before a lift (R-12.1, R-12.2)."""
    days = [day for day, at in suspension["lifts"] if at <= known]
    return min([suspension["last"], *days])


def _recapped(w: Withdrawal, ws: list[Withdrawal]) -> Withdrawal:
    """The points of `w` under the cap of R-2.4 counted on `ws` only (R-10.1, R-11.2)."""
    if w.occasion is None:
        return w
    taken = 0
    drugs = False
    for other in ws:
        if other.occasion != w.occasion:
            continue
        drugs = drugs or other.drugs
        cap = 9 if drugs else (param("simultaneous_cap", other.committed) or 8)
        points = max(0, min(other.raw, cap - taken))
        if other is w:
            return Withdrawal(**{**w.__dict__, "points": points})
        taken += points
    return w


def fold(person: Person, known: date, until: date) -> Fold:
    """Two passes: which invalidations end annulled, then the fold where those never blocked R-4
    (R-10.21)."""
    first = Fold(person, known, until, set()).run()
    skip = set(first.annulled)
    for _ in range(3):
        again = Fold(person, known, until, skip).run()
        if set(again.annulled) == skip:
            return again
        skip = set(again.annulled)
    return again


class Reference:
    """Plays a journal (a list of dict lines) and answers views (CONTRACT §4)."""

    def __init__(self, lines: list[dict[str, Any]], corrections: bool = False) -> None:
        self.corrections = corrections
        self.people: dict[str, Person] = {}
        self.refused: dict[str, str] = {}
        self.seen: dict[str, dict[str, Any]] = {}
        self._folds: dict[tuple[str, date, date], Fold] = {}
        day_lines: list[dict[str, Any]] = []
        for seq, line in enumerate(lines):
            if day_lines and day_lines[-1]["at"] != line["at"]:
                self._end_of_day(day_lines)
                day_lines = []
            line = dict(line, _seq=seq)
            if line["id"] in self.seen:
                continue
            self.seen[line["id"]] = line
            reason = self._apply(line)
            if reason:
                self.refused[line["id"]] = reason
            day_lines.append(line)
        if day_lines:
            self._end_of_day(day_lines)

    # --- recording pass ---
    def _fold(self, p: Person, known: date, until: date) -> Fold:
        self._folds.clear()  # the facts change with every line: never reuse a fold
        return fold(p, known, until)

    def _apply(self, line: dict[str, Any]) -> str | None:
        kind = line["type"]
        at = d(line["at"])
        assert at is not None
        p = self.people.get(line["neph"])
        if kind == "licence.issue":
            return self._issue(line, at)
        if p is None or not p.licences:
            return "unknown licence"
        if not self.corrections and kind in CORRECTIONS:
            return "type not handled by the reference (corrections=False)"
        handler = getattr(self, "_" + kind.replace(".", "_"), None)
        if handler is None:
            return "type not handled by the reference"
        result: str | None = handler(p, line, at)
        return result

    def _issue(self, line: dict[str, Any], at: date) -> str | None:
        p = self.people.setdefault(line["neph"], Person(line["neph"]))
        issued = d(line["issued_on"])
        assert issued is not None
        prob = line.get("probationary", True)
        if p.licences:
            f = self._fold(p, at, at)
            snap = f.at(at)
            if snap is None or snap.invalidation is None:
                return "licence still valid"
            key = snap.invalidation
            notified = f.notified.get(key)
            if notified is None or notified > at:
                return "invalidation not notified (R-10.16)"
            ret = p.returns.get(key)
            if ret is None:
                return "licence not returned (R-7.2)"
            possible = self._possible(p, f, key, ret[0])
            if possible is None or issued < possible:
                return "too early (R-7.2)"
            if not prob:
                return "must be probationary (R-7.2)"
        lic = Licence(
            idx=len(p.licences),
            issued_on=issued,
            route=line["route"],
            probationary=prob,
            points=line.get("points", 12) if not prob else 6,
            first=not p.licences,
            seq=line["_seq"],
            at=at,
        )
        p.licences.append(lic)
        return None

    def _possible(self, p: Person, f: Fold, key: Any, returned: date) -> date | None:
        """R-7.2, R-10.15, R-10.20."""
        notified = f.notified.get(key)
        if notified is None:
            return None
        months = param("new_licence_delay_months", returned) or 6
        years = param("repeat_invalidation_window_years", notified) or 5
        for other, when in f.notified.items():
            if other == key or other in f.annulled or other not in f.invalidations or when is None:
                continue
            if when <= notified and notified <= add_years(when, years):
                months = param("new_licence_delay_months_repeat", returned) or 12
        return add_months(returned, months)

    def _training_complementary(self, p: Person, line: dict[str, Any], at: date) -> str | None:
        completed = d(line["completed_on"])
        assert completed is not None
        p.trainings.append((completed, at))
        return None

    def _infraction_record(self, p: Person, line: dict[str, Any], at: date) -> str | None:
        iid = line["infraction_id"]
        if iid in p.infractions:
            return "infraction already recorded"
        committed = d(line["committed_on"])
        assert committed is not None
        known = offence(line["offence"], committed)
        cls, points = known if known else (line["class"], line["points"])
        p.infractions[iid] = {
            "committed": committed,
            "cls": cls,
            "points": points,
            "occasion": line.get("occasion"),
            "offence": line["offence"],
            "licence": p.licences[-1].idx,
            "established": False,
        }
        return None

    def _infraction_establish(self, p: Person, line: dict[str, Any], at: date) -> str | None:
        inf = p.infractions.get(line["infraction_id"])
        if inf is None:
            return "unknown infraction (R-2.6)"
        if inf["established"]:
            return "already established (R-2.6)"
        if inf.get("cancelled"):
            return "cancelled (R-11.4)"
        inf["established"] = True
        est = d(line["established_on"])
        assert est is not None
        points = inf["points"]
        occ = inf["occasion"]
        if occ is not None:
            taken = p.occasions.setdefault(occ, [])
            drugs = (
                inf["offence"] == DRUGS_AND_ALCOHOL and inf["committed"] >= DRUGS_AND_ALCOHOL_FROM
            )
            taken.append((0, drugs))
            cap = param("simultaneous_cap", inf["committed"]) or 8
            if any(flag for _, flag in taken):
                cap = 9
            already = sum(n for n, _ in taken)
            points = max(0, min(points, cap - already))
            taken[-1] = (points, drugs)
        w = Withdrawal(
            inf=line["infraction_id"],
            licence=p.licences[-1].idx,  # decided on the licence in force (p32)
            committed=inf["committed"],
            est=est,
            decided=at,
            points=points,
            cls=inf["cls"],
            seq=line["_seq"],
            raw=inf["points"],
            occasion=occ,
            drugs=inf["offence"] == DRUGS_AND_ALCOHOL
            and inf["committed"] >= DRUGS_AND_ALCOHOL_FROM,
        )
        p.withdrawals.append(w)
        if points <= 0:
            return None
        # the letter, from the balance after this decision and its revocations
        lic = p.licences[w.licence]
        if lic is not p.licences[-1]:
            return None
        skip = set(fold(p, at, at).annulled)
        before_fold = Fold(p, at, at, skip, stop=(at, 1, w.seq - 0.25)).run()
        cut = Fold(p, at, at, skip, stop=(at, 1, w.seq)).run()
        snap, previous = cut.at(at), before_fold.at(at)
        assert snap is not None
        before = previous.balance if previous is not None else 0
        after = snap.balance
        if before <= 0:
            return None
        if after == 0:
            p.letters.append(Letter("48SI", at, line["_seq"], invalidation=snap.invalidation))
            return None
        prob_end = cut.prob_end(lic, at)
        probationary = (
            lic.probationary and cut.prob_active and prob_end is not None and at < prob_end
        )
        threshold = param("mandatory_stage_threshold", at) or 3
        if (
            probationary
            and prob_end
            and points >= threshold
            and lic.issued_on <= w.committed < prob_end
        ):
            p.letters.append(Letter("48N", at, line["_seq"], stage=w.inf))
        elif not probationary and after <= (param("low_balance_threshold", at) or 6):
            p.letters.append(Letter("48M", at, line["_seq"]))
        else:
            p.letters.append(Letter("48", at, line["_seq"]))
        return None

    def _letter_delivered(self, p: Person, line: dict[str, Any], at: date) -> str | None:
        on = d(line["delivered_on"])
        assert on is not None
        for letter in reversed(p.letters):
            if letter.type == line["letter"] and letter.delivered_on is None:
                if on < letter.sent_on:
                    return "delivered before it was sent"
                letter.delivered_on = on
                letter.delivered_at = at
                return None
        return "no letter of that type awaiting delivery"

    def _stage_complete(self, p: Person, line: dict[str, Any], at: date) -> str | None:
        sid = line["stage_id"]
        if sid in p.stages:
            return "stage already recorded"
        first, last = d(line["first_day"]), d(line["last_day"])
        assert first is not None and last is not None
        p.stages[sid] = Stage(sid, line["kind"], first, last, at, line["_seq"])
        return None

    def _attestation_receive(self, p: Person, line: dict[str, Any], at: date) -> str | None:
        st = p.stages.get(line["stage_id"])
        if st is None:
            return "unknown stage"
        if st.received_on is not None:
            return "attestation already received"
        st.received_on = d(line["received_on"])
        st.received_at = at
        st.refusal = self._credit_refusal(p, st, at)
        st.granted = st.refusal is None
        return None

    def _credit_refusal(self, p: Person, st: Stage, at: date) -> str | None:
        if st.kind not in POINT_STAGES:
            return "judicial stage (R-5.1)"
        f = fold(p, at, at)
        for letter in p.letters:
            if letter.type != "48SI" or letter.delivered_on is None:
                continue
            if letter.delivered_at is None or letter.delivered_at > at:
                continue
            key = letter.invalidation
            if key in f.annulled or key not in f.invalidations:
                continue  # annulled, or undone by a credit dated before it
            if letter.delivered_on > st.last_day:
                continue
            later = [x for x in p.licences if key and x.idx > key[0] and x.issued_on <= st.last_day]
            if later:
                continue
            return "48SI notified (R-5.5)"
        for other in p.stages.values():
            if other is st or not other.granted:
                continue
            years = param("stage_interval_years", max(st.first_day, other.first_day)) or 1
            if not (
                st.first_day >= add_years(other.first_day, years)
                or other.first_day >= add_years(st.first_day, years)
            ):
                return "one stage a year (R-5.4)"
        return None

    def _infraction_cancel(self, p: Person, line: dict[str, Any], at: date) -> str | None:
        """R-11.1, R-11.4."""
        inf = p.infractions.get(line["infraction_id"])
        if inf is None:
            return "unknown infraction (R-11.4)"
        if inf.get("cancelled"):
            return "already cancelled (R-11.4)"
        cancelled_on = d(line["cancelled_on"])
        assert cancelled_on is not None
        if cancelled_on > at:
            return "cancelled_on after the line's date (R-11.4)"
        if inf["licence"] < p.licences[-1].idx:
            return "infraction of a replaced licence (R-11.4)"
        inf["cancelled"] = True
        p.cancels[line["infraction_id"]] = at
        return None

    def _suspension_record(self, p: Person, line: dict[str, Any], at: date) -> str | None:
        """R-12.1, R-12.4."""
        first, last = d(line["first_day"]), d(line["last_day"])
        assert first is not None and last is not None
        if last < first:
            return "last_day before first_day (R-12.4)"
        snap = fold(p, at, at).at(at)
        if snap is None or snap.invalidation is not None:
            return "licence not issued or invalidated (R-12.4)"
        for s in p.suspensions:
            if s["kind"] == line["kind"] and s["first"] <= last and first <= last_day(s, at):
                return "overlaps a suspension of the same kind (R-12.4)"
        p.suspensions.append(
            {
                "kind": line["kind"],
                "first": first,
                "last": last,
                "at": at,
                "seq": line["_seq"],
                "lifts": [],
            }
        )
        return None

    def _suspension_lift(self, p: Person, line: dict[str, Any], at: date) -> str | None:
        """R-12.1: ends early the suspensions in force on lifted_on (of its kind when given)."""
        lifted = d(line["lifted_on"])
        assert lifted is not None
        hit = [
            s
            for s in p.suspensions
            if s["first"] <= lifted <= last_day(s, at) and line.get("kind") in (None, s["kind"])
        ]
        if not hit:
            return "no suspension in force that day (R-12.4)"
        for s in hit:
            s["lifts"].append((lifted - DAY, at))
        return None

    def _licence_return(self, p: Person, line: dict[str, Any], at: date) -> str | None:
        on = d(line["returned_on"])
        assert on is not None
        f = fold(p, at, at)
        snap = f.at(at)
        if snap is None or snap.invalidation is None:
            return "no invalidation to return the licence for"
        key = snap.invalidation
        if key in p.returns:
            return "licence already returned"
        if snap.invalidation_start is not None and on < snap.invalidation_start:
            return "returned before the invalidation (R-10.16)"
        p.returns[key] = (on, at)
        return None

    def _end_of_day(self, day_lines: list[dict[str, Any]]) -> None:
        at = d(day_lines[0]["at"])
        assert at is not None
        nephs = {line["neph"] for line in day_lines}
        for neph in nephs:
            p = self.people.get(neph)
            if p is None or not p.licences:
                continue
            f = fold(p, at, at)
            for line in day_lines:  # letter 47 when the credit adds points
                if line["neph"] != neph or line["type"] != "attestation.receive":
                    continue
                if line["id"] in self.refused:
                    continue
                st = p.stages[line["stage_id"]]
                snap = f.at(at)
                if st.granted and snap is not None and snap.credited.get(st.sid, 0) > 0:
                    p.letters.append(Letter("47", at, 10**9 + line["_seq"], stage=st.sid))
            lettered = {x.invalidation for x in p.letters if x.type == "48SI"}
            snap = f.at(at)
            if (
                snap is not None
                and snap.invalidation is not None
                and snap.invalidation not in lettered
            ):
                p.letters.append(
                    Letter("48SI", at, 2 * 10**9, invalidation=snap.invalidation)
                )

    # --- views (CONTRACT §4) ---
    def view(self, neph: str, as_of: date, known_at: date) -> dict[str, Any] | None:
        p = self.people.get(neph)
        if p is None:
            return None
        lics = [x for x in p.licences if x.at <= known_at]
        if not lics or as_of < lics[0].issued_on:
            return None
        f = fold(p, known_at, max(as_of, known_at))
        snap = f.at(as_of)
        if snap is None:
            return None
        lic = f.lic_by_idx(snap.licence)
        assert lic is not None
        status = "valid"
        inv = snap.invalidation
        if inv is not None:
            notified = f.notified.get(inv)
            status = (
                "invalidated"
                if notified is not None and notified <= as_of
                else "invalidation_pending"
            )
        letters = [
            {
                "type": x.type,
                "sent_on": x.sent_on.isoformat(),
                "delivered_on": (
                    x.delivered_on.isoformat()
                    if x.delivered_on is not None
                    and x.delivered_at is not None
                    and x.delivered_at <= known_at
                    and x.delivered_on <= as_of
                    else None
                ),
            }
            for x in sorted(p.letters, key=lambda x: (x.sent_on, x.seq))
            if x.sent_on <= as_of and x.sent_on <= known_at
        ]
        suspensions = [
            {
                "kind": s["kind"],
                "first_day": s["first"].isoformat(),
                "last_day": last_day(s, known_at).isoformat(),
            }
            for s in sorted(p.suspensions, key=lambda s: (s["first"], s["seq"]))
            if s["at"] <= known_at and s["first"] <= as_of
        ]
        if status == "valid" and any(
            s["at"] <= known_at and s["first"] <= as_of <= last_day(s, known_at)
            for s in p.suspensions
        ):
            status = "suspended"
        obligations, flags = self._obligations(p, f, as_of, known_at)
        stages = []
        for st in sorted(p.stages.values(), key=lambda s: (s.first_day, s.seq)):
            if st.known_at > known_at or st.last_day > as_of:
                continue
            known = st.received_at is not None and st.received_at <= known_at
            credit_day = st.last_day + DAY
            points = (
                snap.credited.get(st.sid, 0) if known and st.granted and credit_day <= as_of else 0
            )
            refusal = st.refusal if known and not st.granted and credit_day <= as_of else None
            stages.append(
                {
                    "stage_id": st.sid,
                    "kind": st.kind,
                    "last_day": st.last_day.isoformat(),
                    "points_credited": points,
                    "refusal": refusal,
                }
            )
        possible = None
        if inv is not None:
            ret = p.returns.get(inv)
            notified = f.notified.get(inv)
            if ret and ret[1] <= known_at and ret[0] <= as_of and notified and notified <= as_of:
                when = self._possible(p, f, inv, ret[0])
                possible = when.isoformat() if when else None
        return {
            "neph": neph,
            "as_of": as_of.isoformat(),
            "status": status,
            "balance": snap.balance,
            "ceiling": snap.ceiling,
            "probationary": snap.prob_end is not None,
            "probation_ends_on": snap.prob_end.isoformat() if snap.prob_end else None,
            "letters": letters,
            "obligations": obligations,
            "flags": flags,
            "stages": stages,
            "new_licence_possible_on": possible,
            **({"suspensions": suspensions} if self.corrections else {}),
        }

    def _obligations(
        self, p: Person, f: Fold, as_of: date, known_at: date
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        items: list[tuple[date, int, dict[str, Any]]] = []
        flags: list[tuple[date, date, dict[str, Any]]] = []
        attested = [
            s
            for s in p.stages.values()
            if s.received_at is not None and s.received_at <= known_at and s.kind in POINT_STAGES
        ]
        for letter in p.letters:
            if letter.type != "48N" or letter.sent_on > as_of or letter.sent_on > known_at:
                continue
            cancelled = p.cancels.get(letter.stage or "")
            if cancelled is not None and cancelled <= known_at:
                continue  # the obligation only this infraction's 48N opened
            notified = (
                letter.delivered_on
                if letter.delivered_at is not None and letter.delivered_at <= known_at
                else None
            )
            due = (
                add_months(notified, param("mandatory_stage_months", notified) or 4)
                if notified
                else None
            )
            shown_due = due if notified is not None and notified <= as_of else None
            qualifying = [
                s
                for s in attested
                if s.first_day >= letter.sent_on and (due is None or s.last_day <= due)
            ]
            q = min(qualifying, key=lambda s: (s.last_day, s.seq)) if qualifying else None
            breach = (
                due + timedelta(days=param("stage_attestation_days", due) or 15) if due else None
            )
            status = "open"
            received = q.received_on if q else None
            if (
                q is not None
                and q.last_day <= as_of
                and (
                    breach is None
                    or as_of < breach
                    or (received is not None and received <= as_of)
                    or (received is not None and received < breach)
                )
            ):
                status = "fulfilled"
            elif shown_due is not None and breach is not None and breach <= as_of:
                status = "breached"
                assert letter.delivered_at is not None
                raised = max(breach, letter.delivered_at)
                if raised <= as_of:
                    flags.append(
                        (
                            raised,
                            breach,
                            {
                                "kind": "non_compliance",
                                "raised_on": raised.isoformat(),
                                "fine_max_eur": param("non_compliance_fine_max_eur", breach),
                                "suspension_max_years": param(
                                    "non_compliance_suspension_max_years", breach
                                ),
                            },
                        )
                    )
            items.append(
                (
                    letter.sent_on,
                    letter.seq,
                    {
                        "kind": "mandatory_stage",
                        "due_on": shown_due.isoformat() if shown_due else None,
                        "status": status,
                    },
                )
            )
        for letter in p.letters:
            if letter.type != "48SI" or letter.delivered_on is None:
                continue
            if (
                letter.delivered_at is None
                or letter.delivered_at > known_at
                or letter.delivered_on > as_of
            ):
                continue
            key = letter.invalidation
            annulled = f.annulled.get(key)
            if annulled is not None and annulled <= as_of:
                continue
            if key not in f.invalidations:  # a credit dated before it undid it
                continue
            due = jours_francs(
                letter.delivered_on, param("licence_return_jours_francs", letter.delivered_on) or 10
            )
            ret = p.returns.get(key)
            returned = ret[0] if ret and ret[1] <= known_at else None
            if returned is not None and returned <= as_of:
                status = "fulfilled"
            elif as_of > due:
                status = "breached"
                raised = max(due + DAY, letter.delivered_at)
                if raised <= as_of:
                    flags.append(
                        (
                            raised,
                            due + DAY,
                            {"kind": "licence_not_returned", "raised_on": raised.isoformat()},
                        )
                    )
            else:
                status = "open"
            items.append(
                (
                    letter.delivered_on,
                    letter.seq,
                    {"kind": "licence_return", "due_on": due.isoformat(), "status": status},
                )
            )
        for st in p.stages.values():
            if st.kind not in POINT_STAGES or st.known_at > known_at:
                continue
            breach = st.last_day + timedelta(
                days=(param("stage_attestation_days", st.last_day) or 15) + 1
            )
            received = (
                st.received_on
                if st.received_at is not None and st.received_at <= known_at
                else None
            )
            if received is not None and received < breach:
                continue
            raised = max(breach, st.known_at)
            if raised > as_of or (received is not None and received <= as_of):
                continue
            flags.append(
                (raised, breach, {"kind": "attestation_overdue", "raised_on": raised.isoformat()})
            )
        items.sort(key=lambda x: (x[0], x[1]))
        flags.sort(key=lambda x: (x[0], x[1]))
        return [x[2] for x in items], [x[2] for x in flags]
