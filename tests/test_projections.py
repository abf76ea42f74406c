"""The read models (R-9.1): fed exactly once from the event stream, equal to a rebuild from zero,
and equal to what the licence views show on every date.

Scenario helpers here are shared with test_verify.py and test_export.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from conftest import ServiceFactory, passing_public_scenarios
from eventsourcing.persistence import IntegrityError, Tracking
from sqlalchemy import Engine, select

from domain.licence import licence_id
from projections.catch_up import catch_up, rebuild
from projections.database import HEAD_REVISION, MIGRATIONS, VERSION_TABLE
from projections.projection import LicenceProjection
from projections.queries import ComplianceRow, iter_obligations_and_flags
from projections.schema import LICENCE_TABLES, metadata, rm_licences, rm_tracking
from projections.verify import verify
from projections.view import ProjectionConflict, ReadModels
from services.journal import parse_journal
from services.licensing import Licensing

SCENARIO_FILES = passing_public_scenarios()


def load(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text(encoding="utf-8")))


def import_(service: Licensing, lines: list[dict[str, Any]]) -> list[str]:
    """`permis import` of these journal lines; the ids refused."""
    parsed, errors = parse_journal("".join(json.dumps(line) + "\n" for line in lines))
    assert not errors
    return [refusal.command_id for refusal in service.import_lines(parsed).refusals]


def run_scenario(
    service: Licensing, scenario: dict[str, Any], after: Callable[[], Any] = lambda: None
) -> list[str]:
    """As CONTRACT §5 drives `permis`: import up to each check's date, tick to it; `after` runs
    after every write, as the CLI's catch-up does. Returns the ids refused."""
    journal = scenario["journal"]
    refused: list[str] = []
    done = 0
    for on in sorted({check["on"] for check in scenario["checks"]}):
        batch = []
        while done < len(journal) and journal[done]["at"] <= on:
            batch.append(journal[done])
            done += 1
        if batch:
            refused += import_(service, batch)
            after()
        service.tick(date.fromisoformat(on))
        after()
    if journal[done:]:
        refused += import_(service, journal[done:])
        after()
    return refused


def all_scenarios() -> dict[str, Any]:
    """Every public scenario in one store: each its own NEPHs and ids, lines merged by date."""
    journal: list[dict[str, Any]] = []
    checks: list[dict[str, Any]] = []
    for number, path in enumerate(SCENARIO_FILES, start=1):
        scenario = load(path)
        journal += [renumbered(line, number) for line in scenario["journal"]]
        checks += [renumbered(check, number) for check in scenario["checks"]]
    journal.sort(key=lambda line: line["at"])  # stable: each scenario keeps its order
    return {"journal": journal, "checks": checks}


def renumbered(item: dict[str, Any], number: int) -> dict[str, Any]:
    copy = dict(item)
    copy["neph"] = f"{number:02d}{item['neph'][2:]}"
    if "id" in copy:
        copy["id"] = f"s{number}-{item['id']}"
    return copy


def nephs_of(scenario: dict[str, Any]) -> list[str]:
    """The NEPHs of the licences the scenario issues (a refused line may name another)."""
    return sorted({line["neph"] for line in scenario["journal"] if line["type"] == "licence.issue"})


def dump(engine: Engine, ignore: frozenset[str] = frozenset()) -> dict[str, list[tuple[Any, ...]]]:
    """Every read-model row, table by table, in key order, without the `ignore`d columns."""
    tables: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as connection:
        for table in LICENCE_TABLES:
            columns = [c for c in table.columns if c.name not in ignore]
            query = select(*columns).order_by(*table.primary_key)
            tables[table.name] = [tuple(row) for row in connection.execute(query)]
    return tables


# --- rebuild = live -----------------------------------------------------------------------------


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=lambda p: p.stem)
def test_rebuild_gives_the_live_read_models(
    service: Licensing, view: ReadModels, path: Path
) -> None:
    """R-9.1: rows kept current after every command equal the rows rebuilt from zero."""
    run_scenario(service, load(path), lambda: catch_up(service, view))
    # `as_of` is the clock on the day a row was last written; a rebuild writes them all today
    live = dump(view.engine, frozenset({"as_of"}))
    assert live["rm_licences"] and live["rm_audit"]
    assert list(verify(service, view, chain=True)) == []
    done = rebuild(service, view)
    assert done.position == service.store.recorder.max_notification_id()
    assert dump(view.engine, frozenset({"as_of"})) == live
    assert list(verify(service, view, chain=True)) == []


