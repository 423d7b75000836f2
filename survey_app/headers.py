"""Security headers on every response.

- Content-Security-Policy: everything from this site only, no inline script or style (the pages
  have none: styles live in static/*.css), no plugins, no <base>, forms post only here, and no
  other site may frame a page (clickjacking). ``data:`` images are allowed for the empty favicon
  (``<link rel="icon" href="data:,">``, which spares a request for /favicon.ico).
- X-Frame-Options DENY: frame-ancestors for browsers that predate it.
- X-Content-Type-Options nosniff: a download is never run as a script or page.
- Referrer-Policy no-referrer: a respondent's link (/s/<token>) never leaks to another site.
- Cache-Control no-store on everything but static files: logged-in pages and the respondent's
  form must not stay in a shared or back-button cache. The one exception is /publik (the
  ``public`` blueprint): published results, the same for everyone, which depend on their address
  alone (no login, no cookie, the language in the address): ``public, max-age=300`` on a good
  answer that sets no cookie, so that caches and proxies take the load (PUBLIC_CACHE_CONTROL).
- Strict-Transport-Security in production only (SKM_ENV=production, config ENV_NAME): a
  development server on http://127.0.0.1 must stay reachable.
"""
from __future__ import annotations

from flask import Flask, Response, request

CONTENT_SECURITY_POLICY = ("default-src 'self'; img-src 'self' data:; object-src 'none'; "
                           "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
STRICT_TRANSPORT_SECURITY = "max-age=31536000; includeSubDomains"
PUBLIC_CACHE_CONTROL = "public, max-age=300"

_EVERY_RESPONSE = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Frame-Options", "DENY"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
)


def install(app: Flask) -> None:
    fixed = list(_EVERY_RESPONSE)
    if app.config.get("ENV_NAME") == "production":
        fixed.append(("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY))

    @app.after_request
    def security_headers(response: Response) -> Response:
        headers = response.headers
        for name, value in fixed:
            headers[name] = value
        if request.blueprint == "public" and response.status_code in (200, 304) \
                and "Set-Cookie" not in headers:
            headers["Cache-Control"] = PUBLIC_CACHE_CONTROL
        elif request.endpoint != "static":
            headers["Cache-Control"] = "no-store"
        return response
