"""The journal (CONTRACT §1): every line validated with pydantic before anything is applied."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    TypeAdapter,
    ValidationError,
    model_validator,
)

from domain.glossary import OFFENCE_CLASSES
from domain.law import current_law
from services.formats import NEPH_PATTERN, iso_date


def _legal_date(value: Any) -> date:
    return value if isinstance(value, date) else iso_date(value)


LegalDate = Annotated[date, BeforeValidator(_legal_date)]
Neph = Annotated[str, Field(pattern=NEPH_PATTERN, strict=True)]
Ident = Annotated[str, Field(min_length=1, max_length=128, strict=True)]
Text = Annotated[str, Field(min_length=1, max_length=256, strict=True)]


class Line(BaseModel):
    """Fields every line has."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    id: Ident
    at: LegalDate
    neph: Neph


class Address(BaseModel):
    """A postal address in France as La Poste prints it (issue 14: letters that can be mailed)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    line1: Text  # number and street
    line2: Text | None = None  # building, lieu-dit, BP
    postcode: Annotated[str, Field(pattern=r"^[0-9]{5}$", strict=True)]
    city: Text


class Holder(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    surname: Text | None = None
    given_names: Text | None = None
    birth_date: LegalDate | None = None
    address: Address | None = None


class IssueLicence(Line):
    type: Literal["licence.issue"]
    issued_on: LegalDate
    route: Literal["traditional", "aac", "supervised"]
    probationary: StrictBool = True
    points: Annotated[StrictInt, Field(ge=0, le=12)] | None = None
    holder: Holder | None = None

    @model_validator(mode="after")
    def _points_only_when_taken_over(self) -> IssueLicence:
        if self.points is not None and self.probationary:
            raise ValueError("points: only for a non-probationary licence (R-1.2)")
        return self


class CompleteTraining(Line):
    type: Literal["training.complementary"]
    completed_on: LegalDate


class RecordInfraction(Line):
    type: Literal["infraction.record"]
    infraction_id: Ident
    offence: Annotated[str, Field(min_length=1, max_length=64, strict=True)]
    committed_on: LegalDate
    occasion: Ident | None = None
    offence_class: Literal["C1", "C2", "C3", "C4", "C5", "D"] | None = Field(
        default=None, alias="class"
    )
    points: Annotated[StrictInt, Field(ge=0, le=6)] | None = None

    @model_validator(mode="after")
    def _catalogue_or_explicit(self) -> RecordInfraction:
        if self.offence not in current_law().offences and (
            self.offence_class is None or self.points is None
        ):
            raise ValueError(
                f"offence {self.offence!r} is not in the catalogue: give both class "
                f"({'/'.join(OFFENCE_CLASSES)}) and points"
            )
        return self


class EstablishInfraction(Line):
    type: Literal["infraction.establish"]
    infraction_id: Ident
    established_on: LegalDate
    basis: Literal["fine_paid", "increased_fine_title", "composition_penale", "final_conviction"]


class DeliverLetter(Line):
    type: Literal["letter.delivered"]
    letter: Literal["48", "48M", "48N", "48SI", "47"]
    delivered_on: LegalDate


class CompleteStage(Line):
    type: Literal["stage.complete"]
    stage_id: Ident
    kind: Literal["voluntary", "mandatory", "composition_penale", "complementary_penalty"]
    first_day: LegalDate
    last_day: LegalDate
    centre: Text | None = None

    @model_validator(mode="after")
    def _two_consecutive_days(self) -> CompleteStage:
        if self.last_day != self.first_day + timedelta(days=1):
            raise ValueError("last_day: a stage lasts 2 consecutive days (R-5.2)")
        return self


class ReceiveAttestation(Line):
    type: Literal["attestation.receive"]
    stage_id: Ident
    received_on: LegalDate


class ReturnLicence(Line):
    type: Literal["licence.return"]
    returned_on: LegalDate


class CancelInfraction(Line):
    """R-11.1: the infraction's réalité fell, or it was recorded on the wrong licence."""

    type: Literal["infraction.cancel"]
    infraction_id: Ident
    cancelled_on: LegalDate
    ground: Literal["acquittal", "administrative_annulment", "designation", "recording_error"]
    reference: Text | None = None


class RecordSuspension(Line):
    """R-12.1: the right to drive suspended; the order of the days is a rule (R-12.4)."""

    type: Literal["suspension.record"]
    kind: Literal["administrative", "judicial"]
    first_day: LegalDate
    last_day: LegalDate
    reference: Text | None = None


class LiftSuspension(Line):
    """R-12.1: the suspensions in force on `lifted_on` (of `kind` when given) end early."""

    type: Literal["suspension.lift"]
    lifted_on: LegalDate
    kind: Literal["administrative", "judicial"] | None = None


