"""Wiring: settings → store → application service."""

from __future__ import annotations

from domain.law import current_law
from infrastructure.settings import Settings, load_settings
from infrastructure.store import LicenceStore
from services.licensing import Licensing


def build(settings: Settings | None = None, existing: bool = False) -> Licensing:
    """The application service on the store PERMIS_DATABASE_URL names; `existing`: only a store
    that exists (else `NoStore`), for the commands that read."""
    settings = settings or load_settings()
    store = LicenceStore(settings.database_url, settings.snapshot_interval, existing=existing)
    return Licensing(
        store, current_law(), settings.policy, settings.batch_size, settings.import_processes
    )
