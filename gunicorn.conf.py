"""Production settings for `gunicorn wsgi:app` (read from this folder by default).

Two sync workers per core: while one waits on the database's write lock another computes
(measured with benchmarks/respond_load.py: 4 workers on 2 cores served 378 forms/s against 269
with 2). Put a reverse proxy (nginx) in front for TLS and slow clients, and set TRUSTED_PROXIES=1
so that rate limits see each respondent's address. Access logs are off: a logged path /s/<token>
next to an IP address would undo the respondents' anonymity.
"""
import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count()))
worker_class = "sync"
accesslog = None
timeout = 60
