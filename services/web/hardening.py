"""Security headers on every answer: a CSP without inline script, no framing, no referrer sent
off-site, no content sniffing (issue 15).

The pages load only this site's files (DSFR, HTMX, app.js); their SVG charts and DSFR's icons are
inline or `data:` images. Swagger UI and ReDoc style their elements from JavaScript, so /docs and
/redoc alone also allow inline styles (never inline scripts), and ReDoc's search worker (`blob:`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request, Response

CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
CSP_DOCS = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'") + (
    "; worker-src 'self' blob:"
)
DOCS = ("/docs", "/redoc")

HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}


async def security_headers(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    response = await call_next(request)
    path = request.url.path
    response.headers["Content-Security-Policy"] = CSP_DOCS if path in DOCS else CSP
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if request.url.scheme == "https":
        response.headers["Strict-Transport-Security"] = "max-age=31536000"
    if not path.startswith("/static/"):
        # Pages show holders' data: never kept by a shared cache or the back button's cache.
        response.headers.setdefault("Cache-Control", "no-store")
    return response
