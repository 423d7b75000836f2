"""Production settings for `gunicorn wsgi:app` (read from this folder by default).

Two sync workers per core: while one waits on the database's write lock another computes
(measured with benchmarks/respond_load.py: 4 workers on 2 cores served 378 forms/s against 269
with 2). Put a reverse proxy (nginx) in front for TLS and slow clients, and set TRUSTED_PROXIES=1
so that rate limits see each respondent's address.

Access logs are off: a respondent's address and time next to their link would undo their
anonymity. ACCESS_LOG=- (or a file) turns them on, for debugging: the app (survey_app/logsafe.py,
installed on gunicorn's loggers by create_app in each worker) writes /s/… instead of any
respondent's link there and in the error log, whatever the access_log_format. A proxy in front
keeps its own access log: turn it off there too, at least for /s/.
"""
import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count()))
worker_class = "sync"
accesslog = os.environ.get("ACCESS_LOG") or None
timeout = 60
