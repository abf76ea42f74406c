"""Who may do what: one authorisation check shared by the pages and the API.

The API carries a bearer token (`POST /api/token`); the pages carry a session token in an HTTP-only
cookie. Both are server-side sessions (`infrastructure.sessions`): a logout, a disabled user or a
new password ends them. The session and its user are looked up on every request, and `authorize`
decides.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from enum import StrEnum
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from infrastructure.users import Role, User, derived_key
from services.web.context import WebContext

SESSION_COOKIE = "permis_session"

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/token", auto_error=False)


class Action(StrEnum):
    READ = "read"  # licences, audit trails, letters, reports
    WRITE = "write"  # journal commands
    SHOW_CODE = "show_code"  # a holder's consultation code, logged
    HANDLE = "handle"  # mark a work-queue item handled
    SEE_USERS = "see_users"  # the users and who changed them
    MANAGE_USERS = "manage_users"  # create, disable, reset a password


PERMISSIONS: dict[Role, frozenset[Action]] = {
    Role.OPERATOR: frozenset({Action.READ, Action.WRITE, Action.SHOW_CODE, Action.HANDLE}),
    Role.AUDITOR: frozenset({Action.READ, Action.SEE_USERS}),
    # Admins manage accounts and nothing else: they read no licence (separation of duties).
    Role.ADMIN: frozenset({Action.SEE_USERS, Action.MANAGE_USERS}),
}


class NotAuthenticated(Exception):
    """No valid token or session: log in first."""


class Forbidden(Exception):
    """The user's role does not allow the action."""

    def __init__(self, user: User, action: Action) -> None:
        super().__init__(f"the role {user.role} of {user.name!r} does not allow {action}")
        self.user = user
        self.action = action


def may(user: User, action: Action) -> bool:
    return action in PERMISSIONS.get(user.role, frozenset())


def authorize(user: User | None, action: Action) -> User:
    """The one check: a known user whose role allows the action, else a typed refusal."""
    if user is None:
        raise NotAuthenticated("authentication required")
    if not may(user, action):
        raise Forbidden(user, action)
    return user


class Tokens:
    """The form tokens of the pages, bound to their session (a key derived from the secret)."""

    def __init__(self, secret: bytes) -> None:
        self._csrf_key = derived_key(secret, "csrf")

    def csrf(self, token: str) -> str:
        """A form token bound to the session (pages only: the API takes no cookie)."""
        return hmac.new(self._csrf_key, token.encode(), hashlib.sha256).hexdigest()


def web(request: Request) -> WebContext:
    context: WebContext = request.app.state.web
    return context


def tokens(request: Request) -> Tokens:
    found: Tokens = request.app.state.tokens
    return found


def _user_of(request: Request, token: str | None) -> User | None:
    """The user of a live session; None when there is none, it ended, or the user is disabled."""
    if not token:
        return None
    ctx = web(request)
    session = ctx.sessions.find(token, ctx.now())
    return ctx.users.get(session.name) if session else None


def api_user(request: Request, token: Annotated[str | None, Depends(oauth2)]) -> User | None:
    """The bearer token's user (the API never reads the cookie: no cross-site writes)."""
    return _user_of(request, token)


def page_user(request: Request) -> User | None:
    """The session cookie's user (the pages never read a bearer header)."""
    return _user_of(request, request.cookies.get(SESSION_COOKIE))


def api_requires(action: Action) -> Callable[..., User]:
    def dependency(user: Annotated[User | None, Depends(api_user)]) -> User:
        return authorize(user, action)

    return dependency


def page_requires(action: Action) -> Callable[..., User]:
    def dependency(user: Annotated[User | None, Depends(page_user)]) -> User:
        return authorize(user, action)

    return dependency


def page_requires_user(user: Annotated[User | None, Depends(page_user)]) -> User:
    """Any logged-in user, whatever the role."""
    if user is None:
        raise NotAuthenticated("authentication required")
    return user
