"""Rate limits per client address, counted by the `limits` library.

Settings: RATELIMIT_ENABLED, RATELIMIT_STORAGE_URI (memory:// in one process, see
SweepingMemoryStorage; redis://... so that all workers share the counts) and RATELIMIT_STRATEGY
(fixed-window by default, see config.py). Behind a trusted proxy, the address is the one it
reports (TRUSTED_PROXIES, see create_app).

`limits` is the counting engine of Flask-Limiter, used directly: Flask-Limiter resolved every
route's and blueprint's limits on every request of the app, about 0.2 ms a request, some fifty
times the counting itself and a seventh of the public form's CPU
(benchmarks/respond_profile.py).
"""
from __future__ import annotations

import time
from functools import cache

from flask import Flask, abort, current_app, request
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import STRATEGIES, RateLimiter


@cache
def _parsed(limit: str) -> RateLimitItem:
    return parse(limit)


class SweepingMemoryStorage(MemoryStorage):
    """`limits`' in-process storage (memory://), sweeping expired counters inline at most once a
    second instead of from a thread.

    Upstream starts a new threading.Timer whenever it counts and its last one (10 ms) has run:
    under load that is a thread started and ended every 10 ms in every worker, about one per form:
    2% of the public form's instructions in Python (5.80M -> 5.67M per form with this class,
    benchmarks/respond_profile.py --callgrind), before the kernel's share of starting threads.
    Counting is unchanged: an expired counter is dropped when it is next read (upstream's get),
    and the sweep only keeps counters of addresses that never come back from piling up. It
    replaces upstream's private scheduling method (pinned version; tests/test_app.py checks
    that counting starts no thread and that the sweep runs).
    """

    SWEEP_EVERY = 1.0  # seconds
    _next_sweep = 0.0

    def _MemoryStorage__schedule_expiry(self) -> None:
        now = time.time()
        if now >= self._next_sweep:
            self._next_sweep = now + self.SWEEP_EVERY
            self._MemoryStorage__expire_events()


def storage_for(uri: str) -> Storage:
    if uri.split("://", 1)[0] == "memory":
        return SweepingMemoryStorage(uri)
    return storage_from_string(uri)


class RateLimits:
    """One app's limits: ``hit`` counts a request and refuses it (429) over the limit."""

    def init_app(self, app: Flask) -> None:
        config = app.config
        storage = storage_for(config.get("RATELIMIT_STORAGE_URI", "memory://"))
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

    def spent(self, limit: str, scope: str) -> bool:
        """Whether this address has used up ``limit`` in ``scope`` (counting nothing): like
        ``refuse_if_spent``, for callers that answer with their own page instead of a plain 429."""
        counter = self._counter()
        return counter is not None and not counter.test(_parsed(limit), scope, _address())

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
