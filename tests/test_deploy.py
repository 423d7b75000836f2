"""Deployment, in one process: the settings table of docs/deploy.md is config.SETTINGS, nginx's
upload limits are the app's, /healthz and /readyz, `skm check-config`, and a round's results CSV
built by a job and handed out by another app sharing only the database. tests/test_install.py
runs the installed package with two servers."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from survey_app import catalogs, checks, config, create_app
from survey_app.config import DEFAULTS
from tests import portal_setup
from tests.conftest import _config

ROOT = Path(__file__).resolve().parent.parent
DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def test_the_settings_table_in_the_guide_is_the_one_in_config():
    guide = (ROOT / "docs" / "deploy.md").read_text()
    table = re.search(r"<!-- settings:begin -->\n(.*)<!-- settings:end -->", guide, re.S)
    assert table, "docs/deploy.md lost its settings markers"
    assert table.group(1) == config.markdown_table()


def test_every_variable_the_code_reads_is_in_the_settings_list():
    read = set()
    files = [*(ROOT / "survey_app").rglob("*.py"), ROOT / "gunicorn.conf.py", ROOT / "wsgi.py"]
    for path in files:
        source = path.read_text()
        read |= set(re.findall(r"\benv(?:_or_default)?\(\"([A-Z_]+)\"", source))
        read |= set(re.findall(r"os\.environ(?:\.get\(|\[)\"([A-Z_]+)\"", source))
    read -= {"PATH"}  # backup.py: where pg_dump is, not a setting
    assert read == set(config.BY_NAME), read ^ set(config.BY_NAME)


def _nginx_limits() -> dict[str, str]:
    """client_max_body_size per location ("" for the server's own)."""
    site = (ROOT / "deploy" / "nginx-skm.conf").read_text()
    limits = {}
    location = ""
    for line in site.splitlines():
        line = line.strip()
        if line.startswith("location"):
            location = line.split()[1]
        elif line == "}":
            location = ""
        match = re.match(r"client_max_body_size (\d+)([km]);", line)
        if match:
            limits[location] = int(match[1]) * {"k": 1024, "m": 1024 * 1024}[match[2]]
    return limits


def test_nginx_upload_limits_are_the_apps():
    limits = _nginx_limits()
    assert limits[""] == DEFAULTS["MAX_CONTENT_LENGTH"] == 16 * 1024 * 1024
    assert limits["/coordinator/complaints/upload"] == DEFAULTS["COMPLAINT_MAX_UPLOAD"] == (
        64 * 1024 * 1024)
    assert limits["/s/"] == 64 * 1024  # RESPOND_MAX_CONTENT_LENGTH
    site = (ROOT / "deploy" / "nginx-skm.conf").read_text()
    respondents = site[site.index("location /s/"):]
    assert "access_log off;" in respondents[:respondents.index("}")]


def test_healthz_and_readyz(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json() == {"status": "ok", "failed": []}
    assert "Set-Cookie" not in ready.headers


def test_readyz_names_a_redis_that_does_not_answer(tmp_path):
    from survey_app.extensions import db

    app = create_app({**_config(tmp_path), "RATELIMIT_STORAGE_URI": DEAD_REDIS})
    with app.app_context():
        db.create_all()
    try:
        ready = app.test_client().get("/readyz")
        assert ready.status_code == 503
        assert ready.get_json() == {"status": "fail", "failed": ["RATELIMIT_STORAGE_URI"]}
        # A liveness probe does not depend on it.
        assert app.test_client().get("/healthz").status_code == 200
    finally:
        with app.app_context():  # this app's pooled connections, closed (not left to the GC)
            db.engine.dispose()


@pytest.fixture
def environment(monkeypatch, tmp_path):
    """A clean environment for check-config: every setting unset, the instance in tmp_path."""
    for name in config.BY_NAME:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SKM_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("JOBS_URL", f"sqlite:///{tmp_path / 'jobs.sqlite3'}")
    return monkeypatch


def _check(runner) -> tuple[int, str]:
    result = runner.invoke(args=["skm", "check-config"])
    return result.exit_code, result.output


def test_check_config_refuses_production_without_its_settings(runner, environment):
    environment.setenv("SKM_ENV", "production")
    code, out = _check(runner)
    assert code == 1
    errors = [line for line in out.splitlines() if not line.startswith(("PERINGATAN", "WARNING"))]
    assert any("SECRET_KEY" in line for line in errors)
    assert any("DATABASE_URL" in line for line in errors)
    assert any("PUBLIC_BASE_URL" in line for line in errors)
    environment.setenv("SECRET_KEY", "dev")
    code, out = _check(runner)
    assert code == 1 and "SECRET_KEY" in out


def test_check_config_passes_a_development_checkout_and_flags_a_dead_redis(runner, environment,
                                                                           tmp_path):
    environment.setenv("SECRET_KEY", "k" * 48)
    environment.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'skm.sqlite'}")
    code, out = _check(runner)
    assert code == 0, out
    environment.setenv("RATELIMIT_STORAGE_URI", DEAD_REDIS)
    code, out = _check(runner)
    assert code == 1
    assert "RATELIMIT_STORAGE_URI" in out


def test_check_config_reports_a_missing_catalog(runner, environment, tmp_path):
    environment.setenv("SECRET_KEY", "k" * 48)
    environment.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'skm.sqlite'}")
    copy = tmp_path / "translations"
    shutil.copytree(catalogs.TRANSLATIONS, copy, ignore=shutil.ignore_patterns("*.mo"))
    environment.setattr(catalogs, "TRANSLATIONS", copy)
    code, out = _check(runner)
    assert code == 1
    assert "messages.mo" in out
    assert [p.name for p in catalogs.compile_stale()] == ["messages.mo"]
    assert _check(runner)[0] == 0


