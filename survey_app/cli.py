"""Command-line tools: `flask --app wsgi skm <command>`. Each docstring is its --help."""
from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.exc import SQLAlchemyError

from survey_app.domain.errors import DomainError, ImportRejected
from survey_app.extensions import db

skm = AppGroup("skm", help="SKM survey platform tools.")


def fail(error: Exception) -> None:
    """Roll back, print what went wrong (every bad row of an import) and exit 1."""
    db.session.rollback()
    if isinstance(error, ImportRejected):
        click.echo(f"Nothing was imported: {len(error.errors)} problem(s) found.", err=True)
        for row_error in error.errors:
            click.echo(f"  {row_error}", err=True)
    else:
        click.echo(f"Error: {error}", err=True)
    sys.exit(1)


@skm.command("create-user")
@click.argument("email")
@click.option("--role", required=True, help="admin, coordinator, official or viewer")
@click.option("--official", "official_nip", help="the NIP of the official this account belongs to")
@click.password_option(help="asked for when not given")
def create_user(email, role, official_nip, password):
    """Create a login for EMAIL with a ROLE."""
    from survey_app.domain import accounts, audit

    try:
        user = accounts.create_user(email, password, role, official_nip,
                                    current_app.config["PASSWORD_HASH_METHOD"])
        audit.record("create-user", user.email, detail={"role": role})
        db.session.commit()
    except DomainError as e:
        fail(e)
    click.echo(f"Created {user.email} ({role}).")


def _run_import(importer, path: str, columns: list[str], label: str) -> None:
    """Read FILE, run one all-or-nothing import, commit once, and report."""
    from survey_app.domain import audit
    from survey_app.domain.tabular import read_table

    try:
        table = read_table(path, required=columns)
        summary = importer(table)
        audit.record(f"import-{label}", path, detail={"summary": str(summary)})
        db.session.commit()
    except DomainError as e:
        fail(e)
    except SQLAlchemyError as e:  # a database rule we did not foresee: still nothing written
        fail(DomainError("the database refused the import and nothing was written: "
                         f"{getattr(e, 'orig', e)}"))
    click.echo(f"{label}: {summary}.")


@skm.command("import-areas")
@click.argument("path", metavar="FILE", type=click.Path(dir_okay=False))
def import_areas(path):
    """Import areas from a CSV or XLSX FILE with columns code,parent_code,level,name.

    Levels: provinsi, kota, kabupaten, kecamatan, kelurahan. Parents come before their children.
    All-or-nothing; importing the same file again changes nothing.
    """
    from survey_app.domain.areas import AREA_COLUMNS, import_areas as run

    _run_import(run, path, AREA_COLUMNS, "areas")


@skm.command("import-units")
@click.argument("path", metavar="FILE", type=click.Path(dir_okay=False))
def import_units(path):
    """Import units (dinas) from a CSV or XLSX FILE with columns code,name."""
    from survey_app.domain.areas import UNIT_COLUMNS, import_units as run

    _run_import(run, path, UNIT_COLUMNS, "units")


@skm.command("import-officials")
@click.argument("path", metavar="FILE", type=click.Path(dir_okay=False))
def import_officials(path):
    """Import officials and appointments from a CSV or XLSX FILE with columns
    nip,name,position,area_code,unit_code,start_date,end_date.

    Positions: lurah, camat, walikota, bupati (with the area_code of the area they head) and
    kepala_dinas (with a unit_code). Dates are YYYY-MM-DD; an empty end_date means "still in post".
    Appointments of one position may not overlap. All-or-nothing; re-importing changes nothing.
    """
    from survey_app.domain.officials import OFFICIAL_COLUMNS, import_officials as run

    _run_import(run, path, OFFICIAL_COLUMNS, "officials")


@skm.command("demo")
@click.option("--scale", type=click.Choice(["small", "province"]), default="small", show_default=True)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--if-empty", is_flag=True, help="do nothing (but print the logins) if the database "
                                               "already has data")
def demo(scale, seed, if_empty):
    """Build a complete demo database: areas, officials, respondents, rounds with responses,
    complaints and one login per role. Needs an empty (migrated) database."""
    import time
    from datetime import date

    from survey_app.demo import DEMO_PASSWORDS, build_demo, database_is_empty
    from survey_app.domain.questionnaires import pin

    if not database_is_empty():
        if if_empty:
            click.echo("The database already has data; the demo was not loaded again.")
            _print_logins({k: v for k, v in DEMO_PASSWORDS.items()})
            return
        fail(DomainError("the database is not empty; the demo needs an empty database"))
    started = time.perf_counter()
    try:
        summary = build_demo(scale, seed, pin(DEMO_QUESTIONNAIRE), today=date.today(),
                             secret_key=current_app.config["SECRET_KEY"],
                             hash_method=current_app.config["PASSWORD_HASH_METHOD"])
        db.session.commit()
    except DomainError as e:
        fail(e)
    seconds = time.perf_counter() - started
    click.echo(f"Demo ({scale}, seed {seed}) built in {seconds:.1f} s: {summary.areas} areas, "
               f"{summary.officials} officials, {summary.respondents} respondents, rounds "
               f"{', '.join(summary.rounds)}, {summary.responses} responses ({summary.answers} "
               f"answers), {summary.complaints} complaints.")
    _print_logins(summary.logins)
    if summary.sample_link_token:
        base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
        click.echo(f"A respondent's link to try the form: {base}/s/{summary.sample_link_token}")