def test_rebuild_of_every_scenario_in_one_store_loads_each_licence_once(
    service: Licensing, view: ReadModels
) -> None:
    """Pages of notifications skip licences already rewritten at a later version."""
    scenario = all_scenarios()
    run_scenario(service, scenario, lambda: catch_up(service, view))
    live = dump(view.engine, frozenset({"as_of"}))
    done = rebuild(service, view, page=7)  # small pages: licences recur across pages
    assert done.licences == len(nephs_of(scenario))
    assert done.notifications == service.store.recorder.max_notification_id()
    assert dump(view.engine, frozenset({"as_of"})) == live
    assert list(verify(service, view)) == []


# --- the rows say what the licence views say ----------------------------------------------------


def _compliance_of_view(view: dict[str, Any]) -> list[tuple[Any, ...]]:
    obligations = [
        ("obligation", o["kind"], o["status"], o["due_on"], None)
        for o in view["obligations"]
        if o["status"] != "fulfilled"
    ]
    flags = [("flag", f["kind"], "raised", None, f["raised_on"]) for f in view["flags"]]
    return obligations + flags


def _compliance_of_rows(rows: list[ComplianceRow]) -> list[tuple[Any, ...]]:
    def iso(day: date | None) -> str | None:
        return day.isoformat() if day else None

    return [(r.record, r.kind, r.status, iso(r.due_on), iso(r.raised_on)) for r in rows]


def test_obligations_and_flags_on_every_date_are_those_the_views_show(
    service: Licensing, view: ReadModels
) -> None:
    """R-6.1, R-6.2, R-6.3: on each checked date and each legal date of an event, the compliance
    rows of each licence are the obligations (not fulfilled) and flags of `licence show --as-of`."""
    scenario = all_scenarios()
    run_scenario(service, scenario, lambda: catch_up(service, view))
    clock = service.clock()
    assert clock is not None
    by_day: dict[date, list[ComplianceRow]] = {}
    seen_flags = seen_breaches = 0
    for neph in nephs_of(scenario):
        days = {date.fromisoformat(c["on"]) for c in scenario["checks"] if c["neph"] == neph}
        days |= {e.effective_on for e in service.licence(neph).history}
        for day in sorted(d for d in days if d <= clock):
            if day not in by_day:
                by_day[day] = list(iter_obligations_and_flags(view.engine, day))
                assert [r.neph for r in by_day[day]] == sorted(r.neph for r in by_day[day])
            mine = [r for r in by_day[day] if r.neph == neph]
            assert _compliance_of_rows(mine) == _compliance_of_view(service.view(neph, day)), (
                neph,
                day,
            )
            seen_flags += sum(r.record == "flag" for r in mine)
            seen_breaches += sum(r.status == "breached" for r in mine)
            for row in mine:
                if row.kind == "non_compliance":
                    assert (row.fine_max_eur, row.suspension_max_years) == (750, 3)
                if row.kind == "attestation_overdue":
                    # the flag names the organiser, when the stage declared one (`centre`
                    # is optional, CONTRACT §1: p27's stages have none).
                    stages = service.view(neph, day)["stages"]
                    centres = {s["stage_id"]: s["centre"] for s in stages}
                    assert row.centre == centres[row.ref.partition(":")[2]]
    assert seen_flags and seen_breaches  # the scenarios exercise both


def test_current_balances_and_statuses_are_the_views_on_the_clock(
    service: Licensing, view: ReadModels
) -> None:
    """R-1.1, R-7.1: `rm_licences` holds each licence's balance, ceiling and status on the clock."""
    scenario = all_scenarios()
    run_scenario(service, scenario, lambda: catch_up(service, view))
    with view.engine.connect() as connection:
        rows = {r.neph: r for r in connection.execute(select(rm_licences))}
    assert sorted(rows) == nephs_of(scenario)
    for neph, row in rows.items():
        shown = service.view(neph)
        assert (row.status, row.balance, row.ceiling, row.probationary) == (
            shown["status"],
            shown["balance"],
            shown["ceiling"],
            shown["probationary"],
        )
        assert row.version == len(service.licence(neph).history)


