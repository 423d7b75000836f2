"""Production settings for gunicorn, from the environment (config.SETTINGS, read by "gunicorn").

    gunicorn -c python:survey_app.gunicorn_conf "survey_app:create_app()"

(an installed package; in a checkout `gunicorn wsgi:app` reads the same through gunicorn.conf.py).

Two sync workers per core: while one waits on the database's write lock another computes
(measured with benchmarks/respond_load.py: 4 workers on 2 cores served 378 forms/s against 269
with 2). Put a reverse proxy (nginx, deploy/nginx-skm.conf) in front for TLS and slow clients,
and set TRUSTED_PROXIES=1 so that rate limits see each respondent's address.

Access logs are off: a respondent's address and time next to their link would undo their
anonymity. ACCESS_LOG=- (or a file) turns them on, for debugging: the app (survey_app/logsafe.py,
installed on gunicorn's loggers by create_app in each worker) writes /s/… instead of any
respondent's link there and in the error log, whatever the access_log_format. A proxy in front
keeps its own access log: turn it off there too, at least for /s/.

Metrics (METRICS_BIND, e.g. 127.0.0.1:9100): request counts and durations per endpoint, in the
Prometheus text format, served by the master process on that address only, never on the app's
own (BIND, which the proxy publishes). The workers write their counts to files in a folder of
their own (prometheus_client's multiprocess mode, PROMETHEUS_MULTIPROC_DIR); the master sums
them at each scrape.
"""
import multiprocessing
import os
import tempfile

# Not `config`: gunicorn reads every global of this module, and `config` is one of its settings.
from survey_app import config as _settings

bind = _settings.env_or_default("BIND")
workers = int(_settings.env("WEB_CONCURRENCY") or 2 * multiprocessing.cpu_count())
worker_class = "sync"
accesslog = _settings.env("ACCESS_LOG")
timeout = 60

_metrics_bind = _settings.env("METRICS_BIND")
_metrics_dir = None
if _metrics_bind and not _settings.env("PROMETHEUS_MULTIPROC_DIR"):
    # Set before any worker imports prometheus_client: they inherit it when forked.
    _metrics_dir = tempfile.mkdtemp(prefix="skm-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = _metrics_dir


def when_ready(server):
    """Serve the summed metrics from the master, on METRICS_BIND only."""
    if not _metrics_bind:
        return
    from prometheus_client import CollectorRegistry, multiprocess, start_http_server

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    host, _, port = _metrics_bind.rpartition(":")
    start_http_server(int(port), addr=host or "127.0.0.1", registry=registry)
    server.log.info("Metrics on http://%s/metrics", _metrics_bind)


def child_exit(server, worker):
    if _metrics_bind:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    """Remove the workers' metric files of a folder this module made."""
    if _metrics_dir:
        import shutil

        shutil.rmtree(_metrics_dir, ignore_errors=True)
