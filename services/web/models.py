"""The HTTP API's bodies (pydantic), as the OpenAPI document describes them (CONTRACT §6)."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from infrastructure.users import Role
from services.formats import NEPH_PATTERN


class Token(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"


class Me(BaseModel):
    name: str
    role: Role


class ErrorItem(BaseModel):
    """One thing wrong with a request: where (field, and for the journal index/line) and why."""

    field: str | None = Field(
        description="the field at fault (dotted path), null for the whole body"
    )
    reason: str
    index: int | None = Field(default=None, description="journal: 0-based position in the array")
    line: int | None = Field(default=None, description="journal: 1-based line number, as the CLI")


class ErrorBody(BaseModel):
    detail: str
    errors: list[ErrorItem] = Field(default_factory=list)


class ClockInfo(BaseModel):
    clock: date | None = Field(description="the date up to which time-driven rules were applied")


class _Open(BaseModel):
    # The view may grow fields (CONTRACT §4: more are welcome): they pass through unchanged.
    model_config = ConfigDict(extra="allow")


class LetterItem(_Open):
    type: Literal["48", "48M", "48N", "48SI", "47"]
    sent_on: date
    delivered_on: date | None


class ObligationItem(_Open):
    kind: Literal["mandatory_stage", "licence_return"]
    due_on: date | None
    status: Literal["open", "fulfilled", "breached"]


class FlagItem(_Open):
    kind: Literal["non_compliance", "licence_not_returned", "attestation_overdue"]
    raised_on: date


class StageItem(_Open):
    stage_id: str
    kind: str
    last_day: date
    points_credited: int
    refusal: str | None


class LicenceView(_Open):
    """The licence view of CONTRACT §4, the same JSON as `permis licence show --json`."""

    neph: str
    as_of: date
    status: Literal["valid", "invalidation_pending", "invalidated", "suspended"]
    balance: int = Field(ge=0, le=12)
    ceiling: int
    probationary: bool
    probation_ends_on: date | None
    letters: list[LetterItem]
    obligations: list[ObligationItem]
    flags: list[FlagItem]
    stages: list[StageItem]
    new_licence_possible_on: date | None


class AuditEntry(BaseModel):
    """One event of a licence's history (`permis audit --json`)."""

    position: int
    event: str
    effective_on: date
    recorded_on: date
    rule: str
    article: str
    reason: str
    command_id: str | None
    actor: str | None
    policy: str
    timestamp: str
    details: dict[str, Any]


class RefusalItem(BaseModel):
    index: int = Field(description="0-based position in the posted array")
    line: int = Field(description="1-based, as `permis import` numbers lines")
    id: str
    reason: str


class JournalSummary(BaseModel):
    """What `permis import` prints: applied, skipped, refused, and each refusal."""

    applied: int
    skipped: int
    refused: int
    refusals: list[RefusalItem]


class ConsultationRequest(BaseModel):
    """A holder's NEPH and confidential code (R-8.1)."""

    model_config = ConfigDict(extra="forbid")

    neph: str = Field(pattern=NEPH_PATTERN, description="12 digits")
    code: str = Field(min_length=1, max_length=32)


class ComplianceItem(BaseModel):
    """One row of the compliance report (`services.reports.COLUMNS`)."""

    neph: str
    record: Literal["obligation", "flag"]
    kind: str
    status: str
    opened_on: date | None
    due_on: date | None
    raised_on: date | None
    centre: str | None
    fine_max_eur: int | None
    suspension_max_years: int | None
    ref: str


class AwaitingNotification(BaseModel):
    neph: str
    letter: Literal["48SI"]
    sent_on: date


class ComplianceReport(BaseModel):
    """`permis report compliance --format json` (CONTRACT §3, §6)."""

    as_of: date
    items: list[ComplianceItem]
    invalidations_awaiting_notification: list[AwaitingNotification]
    summary: dict[str, Any]
