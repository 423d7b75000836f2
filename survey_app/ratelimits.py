"""Rate limits per client address, counted by the `limits` library.

Settings: RATELIMIT_ENABLED, RATELIMIT_STORAGE_URI (memory:// in one process; redis://... so that
all workers share the counts) and RATELIMIT_STRATEGY (fixed-window by default, see config.py). Behind a trusted proxy, the address is the one it
reports (TRUSTED_PROXIES, see create_app).

`limits` is the counting engine of Flask-Limiter, used directly: Flask-Limiter resolved every
route's and blueprint's limits on every request of the app, about 0.2 ms a request, some fifty
times the counting itself and a seventh of the public form's CPU
(benchmarks/respond_profile.py).
"""
from __future__ import annotations

from functools import cache

from flask import Flask, abort, current_app, request
from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import STRATEGIES, RateLimiter


@cache
def _parsed(limit: str) -> RateLimitItem:
    return parse(limit)


class RateLimits:
    """One app's limits: ``hit`` counts a request and refuses it (429) over the limit."""

    def init_app(self, app: Flask) -> None:
        config = app.config
        storage = storage_from_string(config.get("RATELIMIT_STORAGE_URI", "memory://"))
        app.extensions["skm_ratelimits"] = STRATEGIES[
            config.get("RATELIMIT_STRATEGY", "fixed-window")](storage)

    @staticmethod
    def _counter() -> RateLimiter | None:
        if not current_app.config.get("RATELIMIT_ENABLED", True):
            return None
        return current_app.extensions["skm_ratelimits"]

    def hit(self, limit: str, scope: str) -> None:
        """Count this request against ``limit`` (e.g. "20 per minute") for its address in
        ``scope``; over the limit, answer 429 Too Many Requests."""
        counter = self._counter()
        if counter is not None and not counter.hit(_parsed(limit), scope, _address()):
            abort(429)

    def refuse_if_spent(self, limit: str, scope: str) -> None:
        """429 if this address has used up ``limit`` in ``scope`` already (counting nothing):
        for limits that only some outcomes count, with ``count`` after the fact."""
        counter = self._counter()
        if counter is not None and not counter.test(_parsed(limit), scope, _address()):
            abort(429)

    def count(self, limit: str, scope: str) -> None:
        counter = self._counter()
        if counter is not None:
            counter.hit(_parsed(limit), scope, _address())

    @staticmethod
    def reset() -> None:
        """Forget every count (tests)."""
        current_app.extensions["skm_ratelimits"].storage.reset()


def _address() -> str:
    return request.remote_addr or "127.0.0.1"
