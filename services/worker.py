"""The deadline process manager: tick the store to today, then once a day (CONTRACT §6).

Missed days are applied one by one, in date order (R-6.4), each through `Licensing.tick`, which
saves a day's effects in batches that carry their own due-date index rows (and, last, the clock)
in the same transaction as the events. Hence:

- killed at any point, a worker loses at most the batch in flight: what was saved is no longer
  due, the clock says which day to resume from, and every time-driven event records its own due
  date, so the end state is the one an uninterrupted run reaches;
- two workers at once cannot both record an effect: the second save of a licence version fails
  with `IntegrityError`, and the loser simply ticks the day again, when the winner's licences are
  no longer due. A PostgreSQL advisory lock makes them take turns, but is not relied upon.

After each run that had days to tick, the read models are brought up to date from the event
stream, as after `permis tick` (`projections.catch_up.after_write`).
"""

from __future__ import annotations

import os
import random
import signal
import socket
import threading
import time
from dataclasses import dataclass
from datetime import date, timedelta
from types import FrameType

import structlog
from eventsourcing.persistence import IntegrityError

from infrastructure.clock import Clock
from infrastructure.worker_lock import advisory_lock
from projections.catch_up import after_write
from services import metrics
from services.licensing import Licensing, UsageError

log = structlog.get_logger("permis.worker")

ONE_DAY = timedelta(days=1)
WAKE_AFTER_MIDNIGHT = 60.0  # seconds of margin, so that the wake-up surely falls on the new day
MAX_SLEEP = 3600.0  # re-read the clock hourly: a suspended host or a changed clock is noticed


class WorkerGaveUp(Exception):
    """A day's tick kept colliding with other writers (R-6.4: the day is left for the next run)."""

    def __init__(self, day: date, attempts: int) -> None:
        super().__init__(f"tick to {day}: still conflicting after {attempts} attempts")
        self.day = day
        self.attempts = attempts


@dataclass
class CatchUp:
    """What one catch-up run did."""

    days: int = 0
    # Counted from each day's completed tick: a batch saved just before a conflict is not.
    effects: int = 0
    conflicts: int = 0
    clock: date | None = None
    stopped: bool = False


class Worker:
    """Ticks the store up to the clock's today, day by day, and keeps it there."""

    def __init__(
        self,
        service: Licensing,
        clock: Clock,
        *,
        use_lock: bool = True,
        max_attempts: int = 50,
        retry_pause: float = 0.05,
        max_sleep: float = MAX_SLEEP,
        stop: threading.Event | None = None,
    ) -> None:
        self.service = service
        self.clock = clock
        self.use_lock = use_lock
        self.max_attempts = max_attempts
        self.retry_pause = retry_pause
        self.max_sleep = max_sleep
        self.stop = stop or threading.Event()
        self.stopped_by: str | None = None  # the signal that set `stop`, if one did

    # --- one run -------------------------------------------------------------------------------

    def catch_up(self, today: date | None = None) -> CatchUp:
        """Apply every day from the store's clock to today, in date order (R-6.4, R-0.5)."""
        today = today or self.clock.today()
        run = CatchUp(clock=self.service.clock())
        if run.clock is not None and run.clock >= today:
            return run  # the common case of a wake-up: nothing to take a lock for
        started = time.monotonic()
        try:
            self._days_in_turn(today, run, started)
        finally:
            # The read models follow the event stream, as after `permis tick` (README), also after
            # a run cut short by a conflict or a signal: what was saved is projected. The days
            # ticked stand even if this fails; the next write catches the read models up.
            after_write(self.service)
        run.stopped = self.stop.is_set() and (run.clock is None or run.clock < today)
        summary = {
            "today": today.isoformat(),
            "clock": run.clock.isoformat() if run.clock else None,
            "days": run.days,
            "effects": run.effects,
            "conflicts": run.conflicts,
            "seconds": round(time.monotonic() - started, 3),
        }
        if run.stopped:
            log.info("worker.interrupted", signal=self.stopped_by, **summary)
        else:
            log.info("worker.caught_up", **summary)
        return run

    def _days_in_turn(self, today: date, run: CatchUp, started: float) -> None:
        """`_days`, holding the advisory lock unless told not to (it is not relied upon)."""
        if not self.use_lock:
            self._days(today, run)
            return
        with advisory_lock(self.service.store, self.stop) as held:
            if held:
                log.info("worker.lock.held", waited_s=round(time.monotonic() - started, 3))
                self._days(today, run)

    def _days(self, today: date, run: CatchUp) -> None:
        # The clock is read again before every day: another worker may have moved it meanwhile.
        while not self.stop.is_set():
            clock = self.service.clock()
            run.clock = clock
            if clock is not None and clock >= today:
                return
            # A fresh store has no licence yet (an import sets the clock): nothing can be due.
            day = today if clock is None else clock + ONE_DAY
            started = time.monotonic()
            effects = self._tick(day, run)
            if effects is None:
                continue
            run.days += 1
            run.effects += effects
            run.clock = day
            log.info(
                "worker.day",
                day=day.isoformat(),
                effects=effects,
                seconds=round(time.monotonic() - started, 3),
            )

    def _tick(self, day: date, run: CatchUp) -> int | None:
        """`tick(day)`, again after a conflict; None when another worker got past `day` first."""
        for attempt in range(1, self.max_attempts + 1):
            try:
                effects = self.service.tick(day)
                metrics.TICKS.inc()
                metrics.TICK_EFFECTS.inc(effects)
                return effects
            except IntegrityError as error:
                # Another writer saved one of the batch's licences first; its effects are saved
                # and no longer due, so ticking the same day again redoes only what is left.
                run.conflicts += 1
                if self.stop.is_set():
                    return None
                log.warning(
                    "worker.conflict", day=day.isoformat(), attempt=attempt, error=str(error)[:200]
                )
                self.stop.wait(self.retry_pause * attempt * random.uniform(0.5, 1.5))
            except UsageError:
                return None  # the clock is past `day` already: re-read it
        raise WorkerGaveUp(day, self.max_attempts)

    # --- the long-running process --------------------------------------------------------------

    def run_forever(self) -> None:
        """Catch up now, then after the start of every new day, until stopped (SIGTERM)."""
        log.info("worker.start", pid=os.getpid(), host=socket.gethostname(), lock=self.use_lock)
        while not self.stop.is_set():
            today = self.clock.today()
            self.catch_up(today)
            until_tomorrow = self.clock.seconds_until(today + ONE_DAY)
            pause = min(until_tomorrow + WAKE_AFTER_MIDNIGHT, self.max_sleep)
            log.debug("worker.sleep", seconds=round(pause, 1))
            self.stop.wait(pause)
        log.info("worker.stop", pid=os.getpid(), signal=self.stopped_by)

    def install_signal_handlers(self) -> None:
        """SIGTERM, SIGINT: finish the day being ticked, then stop; the rest is caught up later."""

        def request_stop(signum: int, _frame: FrameType | None) -> None:
            # No logging here: the handler may interrupt a log write that holds the output's lock.
            self.stopped_by = signal.Signals(signum).name
            self.stop.set()

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
