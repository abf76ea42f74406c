"""The POLICY settings of the rule book: named, documented, with the rule book's defaults."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Policy:
    """Each field is one POLICY of RULES.md; the default is the rule book's.

    - `jours_francs_extra_day` (R-0.4): neither the day of receipt nor the last day counts, so a
      delay of N jours francs ends on receipt + N + 1, moved to the next working day.
    - `probation_gain_claw_back` (R-1.4): False = a gain already credited is never taken back by an
      infraction established after the anniversary.
    - `letter_48m_for_low_balance` (R-3.1): send a registered 48M when a non-probationary balance
      falls to `low_balance_threshold` (dated law) or less.
    - `revoke_restorations_on_late_knowledge` (R-4.4): revoke, by an explicit event, a restoration
      whose window is broken by an infraction established only later.
    - `stage_interval_from_first_day` (R-5.4): a stage is credited when its first day is on or after
      the anniversary of the first day of the previous credited stage.
    - `mandatory_stage_fulfilled_without_credit` (R-5.6): a qualifying stage refused credit under
      R-5.4 still fulfils the mandatory-stage obligation.
    - `mandatory_stage_grace_days` (R-6.1): the obligation stays open that many days after its due
      date (time for the attestation), then is breached and flagged.
    - `consultation_max_attempts`, `consultation_lock_minutes` (R-8.3): wrong codes before a lock.
    """

    jours_francs_extra_day: bool = True
    probation_gain_claw_back: bool = False
    letter_48m_for_low_balance: bool = True
    revoke_restorations_on_late_knowledge: bool = True
    stage_interval_from_first_day: bool = True
    mandatory_stage_fulfilled_without_credit: bool = True
    mandatory_stage_grace_days: int = 15
    consultation_max_attempts: int = 5
    consultation_lock_minutes: int = 15

    def fingerprint(self) -> str:
        """A short hash of the values, recorded on the events they influenced (design hint 8)."""
        canonical = json.dumps(asdict(self), sort_keys=True).encode()
        return hashlib.sha256(canonical).hexdigest()[:12]


DEFAULT_POLICY = Policy()
