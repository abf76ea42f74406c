"""Issue 13 through `POST /api/journal` (CONTRACT §6): cancellations and suspensions are lines like
any other: applied (200), malformed (422, nothing applied), refused (409), idempotent."""

from __future__ import annotations

from fastapi.testclient import TestClient
from test_api import NEPH, auditor, client, office, operator  # noqa: F401 (fixtures)
from web_support import Backoffice, demo_line

import services.preview


def test_r11_1_r12_1_the_api_applies_cancellations_and_suspensions_idempotently(
    client: TestClient,  # noqa: F811
    operator: dict[str, str],  # noqa: F811
    auditor: dict[str, str],  # noqa: F811
    office: Backoffice,  # noqa: F811
) -> None:
    """R-11.1, R-11.2, R-12.2: the points come back, the status is suspended, the audit trail
    lists both; the same lines again are skipped."""
    lines = [
        demo_line(
            id="k-1",
            type="infraction.record",
            neph=NEPH,
            infraction_id="k9",
            offence="seat_belt",
            committed_on="2026-02-20",
        ),
        demo_line(
            id="k-2",
            type="infraction.establish",
            neph=NEPH,
            infraction_id="k9",
            established_on="2026-02-28",
            basis="fine_paid",
        ),
    ]
    before = client.get(f"/api/licences/{NEPH}", headers=auditor).json()["balance"]
    assert client.post("/api/journal", headers=operator, json=lines).status_code == 200
    corrections = [
        demo_line(
            id="k-3",
            type="infraction.cancel",
            neph=NEPH,
            infraction_id="k9",
            cancelled_on="2026-03-01",
            ground="acquittal",
            reference="TP-1",
        ),
        demo_line(
            id="k-4",
            type="suspension.record",
            neph=NEPH,
            kind="administrative",
            first_day="2026-03-01",
            last_day="2026-05-31",
        ),
    ]
    first = client.post("/api/journal", headers=operator, json=corrections)
    assert first.status_code == 200, first.text
    assert first.json()["applied"] == 2
    view = client.get(f"/api/licences/{NEPH}", headers=auditor).json()
    assert view["balance"] == before
    assert view["status"] == "suspended"
    assert view["suspensions"] == [
        {
            "kind": "administrative",
            "first_day": "2026-03-01",
            "last_day": "2026-05-31",
            "reference": None,
            "lifted_on": None,
        }
    ]
    trail = client.get(f"/api/licences/{NEPH}/audit", headers=auditor).json()
    events = {e["event"]: e for e in trail if e["command_id"] in ("k-3", "k-4")}
    assert events["InfractionCancelled"]["rule"] == "R-11.1"
    assert events["SuspensionRecorded"]["rule"] == "R-12.1"
    again = client.post("/api/journal", headers=operator, json=corrections)
    assert again.status_code == 200
    assert again.json() == {"applied": 0, "skipped": 2, "refused": 0, "refusals": []}


def test_r11_4_r12_4_refusals_are_409_and_bad_grounds_422(
    client: TestClient,  # noqa: F811
    operator: dict[str, str],  # noqa: F811
    office: Backoffice,  # noqa: F811
) -> None:
    """R-11.4, R-12.4: refused by the rules (409, each reason); a bad ground is malformed (422)."""
    refused = [
        demo_line(
            id="q-1",
            type="infraction.cancel",
            neph=NEPH,
            infraction_id="nothing",
            cancelled_on="2026-03-01",
            ground="designation",
        ),
        demo_line(
            id="q-2",
            type="suspension.record",
            neph=NEPH,
            kind="judicial",
            first_day="2026-03-01",
            last_day="2026-02-01",
        ),
        demo_line(id="q-3", type="suspension.lift", neph=NEPH, lifted_on="2026-03-01"),
    ]
    response = client.post("/api/journal", headers=operator, json=refused)
    assert response.status_code == 409
    reasons = [r["reason"] for r in response.json()["refusals"]]
    assert "R-11.4" in reasons[0] and "R-12.4" in reasons[1] and "R-12.4" in reasons[2]
    malformed = [{**refused[0], "id": "q-4", "ground": "mercy"}]
    bad = client.post("/api/journal", headers=operator, json=malformed)
    assert bad.status_code == 422
    assert "ground" in bad.text
    assert office.service.store.permis.select_receipts(["q-4"]) == {}


def test_r11_3_a_preview_shows_the_consequences_and_saves_nothing(
    office: Backoffice,  # noqa: F811
) -> None:
    """R-11.3, R-12.2: `Licensing.preview` decides a line on a copy: the points it would give
    back, the status it would show, or the refusal; the store is unchanged."""
    from services.journal import parse_object

    service = office.service
    record = demo_line(
        id="p-1",
        type="infraction.record",
        neph=NEPH,
        infraction_id="p9",
        offence="red_light",
        committed_on="2026-02-20",
    )
    establish = demo_line(
        id="p-2",
        type="infraction.establish",
        neph=NEPH,
        infraction_id="p9",
        established_on="2026-02-28",
        basis="fine_paid",
    )
    service.import_lines([parse_object(record, 1), parse_object(establish, 2)])  # type: ignore[list-item]
    balance = service.view(NEPH)["balance"]
    cancel = parse_object(
        demo_line(
            id="p-3",
            type="infraction.cancel",
            neph=NEPH,
            infraction_id="p9",
            cancelled_on="2026-03-01",
            ground="acquittal",
        ),
        1,
    )
    preview = services.preview.preview(service, cancel.command)  # type: ignore[union-attr]
    assert preview.refusal is None
    assert preview.balance_before == balance
    assert preview.balance_after is not None and preview.balance_after > balance
    assert preview.decisions[0] == "InfractionCancelled"
    assert service.view(NEPH)["balance"] == balance
    assert service.store.permis.select_receipts(["p-3"]) == {}
    lift = parse_object(
        demo_line(id="p-4", type="suspension.lift", neph=NEPH, lifted_on="2026-03-01"), 1
    )
    refused = services.preview.preview(service, lift.command)  # type: ignore[union-attr]
    assert refused.refusal is not None and refused.refusal.rule == "R-12.4"
