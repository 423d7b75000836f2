"""The installed application, as docs/deploy.md runs it: `pip install .` into a fresh virtual
environment (no make, nothing read from the checkout afterwards: it is installed from a copy and
run in an empty folder), then two gunicorn servers and one worker sharing only PostgreSQL and
Redis. Checked: pages in Bahasa Indonesia, a login made on one server used on the other, a rate
limit counted once across both, a job started on one and its file fetched from the other, a form
submitted to each, the metrics on their own address only.

Offline and quick: pip installs from a wheel folder (SKM_WHEELHOUSE, by default
~/.cache/skm-wheelhouse), filled once from requirements.txt by `pip wheel` (pip's own cache or
the network) if it lacks anything. Skips when PostgreSQL or Redis does not answer, or when the
wheels cannot be had. Settings: SKM_INSTALL_PG (a PostgreSQL server,
postgresql://postgres@127.0.0.1:5432), SKM_INSTALL_DB (a scratch database it drops and creates,
skm_install_test), SKM_INSTALL_REDIS (a scratch Redis database it empties,
redis://127.0.0.1:6379/15).
"""
from __future__ import annotations

import csv
import http.client
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = os.environ.get("SKM_INSTALL_PG", "postgresql://postgres@127.0.0.1:5432")
PG_DB = os.environ.get("SKM_INSTALL_DB", "skm_install_test")
REDIS_URL = os.environ.get("SKM_INSTALL_REDIS", "redis://127.0.0.1:6379/15")
WHEELHOUSE = Path(os.environ.get("SKM_WHEELHOUSE",
                                 Path.home() / ".cache" / "skm-wheelhouse"))
BUILD_REQUIREMENTS = ["setuptools>=69", "Babel>=2.12", "wheel"]
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
RADIO = re.compile(r'type="radio" name="(p\d+-[^"]+)"')


def _services_or_skip() -> None:
    import psycopg
    import redis

    if os.environ.get("SKM_TEST_DATABASE_URL"):
        # it brings its own PostgreSQL database whatever the suite runs on: once is enough
        pytest.skip("runs in the first pass of make test only (it has its own PostgreSQL)")

    try:
        psycopg.connect(f"{PG_SERVER}/postgres", connect_timeout=3).close()
    except psycopg.Error:
        pytest.skip(f"PostgreSQL does not answer at {PG_SERVER}")
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError:
        pytest.skip(f"Redis does not answer at {REDIS_URL}")


def _wheelhouse_or_skip() -> Path:
    """Wheels of every requirement and of the build's own, downloaded once."""
    WHEELHOUSE.mkdir(parents=True, exist_ok=True)
    done = WHEELHOUSE / f".filled-{_requirements_digest()}"
    if not done.exists():
        filled = subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "-q", "-w", str(WHEELHOUSE),
             "-r", str(ROOT / "requirements.txt"), *BUILD_REQUIREMENTS],
            capture_output=True, text=True, timeout=600)
        if filled.returncode:
            pytest.skip("the wheels could not be had: " + filled.stderr[-500:])
        done.touch()
    return WHEELHOUSE


def _requirements_digest() -> str:
    import hashlib

    text = (ROOT / "requirements.txt").read_bytes() + " ".join(BUILD_REQUIREMENTS).encode()
    return hashlib.sha256(text).hexdigest()[:12]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Stopwatch:
    """Where the setup's time goes (printed with -s)."""

    def __init__(self) -> None:
        self.last = time.monotonic()

    def lap(self, what: str) -> None:
        now = time.monotonic()
        print(f"[test_install] {what}: {now - self.last:.1f} s", flush=True)
        self.last = now


class Browser:
    """Just enough of one: cookies (Secure ones too, over plain HTTP to 127.0.0.1), no redirects
    followed. The same cookie jar against either server."""

    def __init__(self) -> None:
        self.cookies: dict[str, str] = {}

    def request(self, port: int, method: str, path: str, form: dict | None = None,
                cookies: bool = True) -> tuple[int, dict, str]:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {}
        body = None
        if cookies and self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body, headers)
        response = connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        if cookies:
            for header in response.headers.get_all("Set-Cookie") or []:
                name, _, value = header.split(";", 1)[0].partition("=")
                self.cookies[name.strip()] = value
        connection.close()
        return response.status, dict(response.headers), text

    def get(self, port: int, path: str, **kw):
        return self.request(port, "GET", path, **kw)

    def post(self, port: int, path: str, form: dict, **kw):
        return self.request(port, "POST", path, form, **kw)