class UpdateHolder(Line):
    """The holder moved: letters from `at` on go to the new address (issue 14)."""

    type: Literal["holder.update"]
    address: Address


Command = Annotated[
    IssueLicence
    | CompleteTraining
    | RecordInfraction
    | EstablishInfraction
    | DeliverLetter
    | CompleteStage
    | ReceiveAttestation
    | ReturnLicence
    | CancelInfraction
    | RecordSuspension
    | LiftSuspension
    | UpdateHolder,
    Field(discriminator="type"),
]
_COMMAND: TypeAdapter[Command] = TypeAdapter(Command)
COMMAND_TYPES = (
    "licence.issue",
    "training.complementary",
    "infraction.record",
    "infraction.establish",
    "letter.delivered",
    "stage.complete",
    "attestation.receive",
    "licence.return",
    "infraction.cancel",
    "suspension.record",
    "suspension.lift",
    "holder.update",
)


@dataclass(frozen=True)
class JournalLine:
    """A valid line, its number in the file and the hash of its content (the idempotency check)."""

    number: int
    command: Command
    digest: str
    raw: str  # the line as a canonical JSON object, kept with its receipt


@dataclass(frozen=True)
class LineError:
    """What is wrong with a line, and where."""

    number: int
    message: str

    def __str__(self) -> str:
        return f"line {self.number}: {self.message}"


def canonical(raw: dict[str, Any]) -> str:
    """A line's content as JSON independent of key order and spacing."""
    return json.dumps(raw, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def digest(raw: dict[str, Any]) -> str:
    """Hash of a line's content, independent of key order and spacing."""
    return hashlib.sha256(canonical(raw).encode()).hexdigest()


def _describe(error: ValidationError) -> str:
    parts = []
    for e in error.errors():
        where = ".".join(str(p) for p in e["loc"] if not str(p).startswith(("function-", "tagged")))
        where = re.sub(
            r"^(licence|training|infraction|letter|stage|attestation|suspension|holder)\.[a-z]+\.?",
            "",
            where,
        )
        message = e["msg"].removeprefix("Value error, ")
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts)


def parse_object(raw: Any, number: int) -> JournalLine | LineError:
    """One decoded JSON value to a command, or the reason it is malformed."""
    if not isinstance(raw, dict):
        return LineError(number, "expected a JSON object")
    if "type" not in raw:
        return LineError(number, "type: field required")
    if raw["type"] not in COMMAND_TYPES:
        return LineError(
            number,
            f"type: unknown type {raw['type']!r} (expected one of {', '.join(COMMAND_TYPES)})",
        )
    try:
        command = _COMMAND.validate_python(raw)
    except ValidationError as error:
        return LineError(number, _describe(error))
    return JournalLine(number, command, digest(raw), canonical(raw))


def parse_journal(text: str) -> tuple[list[JournalLine], list[LineError]]:
    """Every line of a JSON Lines journal, and every error with its line number (CONTRACT §1)."""
    lines: list[JournalLine] = []
    errors: list[LineError] = []
    # JSON Lines ends a line with "\n" (or "\r\n") only: `str.splitlines` would also cut at
    # U+2028, U+2029, U+0085 and other breaks that JSON allows raw inside a string.
    for parsed in read_journal(text.split("\n")):
        if isinstance(parsed, LineError):
            errors.append(parsed)
        else:
            lines.append(parsed)
    return lines, errors


def read_journal(contents: Iterable[str | bytes]) -> Iterator[JournalLine | LineError]:
    """Each line of a journal in turn, parsed or with its error (CONTRACT §1), keeping none: a
    file of any size is read in constant memory (issue 17). `contents` are the lines without
    their "\n", as text or as the file's UTF-8 bytes."""
    previous_at: date | None = None
    for number, content in enumerate(contents, start=1):
        if isinstance(content, bytes):
            try:
                content = content.decode("utf-8")
            except UnicodeDecodeError as error:
                yield LineError(
                    number, f"not valid UTF-8 ({error.reason} at byte {error.start + 1})"
                )
                continue
        parsed = parse_line(number, content.removesuffix("\r"))
        if parsed is None:
            continue
        if isinstance(parsed, JournalLine):
            if previous_at is not None and parsed.command.at < previous_at:
                yield LineError(
                    number,
                    f"at: {parsed.command.at} is earlier than the previous line's {previous_at}",
                )
                previous_at = parsed.command.at
                continue
            previous_at = parsed.command.at
        yield parsed


def parse_line(number: int, content: str) -> JournalLine | LineError | None:
    """One line of a journal (without its line break): None when blank."""
    if not content.strip():
        return None
    try:
        raw = json.loads(content)
    except json.JSONDecodeError as error:
        return LineError(number, f"not valid JSON ({error.msg} at column {error.colno})")
    return parse_object(raw, number)
