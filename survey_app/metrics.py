"""Request metrics in the Prometheus text format: a count per endpoint, method and status, and
durations per endpoint.

On only under gunicorn with METRICS_BIND set (survey_app/gunicorn_conf.py sets
PROMETHEUS_MULTIPROC_DIR for its workers); served by gunicorn's master on that address, never
through the app. Labels are endpoint names (``respond.form``), never paths: a path can hold a
respondent's link (docs/anonymity.md).
"""
from __future__ import annotations

import time

from flask import Flask, g, request

from survey_app import config

_metrics: tuple | None = None


def _created() -> tuple:
    """The metric objects, once per process (prometheus_client registers them globally)."""
    global _metrics
    if _metrics is None:
        from prometheus_client import Counter, Histogram

        _metrics = (
            Counter("skm_http_requests", "HTTP requests answered",
                    ["endpoint", "method", "status"]),
            Histogram("skm_http_request_duration_seconds", "Time to answer a request",
                      ["endpoint"], buckets=(.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10)),
        )
    return _metrics


def install(app: Flask) -> None:
    if not config.env("PROMETHEUS_MULTIPROC_DIR"):
        return
    requests, durations = _created()

    def started() -> None:
        g.skm_started = time.perf_counter()

    # First of all: the access rule may answer before any later hook runs.
    app.before_request_funcs.setdefault(None, []).insert(0, started)

    @app.after_request
    def counted(response):
        endpoint = request.endpoint or "unmatched"
        requests.labels(endpoint, request.method, str(response.status_code)).inc()
        if "skm_started" in g:
            durations.labels(endpoint).observe(time.perf_counter() - g.skm_started)
        return response