def _wait_ready(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"gunicorn on {port} ended:\n{log.read_text()[-3000:]}")
        try:
            status, _h, _t = Browser().get(port, "/readyz")
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"gunicorn on {port} not ready:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    _services_or_skip()
    wheels = _wheelhouse_or_skip()
    import psycopg
    import redis

    base = tmp_path_factory.mktemp("install")
    source = base / "source"  # a copy: the build writes nothing into the checkout
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".venv", ".git", "instance", "build", "*.egg-info", "__pycache__", "*.mo", "out"))
    clock = _Stopwatch()
    venv = base / "venv"
    # Without pip of its own (quicker): this pip installs into it (--python).
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True,
                   timeout=120)
    bin_ = venv / "bin"
    installed = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(bin_ / "python"), "install", "-q",
         "--no-compile", "--no-index", "--find-links", str(wheels), str(source)],
        capture_output=True, text=True, timeout=600)
    assert installed.returncode == 0, installed.stderr[-3000:]
    clock.lap("venv and pip install .")
    shutil.rmtree(source)  # nothing may come from the checkout now

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{PG_DB}"')
    redis.Redis.from_url(REDIS_URL).flushdb()

    ports = [_free_port(), _free_port()]
    metrics_port = _free_port()
    common = {
        "PATH": f"{bin_}:{os.environ['PATH']}", "HOME": os.environ.get("HOME", str(base)),
        "LANG": "C.UTF-8", "SKM_ENV": "production", "SECRET_KEY": secrets.token_urlsafe(48),
        "DATABASE_URL": f"{PG_SERVER}/{PG_DB}", "RATELIMIT_STORAGE_URI": REDIS_URL,
        "JOBS_URL": REDIS_URL, "JOBS_NAME": f"skm-install-{os.getpid()}",
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{ports[0]}", "WEB_CONCURRENCY": "1",
    }
    empty = base / "empty"
    empty.mkdir()

    def env_for(name: str, **extra) -> dict:
        # Each process an instance folder of its own: nothing is shared on disk.
        return {**common, "SKM_INSTANCE_PATH": str(base / f"instance-{name}"), **extra}

    def flask(*args: str) -> subprocess.CompletedProcess:
        done = subprocess.run([str(bin_ / "flask"), "--app", "survey_app", *args], cwd=empty,
                              env=env_for("cli"), capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"flask {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
        return done

    flask("db", "upgrade")
    checked = flask("skm", "check-config")
    password = secrets.token_urlsafe(12)
    shutil.copy(ROOT / "tests" / "install_seed.py", base / "install_seed.py")
    seeded = subprocess.run([str(bin_ / "python"), str(base / "install_seed.py"), str(base),
                             password], cwd=empty, env=env_for("cli"), capture_output=True,
                            text=True, timeout=300)
    assert seeded.returncode == 0, seeded.stdout + seeded.stderr
    code = re.search(r"^ROUND (\S+)$", seeded.stdout, re.M).group(1)
    with (base / "links.csv").open(newline="", encoding="utf-8-sig") as f:
        links = [urllib.parse.urlsplit(row["link"]).path for row in csv.DictReader(f)]
    clock.lap("db upgrade, check-config, data")
    processes, logs = [], []
    try:
        for name, command, extra in (
                ("worker", [str(bin_ / "flask"), "--app", "survey_app", "skm", "worker"], {}),
                ("a", [str(bin_ / "gunicorn"), "-c", "python:survey_app.gunicorn_conf",
                       "survey_app:create_app()"],
                 {"BIND": f"127.0.0.1:{ports[0]}", "METRICS_BIND": f"127.0.0.1:{metrics_port}"}),
                ("b", [str(bin_ / "gunicorn"), "-c", "python:survey_app.gunicorn_conf",
                       "survey_app:create_app()"], {"BIND": f"127.0.0.1:{ports[1]}"})):
            log = base / f"{name}.log"
            logs.append(log)
            with log.open("w") as out:
                processes.append(subprocess.Popen(command, cwd=empty, env=env_for(name, **extra),
                                                  stdout=out, stderr=subprocess.STDOUT))
        for port, process, log in zip(ports, processes[1:], logs[1:], strict=True):
            _wait_ready(port, process, log)
        clock.lap("two servers ready")
        yield {"ports": ports, "metrics": metrics_port, "check": checked.stdout, "code": code,
               "login": ("koordinator@example.id", password), "links": links}
    finally:
        clock.lap("tests")
        for process in processes:  # SIGTERM stops the worker at once, SIGINT gunicorn
            process.send_signal(signal.SIGTERM if process is processes[0] else signal.SIGINT)
        for process in processes:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        clock.lap("processes stopped")
        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)')
        redis.Redis.from_url(REDIS_URL).flushdb()
        clock.lap("stopped, database dropped")


