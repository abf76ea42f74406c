"""The HTTP API's bodies for holders' questions: forecast, stage advice, what if, relevés (issue 18)."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.journal import LegalDate
from services.web.models import LicenceView


class ConditionItem(BaseModel):
    """What would break (or, for a deadline, prevent) a forecast effect."""

    key: str = Field(description="infraction_in_window, withdrawal_in_probation, …")
    values: dict[str, Any]
    text: str = Field(description="the same in French")


class ForecastEffect(BaseModel):
    """One effect the tick will record if nothing else happens."""

    due_on: date
    event: str = Field(description="the event the tick records (PointsRestored, …)")
    label: str
    rule: str
    article: str
    points: int | None = Field(description="added within the ceiling; null for a deadline")
    balance_after: int
    ceiling_after: int
    subject: str
    reason: str
    breaks: list[ConditionItem]


class Forecast(BaseModel):
    """`permis licence forecast --json`."""

    neph: str
    as_of: date = Field(description="the clock: the forecast starts after it")
    balance: int
    ceiling: int
    status: str
    effects: list[ForecastEffect]


class DeadlineItem(BaseModel):
    obligation: str
    from_: date = Field(alias="from")
    due_on: date | None
    fulfilled: bool = Field(description="by the stage advised on")


class InvalidationItem(BaseModel):
    decided_on: date
    notified_on: date | None
    annulled: bool = Field(description="by the stage advised on (R-5.5)")


class RefusalReason(BaseModel):
    rule: str
    reason: str


class StageAdvice(BaseModel):
    """`permis licence stage-advice --json` (R-5.3 to R-5.6, R-10.14)."""

    as_of: date
    earliest_first_day: date
    blocking_stage: str | None
    awaiting_attestation: list[str]
    first_day: date
    last_day: date
    credit_on: date
    credited: bool
    points: int
    refusal: RefusalReason | None
    balance_before: int
    balance_after: int
    ceiling: int
    mandatory_stage_deadlines: list[DeadlineItem]
    invalidation: InvalidationItem | None
    summary: str
    notes: list[str]


class WhatIfRequest(BaseModel):
    """A hypothetical infraction: nothing is recorded."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    offence: str = Field(min_length=1, max_length=64, description="a key of offences.md")
    committed_on: LegalDate
    established_on: LegalDate = Field(description="the day its réalité is established")
    occasion: str | None = Field(default=None, min_length=1, max_length=128)
    offence_class: Literal["C1", "C2", "C3", "C4", "C5", "D"] | None = Field(
        default=None, alias="class", description="outside the catalogue only"
    )
    points: int | None = Field(default=None, ge=0, le=6, description="outside the catalogue only")


class DecisionItem(BaseModel):
    event: str
    effective_on: date
    rule: str
    reason: str


class WhatIf(BaseModel):
    """`permis licence what-if --json`: before and after, on a copy."""

    decided_on: date
    refused: str | None
    points_withdrawn: int | None
    letter: str | None
    letter_title: str | None
    before: LicenceView
    after: LicenceView
    decisions: list[DecisionItem]
    obligations: list[str]
    forecast_before: list[ForecastEffect]
    forecast_after: list[ForecastEffect]
    broken: list[ForecastEffect]
    new: list[ForecastEffect]


class RecordBody(BaseModel):
    """A relevé: its verification code and what it says."""

    code: str
    kind: Literal["integral", "restricted"]
    neph: str
    as_of: date
    known_at: date
    content: dict[str, Any]


class VerificationBody(BaseModel):
    """The answer to a verification code, for anyone: genuine and what it said, or refused."""

    genuine: bool
    message: str
    record: RecordBody | None
