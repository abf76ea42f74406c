"""The operators' login, for the pages and the API alike: throttled per user and per address.

A key already locked is refused before any password is hashed (a locked-out attacker costs no
argon2); otherwise the password is checked (a bounded number at once, `UserStore.hashing`) and the
attempt counted on both keys, as the holders' consultation counts wrong codes (R-8.3).
"""

from __future__ import annotations

from datetime import datetime

import structlog

from infrastructure.users import Attempt, Outcome, User
from services.web.context import WebContext
from services.web.labels import plural

log = structlog.get_logger("permis.web")


class LoginLocked(Exception):
    """Too many wrong passwords for this user or from this address: locked until `until`."""

    def __init__(self, until: datetime, now: datetime) -> None:
        super().__init__(f"login locked until {until.isoformat(timespec='seconds')} UTC")
        self.until = until
        self.retry_after = max(1, int((until - now).total_seconds()) + 1)
        self.minutes = max(1, -(-int((until - now).total_seconds()) // 60))

    def french(self) -> str:
        return (
            "Trop de tentatives de connexion infructueuses : la connexion est bloquée pendant "
            f"encore {plural(self.minutes, 'minute', 'minutes')}. Réessayez plus tard ou contactez un administrateur."
        )


class WrongLogin(Exception):
    """Unknown user or wrong password (which of the two is never said)."""

    def __init__(self, remaining: int) -> None:
        super().__init__(f"unknown user or wrong password: {remaining} attempt(s) left")
        self.remaining = remaining

    def french(self) -> str:
        return (
            "Identifiant ou mot de passe incorrect. Il vous reste "
            f"{plural(self.remaining, 'essai', 'essais')} avant le blocage temporaire."
        )


def log_in(ctx: WebContext, name: str, password: str, address: str) -> User:
    """The user these credentials name; `LoginLocked` or `WrongLogin` otherwise."""
    now = ctx.now()
    keys = (
        (ctx.login_by_user, f"user:{name.strip().lower()[:64]}"),
        (ctx.login_by_address, f"address:{address[:100]}"),
    )
    for guard, key in keys:
        until = guard.locked_until(key, now)
        if until is not None:
            log.warning("web.login", user=name, address=address, outcome="locked")
            raise LoginLocked(until, now)
    user = ctx.users.authenticate(name, password)
    attempts: list[Attempt] = [guard.attempt(key, user is not None, now) for guard, key in keys]
    locks = [a.locked_until for a in attempts if a.locked_until is not None]
    if any(a.outcome == Outcome.LOCKED for a in attempts) or locks:
        log.warning("web.login", user=name, address=address, outcome="locked")
        raise LoginLocked(min(locks) if locks else now, now)
    if user is None:
        log.info("web.login", user=name, address=address, outcome="wrong")
        raise WrongLogin(min(a.remaining or 0 for a in attempts))
    log.info("web.login", user=user.name, address=address, outcome="ok")
    return user