def _logged_in(deployment, port: int) -> Browser:
    """A browser logged in on the server at ``port`` as the deployment's coordinator."""
    email, password = deployment["login"]
    browser = Browser()
    _s, _h, page = browser.get(port, "/auth/login")
    status, _h, _t = browser.post(port, "/auth/login", {
        "email": email, "password": password, "next": "",
        "csrf_token": CSRF.search(page).group(1)})
    assert status == 302
    return browser


def test_the_installed_app_runs_from_an_empty_folder_in_indonesian(deployment):
    a, b = deployment["ports"]
    assert "Configuration OK" in deployment["check"] or "Konfigurasi" in deployment["check"]
    for port in (a, b):
        status, _h, page = Browser().get(port, "/auth/login")
        assert status == 200
        assert '<html lang="id">' in page
        assert "Kata sandi" in page and "Password" not in page


def test_a_login_on_one_server_works_on_the_other(deployment):
    a, b = deployment["ports"]
    browser = _logged_in(deployment, a)
    status, _h, home = browser.get(b, "/")
    assert status == 200
    assert "Keluar" in home  # the log-out button: logged in on B
    # A stranger's request to B is sent to the login page.
    assert Browser().get(b, "/")[0] == 302


def test_a_job_started_on_one_server_is_fetched_from_the_other(deployment):
    """The results CSV job, started from the results list on A, run by the worker, followed and
    downloaded on B: each process has an instance folder of its own, the file comes from
    PostgreSQL."""
    a, b = deployment["ports"]
    browser = _logged_in(deployment, a)
    code = deployment["code"]
    _s, _h, listing = browser.get(a, "/results/")
    start = f"/coordinator/jobs/results/{code}"
    assert f'action="{start}"' in listing
    status, headers, _t = browser.post(a, start, {"csrf_token": CSRF.search(listing).group(1)})
    assert status == 303
    job = urllib.parse.urlsplit(headers["Location"]).path
    assert re.fullmatch(r"/coordinator/jobs/\d+", job)
    deadline = time.monotonic() + 60
    while True:
        status, _h, page = browser.get(b, job)
        if 'http-equiv="refresh"' not in page or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert status == 200 and "Hasil CSV" in page, page[-800:]
    assert f'href="{job}/download"' in page, page[-800:]
    status, headers, body = browser.get(b, f"{job}/download")
    assert status == 200, body[-500:]
    assert headers["Content-Type"].startswith("text/csv")
    assert headers["Content-Disposition"] == f"attachment; filename=hasil-{code}.csv"
    assert body.startswith("position,area_code,area_name,")
    assert "197503032000031003,Agus Salim" in body  # the camat every respondent rates
    assert browser.get(a, f"{job}/download")[2] == body  # and from the first server too


def test_a_form_is_submitted_to_each_server(deployment):
    a, b = deployment["ports"]
    links = deployment["links"]
    assert len(links) == 4
    for port, path in zip((a, b), links[:2], strict=True):
        browser = Browser()
        status, _h, page = browser.get(port, path, cookies=False)
        assert status == 200, page[-500:]
        form = {"csrf_token": CSRF.search(page).group(1)}
        for name in dict.fromkeys(RADIO.findall(page)):
            form[name] = "4"
        status, headers, _t = browser.post(port, path, form, cookies=False)
        assert status == 303
        status, _h, thanks = browser.get(port, urllib.parse.urlsplit(headers["Location"]).path,
                                         cookies=False)
        assert status == 200 and "Terima kasih" in thanks
        # The other server knows it was answered.
        other = b if port == a else a
        assert Browser().post(other, path, form, cookies=False)[0] != 303


def test_a_rate_limit_is_counted_once_across_both_servers(deployment):
    """Unknown respondent links: 60 a minute per address (RESPOND_UNKNOWN_LINK_LIMIT). Counted in
    each server's memory, 60 on each would pass."""
    a, b = deployment["ports"]
    statuses = [Browser().get((a, b)[n % 2], f"/s/unknown{n:04d}", cookies=False)[0]
                for n in range(62)]
    assert statuses[:60] == [404] * 60
    assert statuses[60:] == [429, 429]


def test_metrics_are_on_their_own_address_only(deployment):
    a, _b = deployment["ports"]
    connection = http.client.HTTPConnection("127.0.0.1", deployment["metrics"], timeout=10)
    connection.request("GET", "/metrics")
    text = connection.getresponse().read().decode()
    assert re.search(r'skm_http_requests_total\{endpoint="auth.login",method="GET",'
                     r'status="200"\} [1-9]', text), text[:2000]
    assert "skm_http_request_duration_seconds_bucket" in text
    assert "/s/" not in text  # endpoints, never paths
    assert Browser().get(a, "/metrics")[0] in (302, 404)  # not on the app's own address