def test_the_check_without_an_app_refuses_production_without_a_key(environment):
    environment.setenv("SKM_ENV", "production")
    lines: list[str] = []
    assert checks.report(checks.run(), lines.append) == 1
    assert any("SECRET_KEY" in line for line in lines)


def test_a_results_csv_job_is_started_from_the_results_list_and_downloaded(
        app, client, auth, users):
    """The results list starts the job; its page offers the file, byte for byte what `skm
    results --format csv` prints, read back from the database (job_files). That another server
    hands out the same file is tests/test_install.py's: two real gunicorns sharing PostgreSQL."""
    from survey_app.domain import results, rounds
    from survey_app.extensions import db
    from tests.conftest import csrf_token

    with app.app_context():
        portal_setup.build()
    auth.login(users["coordinator"])
    listing = client.get("/results/").get_data(as_text=True)
    assert 'action="/coordinator/jobs/results/2026-Q2"' in listing
    started = client.post("/coordinator/jobs/results/2026-Q2",
                          data={"csrf_token": csrf_token(client, "/results/")})
    assert started.status_code == 303
    job_page = started.headers["Location"]
    job_id = int(re.fullmatch(r"/coordinator/jobs/(\d+)", job_page).group(1))
    page = client.get(job_page).get_data(as_text=True)
    assert "Hasil CSV 2026-Q2" in page and f"/coordinator/jobs/{job_id}/download" in page
    with app.app_context():
        expected = results.to_csv(results.results_document(rounds.by_code("2026-Q2")))
        db.session.rollback()
    assert expected.count("\n") > 1
    download = client.get(f"/coordinator/jobs/{job_id}/download")
    assert download.status_code == 200
    assert download.mimetype == "text/csv"
    assert download.headers["Content-Disposition"] == "attachment; filename=hasil-2026-Q2.csv"
    assert download.get_data(as_text=True) == expected
    assert int(download.headers["Content-Length"]) == len(expected.encode())
    # Without the token: refused; the old address is gone.
    assert client.post("/coordinator/jobs/results/2026-Q2").status_code == 400
    assert client.post("/exports/2026-Q2/results.csv").status_code == 404


def test_only_coordinators_start_a_results_csv(app, client, auth, users):
    from tests.conftest import csrf_token

    with app.app_context():
        portal_setup.build()
    auth.login(users["viewer"])
    listing = client.get("/results/").get_data(as_text=True)
    assert "/coordinator/jobs/results/" not in listing
    refused = client.post("/coordinator/jobs/results/2026-Q2",
                          data={"csrf_token": csrf_token(client, "/results/")})
    assert refused.status_code == 403
