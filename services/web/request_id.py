"""A request id on every log line of a request (issue 19 item 3), Uvicorn's access line included.

The id is the caller's `X-Request-ID` when it is a plausible one (a proxy's), else a new one; it is
bound in structlog's context for the whole request and sent back in the `X-Request-ID` header.
A pure ASGI middleware, so that the binding lasts until the response is sent (the access line is
logged then).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import structlog

HEADER = b"x-request-id"
_PLAUSIBLE = re.compile(rb"[A-Za-z0-9._:-]{8,64}")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class RequestId:
    """Bind `request_id` for each HTTP request and echo it in the response."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers") or []).get(HEADER, b"")
        request_id = given.decode() if _PLAUSIBLE.fullmatch(given) else uuid.uuid4().hex
        # Each request runs in its own task: the binding ends with it.
        structlog.contextvars.bind_contextvars(request_id=request_id)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != HEADER]
                message["headers"] = [*headers, (HEADER, request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            structlog.contextvars.unbind_contextvars("request_id")
