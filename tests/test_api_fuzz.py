"""Property-based fuzzing of the HTTP API from its own OpenAPI document (schemathesis).

Every operation gets generated requests, valid and invalid, with an operator's token: the API must
never answer 5xx, only the status codes it documents, with bodies that match its schemas.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis import APIOperation, GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from web_support import DEMO_NEPHS, OPERATOR, Backoffice, backoffice, load_demo

from infrastructure.settings import Settings
from services.bootstrap import build

MAX_EXAMPLES = 60
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backoffice]:
    path: Path = tmp_path_factory.mktemp("fuzz") / "store.sqlite"
    service = build(Settings(database_url=f"sqlite:///{path}"))
    load_demo(service)
    yield backoffice(service, f"sqlite:///{path}")
    service.store.close()


@pytest.fixture(scope="module")
def operator_headers(fuzzed: Backoffice) -> dict[str, str]:
    with TestClient(fuzzed.app) as client:
        token = client.post("/api/token", data={"username": OPERATOR[0], "password": OPERATOR[1]})
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


def operations(app: FastAPI) -> list[APIOperation]:
    document = schemathesis.openapi.from_asgi("/openapi.json", app)
    return [result.ok() for result in document.get_all_operations()]  # type: ignore[union-attr]


LABELS = [
    "POST /api/token",
    "GET /api/me",
    "GET /api/clock",
    "GET /api/licences/{neph}",
    "GET /api/licences/{neph}/audit",
    "POST /api/journal",
    "POST /api/consultation",
    "GET /api/reports/compliance",
    "GET /api/licences/{neph}/forecast",
    "GET /api/licences/{neph}/stage-advice",
    "POST /api/licences/{neph}/what-if",
    "GET /api/licences/{neph}/records/{kind}",
    "GET /api/licences/{neph}/records/{kind}/pdf",
    "GET /api/records/{code}",
]


def test_every_operation_is_fuzzed(fuzzed: Backoffice) -> None:
    assert sorted(o.label for o in operations(fuzzed.app)) == sorted(LABELS)


WITHOUT_INPUT = {"GET /api/me", "GET /api/clock"}  # nothing to make invalid
CASES = [
    pytest.param(label, mode, id=f"{label}-{mode.value}")
    for label in LABELS
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    if not (mode == GenerationMode.NEGATIVE and label in WITHOUT_INPUT)
]


@pytest.mark.parametrize(("label", "mode"), CASES)
def test_no_operation_answers_5xx_or_off_its_document(
    fuzzed: Backoffice, operator_headers: dict[str, str], label: str, mode: GenerationMode
) -> None:
    """No 5xx; documented statuses, content types and schemas only (CONTRACT §6)."""
    operation = next(o for o in operations(fuzzed.app) if o.label == label)
    headers = {} if label == "POST /api/token" else operator_headers

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=10
        if label == "POST /api/token"
        else MAX_EXAMPLES,  # argon2 is slow on purpose
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def fuzz(case: schemathesis.Case) -> None:
        response = case.call(headers=headers)
        case.validate_response(response, checks=CHECKS)

    fuzz()


def test_journal_lines_on_the_clock_reach_the_rules_without_5xx(
    fuzzed: Backoffice, operator_headers: dict[str, str]
) -> None:
    """Generated lines moved to the clock and onto the demo licences: applied or refused, never 5xx."""
    operation = next(o for o in operations(fuzzed.app) if o.label == "POST /api/journal")
    clock = fuzzed.service.clock()
    assert clock is not None
    outcomes: Counter[int] = Counter()

    @given(case=operation.as_strategy(generation_mode=GenerationMode.POSITIVE))
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def fuzz(case: schemathesis.Case) -> None:
        for n, line in enumerate(case.body if isinstance(case.body, list) else []):
            if isinstance(line, dict):
                line["at"] = clock.isoformat()
                line["neph"] = DEMO_NEPHS[n % len(DEMO_NEPHS)]
        response = case.call(headers=operator_headers)
        outcomes[response.status_code] += 1
        case.validate_response(response, checks=CHECKS)

    fuzz()
    assert outcomes[200] + outcomes[409] > 0, outcomes  # some lines reached the rules