def test_rows_follow_the_clock_to_an_event_of_a_later_legal_date(
    service: Licensing, view: ReadModels
) -> None:
    """R-5.3: a stage credited from the day after its last day: recorded on the last day, it shows
    in the read models once the clock reaches that day, though the tick records nothing new."""
    neph = "100000000042"
    lines: list[dict[str, Any]] = [
        {"id": "a", "at": "2024-01-02", "type": "licence.issue", "neph": neph,
         "issued_on": "2010-01-02", "route": "traditional", "probationary": False},
        {"id": "b", "at": "2024-02-01", "type": "infraction.record", "neph": neph,
         "infraction_id": "i1", "offence": "red_light", "committed_on": "2024-01-20"},
        {"id": "c", "at": "2024-03-04", "type": "infraction.establish", "neph": neph,
         "infraction_id": "i1", "established_on": "2024-03-01", "basis": "fine_paid"},
        {"id": "d", "at": "2024-04-10", "type": "stage.complete", "neph": neph,
         "stage_id": "s1", "kind": "voluntary", "first_day": "2024-04-09",
         "last_day": "2024-04-10"},
        {"id": "e", "at": "2024-04-10", "type": "attestation.receive", "neph": neph,
         "stage_id": "s1", "received_on": "2024-04-10"},
    ]  # fmt: skip
    assert import_(service, lines) == []
    catch_up(service, view)
    with view.engine.connect() as connection:
        row = connection.execute(select(rm_licences)).one()
    assert (row.balance, row.changes_on) == (8, date(2024, 4, 11))
    before = service.store.recorder.max_notification_id()
    service.tick(date(2024, 4, 11))
    assert service.store.recorder.max_notification_id() == before  # nothing new recorded
    done = catch_up(service, view)
    assert (done.notifications, done.licences) == (0, 1)
    with view.engine.connect() as connection:
        row = connection.execute(select(rm_licences)).one()
    assert (row.balance, row.changes_on, row.as_of) == (12, None, date(2024, 4, 11))
    assert row.balance == service.view(neph)["balance"]
    assert list(verify(service, view)) == []


# --- exactly once --------------------------------------------------------------------------------


def test_a_writer_that_lost_the_race_changes_nothing(
    make_service: ServiceFactory, view: ReadModels
) -> None:
    """Exactly once: a catch-up that read the position before another one wrote is rolled back."""
    first, second = make_service(), make_service()
    run_scenario(first, load(SCENARIO_FILES[0]))
    stale = view.position(first.store.name)
    catch_up(second, view)
    before = dump(view.engine)
    moved = view.position(first.store.name)
    with pytest.raises(ProjectionConflict):
        view.write(first.store.name, stale, moved.notification_id + 1, [], gone=["100000000001"])
    assert dump(view.engine) == before
    assert view.position(first.store.name) == moved
    assert catch_up(first, view).notifications == 0  # and the next run starts where it stands


def test_an_event_is_processed_once_through_the_library_interface(
    service: Licensing, view: ReadModels
) -> None:
    """The eventsourcing `Projection.process_event`: a notification already tracked is refused."""
    run_scenario(service, load(SCENARIO_FILES[0]))
    projection = LicenceProjection(view, service)
    name = service.store.name
    notifications = service.store.recorder.select_notifications(None, 100)
    for notification in notifications:
        event = service.store.mapper.to_domain_event(notification)
        projection.process_event(event, Tracking(name, notification.id))
    assert view.max_tracking_id(name) == notifications[-1].id
    with view.engine.connect() as connection:
        assert connection.execute(select(rm_licences.c.version)).scalar_one() == len(notifications)
    with pytest.raises(IntegrityError):
        projection.process_event(event, Tracking(name, notifications[-1].id))
    assert list(verify(service, view)) == []
    with view.engine.connect() as connection:
        assert connection.execute(select(rm_tracking.c.revision)).scalar_one() == len(notifications)


def test_catch_up_with_nothing_new_writes_nothing(service: Licensing, view: ReadModels) -> None:
    run_scenario(service, load(SCENARIO_FILES[3]), lambda: catch_up(service, view))
    position = view.position(service.store.name)
    done = catch_up(service, view)
    assert (done.notifications, done.licences) == (0, 0)
    assert view.position(service.store.name) == position


# --- schema ----------------------------------------------------------------------------------------


def test_the_migrations_create_exactly_the_tables_the_code_uses(view: ReadModels) -> None:
    """Alembic owns the DDL: upgrading to head gives `projections.schema`, and HEAD_REVISION."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_current_head() == HEAD_REVISION
    with view.engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "version_table": VERSION_TABLE,
                "include_name": lambda name, type_, _p: type_ != "table" or name.startswith("rm_"),
            },
        )
        assert context.get_current_revision() == HEAD_REVISION
        assert compare_metadata(context, metadata) == []


def test_read_models_live_in_the_event_store_database(service: Licensing, view: ReadModels) -> None:
    run_scenario(service, load(SCENARIO_FILES[0]), lambda: catch_up(service, view))
    key = licence_id("100000000001").hex
    with view.engine.connect() as connection:
        assert connection.execute(select(rm_licences.c.licence_id)).scalar_one() == key