DEMO_QUESTIONNAIRE = "skm-tokoh-masyarakat-2026"


def _print_logins(logins: dict) -> None:
    click.echo("Demo logins (email / password):")
    for role, (email, password) in logins.items():
        click.echo(f"  {role:<13} {email:<26} {password}")


# --- respondents: rosters, invitations, paper forms (issue 4) ----------------------------------

def _run_round_import(code: str, path: str, label: str, columns_of, importer) -> None:
    """Like _run_import, for a file that belongs to a round: find round CODE, read FILE with the
    columns the round asks for, run the all-or-nothing import, commit once, and report."""
    from survey_app.domain import audit
    from survey_app.domain.invitations import round_by_code
    from survey_app.domain.tabular import read_table

    try:
        round_ = round_by_code(code)
        required, optional = columns_of(round_)
        summary = importer(round_, read_table(path, required=required, optional=optional))
        audit.record(f"import-{label}", round_.code, detail={"file": path, "summary": str(summary)})
        db.session.commit()
    except DomainError as e:
        fail(e)
    except SQLAlchemyError as e:
        fail(DomainError("the database refused the import and nothing was written: "
                         f"{getattr(e, 'orig', e)}"))
    click.echo(f"{label}: {summary}.")


@skm.command("import-respondents")
@click.argument("code")
@click.argument("path", metavar="FILE", type=click.Path(dir_okay=False))
def import_respondents(code, path):
    """Import the roster of round CODE from a CSV or XLSX FILE with columns
    respondent_ref,name,group,area_code,rw,rt,phone,email.

    Groups: rt, rw, lmk, fkdm, tokoh; area_code is a kelurahan (or a kecamatan, for FKDM and
    tokoh of a kecamatan). Each respondent gets a personal link to the round, rating the lurah,
    camat and wali kota/bupati above their area as the round's rating matrix says. All-or-nothing;
    re-importing updates names and contacts and never changes anyone's link.
    """
    from survey_app.domain import roster

    _run_round_import(code, path, "respondents",
                      lambda _round: (roster.REQUIRED_COLUMNS, roster.OPTIONAL_COLUMNS),
                      lambda round_, table: roster.import_roster(
                          round_, table, current_app.config["SECRET_KEY"]))


@skm.command("invitations")
@click.argument("code")
@click.option("--format", "fmt", type=click.Choice(["csv", "pdf"]), required=True)
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False),
              help="the file to write")
@click.option("--pending", is_flag=True, help="only respondents who have not finished (reminders)")
def invitations_export(code, fmt, out, pending):
    """Write the personal links of round CODE: a CSV for SMS/WhatsApp
    (respondent_ref,name,group,area_code,phone,link,whatsapp_url) or a PDF of letters with QR
    codes, four to an A4 page, grouped by kelurahan."""
    from pathlib import Path

    from survey_app.domain import invitations

    try:
        round_ = invitations.round_by_code(code)
        rows = invitations.export_rows(round_, current_app.config["PUBLIC_BASE_URL"],
                                       current_app.config["SECRET_KEY"], pending_only=pending)
        if fmt == "csv":
            data = invitations.export_csv(rows)
        else:
            from reports.invitations import render_letters

            data = render_letters(invitations.letter_batch(round_, rows))
    except DomainError as e:
        fail(e)
    Path(out).write_bytes(data)
    click.echo(f"{len(rows)} invitation(s) written to {out}.")


@skm.command("import-responses")
@click.argument("code")
@click.argument("path", metavar="FILE", type=click.Path(dir_okay=False))
def import_responses(code, path):
    """Import paper forms of round CODE from a CSV or XLSX FILE with columns
    respondent_ref,position,area_code,<the questionnaire's item codes...>,comment.

    One row per respondent and rated position (position: lurah, camat, walikota or bupati;
    area_code: the area that official heads). Answers 1 to 4; blank only where the questionnaire
    allows it. All-or-nothing; a respondent and position already answered is refused.
    """
    from survey_app.domain import responses

    _run_round_import(code, path, "responses",
                      lambda round_: (responses.paper_columns(round_)[:-1], ["comment"]),
                      responses.import_paper)
