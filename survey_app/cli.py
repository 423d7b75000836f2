"""Command-line tools: `flask --app wsgi skm <command>`. Each docstring is its --help."""
from __future__ import annotations

import os
import sys

import click
from flask import current_app
from flask.cli import AppGroup
from flask_babel import gettext as _
from flask_babel import ngettext, pgettext
from sqlalchemy.exc import SQLAlchemyError

from survey_app.domain.errors import DomainError, ImportRejected
from survey_app.domain.tabular import collector_paused
from survey_app.domain.vocabulary import DEFAULT_SETTINGS
from survey_app.extensions import db

skm = AppGroup("skm", help="SKM survey platform tools.")


def fail(error: Exception) -> None:
    """Roll back, print what went wrong (every bad row of an import) and exit 1."""
    db.session.rollback()
    if isinstance(error, ImportRejected):  # in the default language, like its row errors
        click.echo(error.headline, err=True)
        for row_error in error.errors:
            click.echo(f"  {row_error}", err=True)
    elif isinstance(getattr(error, "errors", None), dict):  # settings: one line per field
        click.echo(_("Error: nothing was saved."), err=True)
        for name, message in error.errors.items():
            click.echo(f"  {name}: {message}", err=True)
    else:
        click.echo(_("Error: %(message)s", message=str(error)), err=True)
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
    click.echo(_("Created %(email)s (%(role)s).", email=user.email, role=role))


def _database_refused(error: SQLAlchemyError) -> DomainError:
    """A database rule we did not foresee: the transaction is rolled back, nothing written."""
    return DomainError(_("The database refused the import and nothing was written: %(reason)s",
                         reason=str(getattr(error, "orig", error))))


def _run_import(label: str, read_and_import):
    """Run one import (all-or-nothing unless the importer skips bad rows), commit once, report,
    and return the summary. ``read_and_import()`` reads the file, imports it and returns the
    summary, the audit record's target and its other details, and the title of the summary
    line; ``label`` names the audit record."""
    from survey_app.domain import audit

    try:
        summary, target, detail, title = read_and_import()
        audit.record(f"import-{label}", target, detail={**detail, "summary": str(summary)})
        db.session.commit()
    except DomainError as e:
        fail(e)
    except SQLAlchemyError as e:
        fail(_database_refused(e))
    click.echo(f"{title}: {summary}.")
    return summary


def _run_master_import(importer, path: str, columns: list[str], label: str, title) -> None:
    """Read FILE and import it with ``importer``, as _run_import does (``title`` names the
    summary line)."""
    from survey_app.domain.tabular import read_table

    _run_import(label, lambda: (importer(read_table(path, required=columns)), path, {}, title))


@skm.command("import-areas")
@click.argument("path", metavar="FILE", type=click.Path(dir_okay=False))
def import_areas(path):
    """Import areas from a CSV or XLSX FILE with columns code,parent_code,level,name.

    Levels: provinsi, kota, kabupaten, kecamatan, kelurahan. Parents come before their children.
    All-or-nothing; importing the same file again changes nothing.
    """
    from survey_app.domain.areas import AREA_COLUMNS
    from survey_app.domain.areas import import_areas as run

    _run_master_import(run, path, AREA_COLUMNS, "areas", _("Areas"))


@skm.command("import-units")
@click.argument("path", metavar="FILE", type=click.Path(dir_okay=False))
def import_units(path):
    """Import units (dinas) from a CSV or XLSX FILE with columns code,name."""
    from survey_app.domain.areas import UNIT_COLUMNS
    from survey_app.domain.areas import import_units as run

    _run_master_import(run, path, UNIT_COLUMNS, "units", _("Units"))


@skm.command("import-officials")
@click.argument("path", metavar="FILE", type=click.Path(dir_okay=False))
def import_officials(path):
    """Import officials and appointments from a CSV or XLSX FILE with columns
    nip,name,position,area_code,unit_code,start_date,end_date.

    Positions: lurah, camat, walikota, bupati (with the area_code of the area they head) and
    kepala_dinas (with a unit_code). Dates are YYYY-MM-DD; an empty end_date means "still in post".
    Appointments of one position may not overlap. All-or-nothing; re-importing changes nothing.
    """
    from survey_app.domain.officials import OFFICIAL_COLUMNS
    from survey_app.domain.officials import import_officials as run

    _run_master_import(run, path, OFFICIAL_COLUMNS, "officials", _("Officials"))


# --- rounds -----------------------------------------------------------------------------------

round_group = AppGroup("round",
                       help="Quarterly rounds: create, list, open, close, extend, publish.")
skm.add_command(round_group)


def _when(value: str, option: str):
    from survey_app.domain import clock

    try:
        return clock.parse_datetime(value)
    except ValueError:
        raise click.BadParameter(_("'%(value)s' is not a date and time like 2027-01-15T08:00 "
                                   "(Asia/Jakarta unless it has an offset).", value=value),
                                 param_hint=option) from None


def _round_action(code: str, action) -> None:
    """Run one lifecycle action on round CODE, commit, and say where it is now."""
    from survey_app.domain import rounds

    try:
        round_ = action(rounds.by_code(code))
        db.session.commit()
    except DomainError as e:
        fail(e)
    click.echo(f"{round_.code}: {rounds.state_label(rounds.effective_state(round_))} "
               f"({_wib(round_.opens_at)} - {_wib(round_.closes_at)}).")


def _wib(value) -> str:
    from survey_app.domain.clock import to_jakarta

    return to_jakarta(value).strftime("%Y-%m-%d %H:%M") + " WIB"


def _setting_option(name: str, help: str):
    """--NAME for a round setting: its type and default are DEFAULT_SETTINGS[name]'s."""
    default = DEFAULT_SETTINGS[name]
    return click.option(f"--{name.replace('_', '-')}", type=type(default), default=default,
                        show_default=True, help=help)


@round_group.command("create")
@click.argument("code")
@click.option("--questionnaire", required=True, help="a questionnaire key from questionnaires/")
@click.option("--opens", required=True, help="opening time, ISO 8601 (Asia/Jakarta if no offset)")
@click.option("--closes", required=True, help="closing time, ISO 8601 (Asia/Jakarta if no offset)")
@click.option("--weights", help="group weights, e.g. rt=0.25,rw=0.25,lmk=0.2,fkdm=0.15,tokoh=0.15 "
                                "(groups not named weigh 0) [default: that]")
@click.option("--rates", multiple=True, metavar="GROUP=TIER+TIER",
              help="which levels a group rates, e.g. --rates fkdm=camat+walikota "
                   "(repeatable; default: every group rates lurah, camat and walikota)")
@_setting_option("deadline_days", "complaint resolution deadline")
@_setting_option("min_group", "fewest respondents for a group to count for a position")
@_setting_option("survey_weight", "weight of the survey in the composite score")
@_setting_option("complaint_weight", "weight of complaint handling in the composite score")
@_setting_option("min_complaints", "fewest complaints for an in-time rate to count against anyone")
@click.option("--followup-required", is_flag=True,
              help="a missing or overdue follow-up plan counts as a failed quarter")
@click.option("--schedule", "schedule_it", is_flag=True,
              help="schedule it at once (it opens by itself at its opening time)")
def round_create(code, questionnaire, opens, closes, weights, rates, deadline_days, min_group,
                 survey_weight, complaint_weight, min_complaints, followup_required,
                 schedule_it):
    """Create round CODE (like 2027-Q1) as a draft, pinning the questionnaire as it is now."""
    from survey_app.domain import rounds

    try:
        settings = rounds.Settings(
            questionnaire=questionnaire, opens_at=_when(opens, "--opens"),
            closes_at=_when(closes, "--closes"), deadline_days=deadline_days, min_group=min_group,
            survey_weight=survey_weight, complaint_weight=complaint_weight,
            min_complaints=min_complaints, followup_required=followup_required)
        if weights:
            settings.group_weights = rounds.parse_weights(weights)
        if rates:
            settings.rating_matrix = rounds.parse_rating_matrix(list(rates))
        round_ = rounds.create(code, settings)
        if schedule_it:
            rounds.schedule(round_)
        db.session.commit()
    except DomainError as e:
        fail(e)
    click.echo(_("Created %(code)s (%(state)s): %(opens)s - %(closes)s, questionnaire %(key)s "
                 "v%(version)s (sha256 %(hash)s).", code=round_.code,
                 state=rounds.state_label(rounds.effective_state(round_)),
                 opens=_wib(round_.opens_at), closes=_wib(round_.closes_at),
                 key=round_.questionnaire.key, version=round_.questionnaire.version,
                 hash=round_.questionnaire.content_hash[:12]))


@round_group.command("list")
def round_list():
    """Every round with its state, times and response rate."""
    from survey_app.domain import rounds

    listing = rounds.listing()
    db.session.commit()  # clock transitions seen just now are recorded
    if not listing:
        click.echo(_("No rounds yet."))
    for round_, state, progress in listing:
        rate = f"{progress.rate:.1%}" if progress.rate is not None else "-"
        click.echo(f"{round_.code}  {rounds.state_label(state):<12} {_wib(round_.opens_at)} - "
                   f"{_wib(round_.closes_at)}  {round_.questionnaire.key}  "
                   f"{progress.completed}/{progress.invited} ({rate})")


@round_group.command("schedule")
@click.argument("code")
def round_schedule(code):
    """Schedule draft round CODE: it opens and closes by itself at its times."""
    from survey_app.domain import rounds

    _round_action(code, rounds.schedule)


@round_group.command("open")
@click.argument("code")
def round_open(code):
    """Open round CODE now (from draft or scheduled)."""
    from survey_app.domain import rounds

    _round_action(code, rounds.open_now)


@round_group.command("close")
@click.argument("code")
def round_close(code):
    """Close open round CODE now (a round that must be stopped is closed, never deleted)."""
    from survey_app.domain import rounds

    _round_action(code, rounds.close_now)


@round_group.command("extend")
@click.argument("code")
@click.option("--closes", required=True, help="the new, later closing time (ISO 8601)")
def round_extend(code, closes):
    """Move the close of open round CODE later."""
    from survey_app.domain import rounds

    new_close = _when(closes, "--closes")
    _round_action(code, lambda r: rounds.extend(r, new_close))


@round_group.command("publish")
@click.argument("code")
def round_publish(code):
    """Publish closed round CODE: officials can then see their results."""
    from survey_app.domain import rounds

    _round_action(code, rounds.publish)


@round_group.command("republish")
@click.argument("code")
@click.option("--reason", required=True, help="why the published figures are redone (recorded "
                                              "in the audit log)")
def round_republish(code, reason):
    """Publish published round CODE again from today's data (late complaints, rotations,
    corrections): the figures are recomputed, the reason is recorded, every card issued so far
    is marked as replaced on /verify, and new cards are issued from now on."""
    from survey_app.domain import publication, rounds

    try:
        round_ = rounds.by_code(code)
        published = publication.republish(round_, reason)
        db.session.commit()
    except DomainError as e:
        fail(e)
    click.echo(_("%(code)s: publication %(number)s stored; cards issued before it are marked as "
                 "replaced.", code=round_.code, number=published.number))


@round_group.command("next")
@click.argument("code")
def round_next(code):
    """Create the next quarter's draft from round CODE (same settings, dates moved 3 months)."""
    from survey_app.domain import invitations

    _round_action(code, invitations.next_quarter)


@skm.command("results")
@click.argument("code")
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json",
              show_default=True)
@click.option("--fresh", is_flag=True, help="compute the figures now (and store them) instead of "
              "printing the latest stored ones")
def results_command(code, fmt, fresh):
    """Print the results document of round CODE (DESIGN.md), as JSON or one CSV row per position:
    as published, or the latest stored figures as the results pages show them (when they were
    computed goes to stderr). Computed here only with --fresh or when none are stored."""
    from flask_babel import format_timedelta

    from survey_app.domain import clock, published, results, rounds

    try:
        round_ = rounds.by_code(code)
        rounds.record_clock_transitions([round_])
        in_force = results.publication_in_force(round_)
        if in_force is not None and fmt == "json":  # one stored document, printed as it is
            db.session.commit()
            click.echo(results.to_json(published.published_dict(in_force)))
            return
        shown = None if fresh else results.latest(round_)
        if shown is None:
            document = (results.refresh(round_) if fresh and round_.state != "published"
                        else results.results_document(round_))
        db.session.commit()  # clock transitions and stored results
    except DomainError as e:
        fail(e)
    if shown is not None:
        document = shown.document
    if shown is not None and not shown.published:
        when = clock.to_jakarta(shown.computed_at).strftime("%d-%m-%Y %H:%M WIB")
        click.echo(_("Figures computed on %(when)s, %(age)s ago.", when=when,
                     age=format_timedelta(clock.now() - shown.computed_at, threshold=1)), err=True)
        if not shown.current:
            click.echo(_("Their data changed since, or they are older than %(seconds)s seconds: "
                         "--fresh computes them now.",
                         seconds=current_app.config["RESULTS_REFRESH_SECONDS"]), err=True)
    if fmt == "json":
        click.echo(results.to_json(document))
    else:
        click.echo(results.to_csv(document), nl=False)


@skm.command("demo")
@click.option("--scale", type=click.Choice(["small", "province"]), default="small",
              show_default=True)
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
            click.echo(_("The database already has data; the demo was not loaded again."))
            _print_logins({k: v for k, v in DEMO_PASSWORDS.items()})
            return
        fail(DomainError(_("The database is not empty; the demo needs an empty database.")))
    started = time.perf_counter()
    try:
        summary = build_demo(scale, seed, pin(DEMO_QUESTIONNAIRE), today=date.today(),
                             secret_key=current_app.config["SECRET_KEY"],
                             hash_method=current_app.config["PASSWORD_HASH_METHOD"])
        db.session.commit()
    except DomainError as e:
        fail(e)
    seconds = time.perf_counter() - started
    contents = [
        ngettext("%(num)s area", "%(num)s areas", summary.areas),
        ngettext("%(num)s official", "%(num)s officials", summary.officials),
        ngettext("%(num)s respondent", "%(num)s respondents", summary.respondents),
        ngettext("round %(codes)s", "rounds %(codes)s", len(summary.rounds),
                 codes=", ".join(summary.rounds)),
        ngettext("%(num)s response", "%(num)s responses", summary.responses) + " ("
        + ngettext("%(num)s answer", "%(num)s answers", summary.answers) + ")",
        ngettext("%(num)s complaint", "%(num)s complaints", summary.complaints)]
    click.echo(_("Demo (%(scale)s, seed %(seed)s) built in %(seconds)s s: %(contents)s.",
                 scale=scale, seed=seed, seconds=f"{seconds:.1f}", contents=", ".join(contents)))
    _print_logins(summary.logins)
    if summary.sample_link_token:
        base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
        click.echo(_("A respondent's link to try the form: %(link)s",
                     link=f"{base}/s/{summary.sample_link_token}"))


DEMO_QUESTIONNAIRE = "skm-tokoh-masyarakat-2026"


def _print_logins(logins: dict) -> None:
    click.echo(_("Demo logins (email / password):"))
    for role, (email, password) in logins.items():
        click.echo(f"  {role:<13} {email:<26} {password}")


# --- complaints (issue 5) ----------------------------------------------------------------------

@skm.command("import-complaints")
@click.argument("path", metavar="FILE", type=click.Path(dir_okay=False))
@click.option("--map", "mappings", multiple=True, metavar="SRC=DEST",
              help="rename a column of the file, e.g. --map TrackingID=complaint_id (repeatable)")
@click.option("--as-of", "as_of", metavar="TIME",
              help="when the export was taken (ISO 8601; no offset = WIB). Default: the newest "
                   "timestamp in the file")
@click.option("--skip-bad", "skip_bad", metavar="OUT", type=click.Path(dir_okay=False),
              help="import the good rows and write the bad ones, with their errors, to OUT (CSV)")
# The collector stays off until the command is done, its commit included: turned on again between
# the steps (each pauses it), it went through the export's million objects, still held, several
# times over (at the commit, the job library's import alone: 0.3 s more).
@collector_paused()
def import_complaints(path, mappings, as_of, skip_bad):
    """Import complaints from a CRM or LAPOR! export: a CSV or XLSX FILE with columns
    complaint_id, channel, category, area_code, unit_code, status, reported_at,
    first_response_at, resolved_at (only complaint_id, reported_at and one of area_code or
    unit_code are required; other columns are ignored).

    Statuses in Indonesian or English (Menunggu, Koordinasi, Disposisi, Proses, Selesai, Ditolak);
    without a status column a complaint with resolved_at is Selesai, else Menunggu. Times are
    ISO 8601, Asia/Jakarta when they carry no offset. LAPOR! open data, for example:
    --map TrackingID=complaint_id --map TanggalLaporanMasuk=reported_at
    --map TanggalLaporanDitutup=resolved_at --map AreaID=area_code.

    Upsert by complaint_id. Each export has an as-of time (--as-of, by default the newest
    timestamp in the file; no timestamp may be later than it, or in the future): a complaint is
    updated only when the export is at least as new as the one it was last imported from, so an
    older export never overwrites newer facts (a partial export, e.g. of one area, can look
    older than it is: give it --as-of). Each complaint is attributed to the lurah of its
    kelurahan (the kepala dinas when it names a unit) and to the official in post on the day it
    was reported. All-or-nothing unless --skip-bad.
    """
    from survey_app.domain import audit, clock
    from survey_app.domain.complaints import bad_rows_csv, parse_mapping, read_complaints
    from survey_app.domain.complaints import import_complaints as run

    _not_the_file_itself(skip_bad, path)
    try:
        mapping = parse_mapping(mappings)
        try:
            as_of_time = clock.parse_datetime(as_of) if as_of else None
        except ValueError:
            raise DomainError(_("--as-of '%(value)s' is not a date and time like "
                                "2027-01-08T07:00.", value=as_of)) from None
        table = read_complaints(path, mapping=mapping)
        summary, checked = run(table, as_of_time, skip_bad=bool(skip_bad))
        if skip_bad:  # before the commit: when OUT cannot be written, nothing is stored
            _write_bad_rows(skip_bad, bad_rows_csv(table, checked, mapping))
        audit.record("import-complaints", path, detail={"summary": str(summary),
                                                         "as_of": summary.as_of.isoformat()})
        db.session.commit()
    except DomainError as e:
        fail(e)
    except SQLAlchemyError as e:
        fail(_database_refused(e))
    click.echo(_("Complaints: %(summary)s.", summary=summary))
    when = f"{clock.to_jakarta(summary.as_of):%Y-%m-%d %H:%M}"
    if checked.as_of_given:
        click.echo(_("Export as of %(time)s WIB (given).", time=when))
    else:
        click.echo(_("Export as of %(time)s WIB (its newest timestamp).", time=when))
    if summary.ignored_columns:
        click.echo(_("Ignored columns: %(columns)s.", columns=", ".join(summary.ignored_columns)))
    if skip_bad:
        click.echo(ngettext("%(num)s bad row written to %(path)s.",
                            "%(num)s bad rows written to %(path)s.", len(checked.bad),
                            path=skip_bad))


@skm.command("complaints")
@click.argument("code")
def complaints(code):
    """Print the complaint figures of round CODE (e.g. 2027-Q1) per position, then the ranking
    of units (dinas) by in-time rate and response speed.

    Rate = resolved in time / (resolved + open past the deadline at the moment of judgment, the
    quarter's end plus the deadline; before it, now: provisional); rejected complaints are left
    out of the rate and the medians; medians in days to resolve and hours to the first response.
    Units are ranked only with enough complaints to judge (the round's --min-complaints)."""
    from survey_app.domain.complaint_figures import (
        cutoff_of,
        figures_for_round,
        figures_table,
        is_final,
        rank_units,
    )
    from survey_app.domain.rounds import by_code

    try:
        round_ = by_code(code)
        figures = figures_for_round(round_)
    except DomainError as e:
        fail(e)

    def num(value, digits=2):
        return "-" if value is None else f"{value:.{digits}f}"

    heading = {  # the table's column headings ("complaint figures": short words in a table)
        "position": pgettext("complaint figures", "position"),
        "code": pgettext("complaint figures", "code"),
        "received": pgettext("complaint figures", "received"),
        "rejected": pgettext("complaint figures", "rejected"),
        "resolved": pgettext("complaint figures", "resolved"),
        "in time": pgettext("complaint figures", "in time"),
        "rate": pgettext("complaint figures", "rate"),
        "med.days": pgettext("complaint figures", "med.days"),
        "med.hours": pgettext("complaint figures", "med.hours"),
        "overdue": pgettext("complaint figures", "overdue"),
        "name": pgettext("complaint figures", "name"),
        "rank": pgettext("complaint figures", "rank"),
        "unit": pgettext("complaint figures", "unit"),
    }
    click.echo(_("Complaints %(code)s: deadline %(days)s days.", code=round_.code,
                 days=round_.deadline_days))
    if is_final(round_):
        click.echo(_("Final figures, as of %(time)s.", time=_wib(cutoff_of(round_))))
    else:
        click.echo(_("Provisional figures, as of %(time)s.", time=_wib(cutoff_of(round_))))
    _print_table(
        [heading[k] for k in ("position", "code", "received", "rejected", "resolved", "in time",
                              "rate", "med.days", "med.hours", "overdue", "name")],
        [[p.kind, p.code, p.figures.received, p.figures.rejected, p.figures.resolved,
          p.figures.resolved_in_time, num(p.figures.in_time_rate),
          num(p.figures.median_days_to_resolve), num(p.figures.median_hours_to_first_response),
          p.figures.open_overdue, p.name] for p in figures_table(round_, figures=figures)],
        left=(0, 1, 10))
    click.echo("")
    click.echo(_("Units by in-time rate and response speed (ranked with at least %(n)s "
                 "complaints to judge):", n=round_.min_complaints))
    _print_table(
        [heading[k] for k in ("rank", "unit", "received", "rate", "med.hours", "med.days",
                              "name")],
        [[u.rank or "-", u.unit_code, u.figures.received, num(u.figures.in_time_rate),
          num(u.figures.median_hours_to_first_response), num(u.figures.median_days_to_resolve),
          u.unit_name] for u in rank_units(round_, figures=figures)],
        left=(1, 6))


def _print_table(headings: list[str], rows: list[list], left: tuple[int, ...]) -> None:
    """Columns as wide as their widest cell (headings are translated, so their width varies):
    text columns (``left``) aligned left, numbers right, two spaces between them."""
    widths = [max(len(str(cell)) for cell in cells) for cells in zip(headings, *rows, strict=True)]
    for row in [headings, *rows]:
        cells = enumerate(zip(row, widths, strict=True))
        click.echo("  ".join(str(cell).ljust(width) if i in left else str(cell).rjust(width)
                             for i, (cell, width) in cells).rstrip())


@skm.command("render")
@click.argument("code")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="the directory for the PDF files (made if missing)")
@click.option("--lang", type=click.Choice(["id", "en"]), default="id", show_default=True)
@click.option("--processes", type=int, default=2, show_default=True,
              help="rendering processes (1: all in this one)")
def render_command(code, out_dir, lang, processes):
    """Render the report card of every position of round CODE, and the province summary, as PDF
    files in DIR. Each card gets its document number and fingerprint (recorded, so that printed
    copies can be checked at /verify); the same figures keep the same number."""
    import time

    from reports.batch import render_all
    from survey_app.domain import audit, cards, followups, results, rounds

    started = time.perf_counter()
    try:
        round_ = rounds.by_code(code)
        rounds.record_clock_transitions([round_])
        document = results.results_document(round_)
        verify_url = cards.verify_url(current_app.config["PUBLIC_BASE_URL"])
        issued = cards.cards_for(round_, document, list(document.positions), lang, verify_url)
        summary = cards.summary_data(document, lang, cards.complaint_ranking(round_, document),
                                     published=round_.state == "published",
                                     followup_counts=followups.counts_by_kota(round_, document))
        cards.issue_summary(round_, summary, verify_url)
        audit.record("render", round_.code, None, {"lang": lang, "cards": len(issued),
                                                   "summary": summary.number})
        db.session.commit()  # numbers are issued before the files are written
    except DomainError as e:
        fail(e)
    collected = time.perf_counter() - started
    os.makedirs(out_dir, exist_ok=True)
    jobs = [(cards.file_name(data), data) for data in issued]
    jobs.append((f"ringkasan_{round_.code}.pdf", summary))
    for name, pdf in render_all(jobs, processes):
        with open(os.path.join(out_dir, name), "wb") as f:
            f.write(pdf)
    click.echo(ngettext(
        "%(num)s report card and the province summary of %(code)s written to %(path)s in "
        "%(seconds)s s (data %(data)s s).",
        "%(num)s report cards and the province summary of %(code)s written to %(path)s in "
        "%(seconds)s s (data %(data)s s).", len(issued), code=round_.code, path=out_dir,
        seconds=f"{time.perf_counter() - started:.1f}", data=f"{collected:.1f}"))


# --- respondents: rosters, invitations, paper forms (issue 4) ----------------------------------

def _run_round_import(code: str, path: str, label: str, read, importer):
    """Like _run_master_import, for a file that belongs to a round: find round CODE, read FILE
    with ``read(round, path)`` (the columns the round asks for), import it with
    ``importer(round, table)``, and return the summary."""
    from survey_app.domain.rounds import by_code

    def read_and_import():
        round_ = by_code(code)
        summary = importer(round_, read(round_, path))
        return summary, round_.code, {"file": path}, round_.code

    return _run_import(label, read_and_import)


@skm.command("import-respondents")
@click.argument("code")
@click.argument("path", metavar="FILE", type=click.Path(dir_okay=False))
def import_respondents(code, path):
    """Import the roster of round CODE from a CSV or XLSX FILE with columns
    respondent_ref,name,group,area_code,rw,rt,phone,email.

    Groups: rt, rw, lmk, fkdm, tokoh; area_code is a kelurahan (or a kecamatan, for FKDM and
    tokoh of a kecamatan). Each respondent gets a personal link to the round, rating the lurah,
    camat and wali kota/bupati above their area as the round's rating matrix says. All-or-nothing;
    re-importing updates names and contacts and never changes anyone's link. A respondent taken
    off the roster (skm respondent deactivate) whom the file names has their details updated but
    stays inactive, with no working link; the summary names them (reactivate them, then import
    the file again, to invite them).
    """
    from survey_app.domain import roster

    _run_round_import(code, path, "respondents", lambda _round, path: roster.read_roster(path),
                      lambda round_, table: roster.import_roster(
                          round_, table, current_app.config["SECRET_KEY"]))


@skm.command("invitations")
@click.argument("code")
@click.option("--format", "fmt", type=click.Choice(["csv", "pdf"]), required=True)
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False),
              help="the file to write")
@click.option("--pending", is_flag=True, help="only respondents who have not finished (reminders)")
@click.option("--area", "area_code", metavar="CODE",
              help="only the respondents of this kota, kecamatan or kelurahan")
def invitations_export(code, fmt, out, pending, area_code):
    """Write the personal links of round CODE: a CSV for SMS/WhatsApp
    (respondent_ref,name,group,area_code,phone,link,whatsapp_url) or a PDF of letters with QR
    codes, four to an A4 page, grouped by kelurahan. (The pages prepare these, and a ZIP with a
    PDF per kelurahan, as a background job.)"""
    from pathlib import Path

    from survey_app.domain import invitations, rounds

    try:
        round_ = rounds.by_code(code)
        area_ids = invitations.area_and_below(area_code)[1] if area_code else None
        rows = invitations.export_rows(round_, current_app.config["PUBLIC_BASE_URL"],
                                       current_app.config["SECRET_KEY"], pending_only=pending,
                                       area_ids=area_ids)
        if fmt == "csv":
            data = invitations.export_csv(rows)
        else:
            from reports.invitations import render_letters

            data = render_letters(invitations.letter_batch(round_, rows))
    except DomainError as e:
        fail(e)
    Path(out).write_bytes(data)
    click.echo(ngettext("%(num)s invitation written to %(path)s.",
                        "%(num)s invitations written to %(path)s.", len(rows), path=out))


@skm.command("import-responses")
@click.argument("code")
@click.argument("path", metavar="FILE", type=click.Path(dir_okay=False))
@click.option("--skip-bad", "skip_bad", metavar="OUT", type=click.Path(dir_okay=False),
              help="import the good rows and write the bad ones, with their errors, to OUT (CSV)")
def import_responses(code, path, skip_bad):
    """Import paper forms of round CODE from a CSV or XLSX FILE with columns
    respondent_ref,position,area_code,<the questionnaire's item codes...> and the optional
    columns filled_on,comment.

    One row per respondent and rated position (position: lurah, camat, walikota or bupati;
    area_code: the area that official heads). Answers 1 to 4, or blank where the form was left
    blank (a blank is left out of that element's score; a row with no answer and no comment is
    refused). filled_on: the day the form was filled in (YYYY-MM-DD, within the round and not
    in the future); the form counts for the official in post that day, without it the day of
    the import. A respondent and position already answered is refused. All-or-nothing, with
    every bad row's line and error, unless --skip-bad.

    With --skip-bad the good rows are stored and the bad ones written to OUT, as the roster
    page's download of bad rows: the file's own columns and an errors column naming each row's
    line. Fix them and import OUT itself (its errors column is ignored).
    """
    from survey_app.domain import responses

    _not_the_file_itself(skip_bad, path)

    def import_and_keep_bad(round_, table):
        summary = responses.import_paper(round_, table, skip_bad=bool(skip_bad))
        if skip_bad:  # before the commit: when OUT cannot be written, nothing is stored
            _write_bad_rows(skip_bad, summary.skipped_csv(table.header))
        return summary

    summary = _run_round_import(code, path, "responses", responses.read_paper,
                                import_and_keep_bad)
    if skip_bad:
        click.echo(ngettext("%(num)s bad row written to %(path)s.",
                            "%(num)s bad rows written to %(path)s.", len(summary.skipped),
                            path=skip_bad))


def _not_the_file_itself(out: str | None, path: str) -> None:
    """--skip-bad OUT may not overwrite the file being imported."""
    if out and os.path.realpath(out) == os.path.realpath(path):
        raise click.BadParameter(_("OUT must not be FILE itself."), param_hint="--skip-bad")


def _write_bad_rows(path: str, text: str) -> None:
    """Write the CSV of an import's bad rows to ``path``; DomainError when it cannot be."""
    try:
        with open(path, "w", encoding="utf-8", newline="") as out:
            out.write(text)
    except OSError as e:
        raise DomainError(_("Nothing was imported: the bad rows cannot be written to %(path)s "
                            "(%(reason)s).", path=path, reason=e.strerror or e)) from None


# --- held responses and background jobs ----------------------------------------------------------

@skm.command("release-responses")
@click.option("--closed-only", is_flag=True,
              help="only those of rounds that are no longer open (closed by hand or by the clock)")
def release_responses(closed_only):
    """Release held responses now, in one shuffled batch, and print how many.

    The worker (skm worker) does this by itself: every minute for the rounds that are no longer
    open, every hour for all. This command is for deployments that run it from cron instead
    (every minute with --closed-only, every hour without), and for operators."""
    from survey_app import jobs

    try:
        moved = jobs.release_responses(closed_only)
    except jobs.ReleaseFailed as e:
        fail(DomainError(_("Nothing was released: the database refused (%(error)s).",
                           error=str(e))))
    click.echo(ngettext("%(num)s held response released.", "%(num)s held responses released.",
                        moved))


@skm.command("worker")
@click.option("--workers", type=click.IntRange(1), default=1, show_default=True,
              help="jobs run at the same time (threads)")
@click.option("--verbose", is_flag=True, help="log every job the worker starts and ends")
def worker(workers, verbose):
    """Run the background-job worker in the foreground until Ctrl-C (SIGINT: after the running
    jobs end) or SIGTERM (at once). It takes jobs off the queue (JOBS_URL: by default a SQLite
    file in the instance folder; redis://... in production) and runs the periodic ones: every
    minute it releases the held responses of rounds that are no longer open (every hour all of
    them) and computes anew the stored results of the rounds that are due (the results pages
    show those). One per installation is enough, as a process of its own."""
    import logging

    from survey_app import jobs

    if jobs.huey.immediate:
        raise click.ClickException("JOBS_URL=memory:// runs every job at once in the process "
                                   "that asks for it: there is no queue for a worker.")
    logging.basicConfig(level=logging.INFO,
                        format="[%(asctime)s] %(levelname)s %(name)s: %(message)s")
    # The app's own loggers (survey_app.jobs) already write through Flask's handler: once only.
    current_app.logger.propagate = False
    logging.getLogger("huey").setLevel(logging.INFO if verbose else logging.WARNING)
    jobs.use_app(current_app._get_current_object())
    consumer = jobs.huey.create_consumer(workers=workers, periodic=True)
    logging.getLogger("survey_app.jobs").info(
        "Worker running: %s queue %r, %d thread(s), periodic jobs on.",
        type(jobs.huey).__name__, jobs.huey.name, workers)
    consumer.run()


# --- backups (issue 19) -------------------------------------------------------------------------

@skm.command("backup")
@click.argument("out", metavar="OUT", type=click.Path(dir_okay=False))
def backup_command(out):
    """Write a consistent copy of the whole database to OUT, a new file, while the app runs.

    SQLite: the online backup API (a copy of the database file). PostgreSQL: pg_dump in its
    custom format (the PostgreSQL client tools, of the server's version or newer, must be
    installed). A backup holds everything, the links of responses still held included
    (docs/anonymity.md): keep it as safe as the database and no longer than needed."""
    from pathlib import Path

    from survey_app.domain import backup

    db.session.remove()
    try:
        size = backup.backup(db.engine, Path(out))
    except DomainError as e:
        fail(e)
    click.echo(_("Backup written to %(path)s (%(size)s kB).", path=out,
                 size=f"{size / 1024:.0f}"))


@skm.command("restore")
@click.argument("source", metavar="IN", type=click.Path(dir_okay=False))
def restore_command(source):
    """Bring the backup IN (made by `skm backup`) back into the database of DATABASE_URL, which
    must be empty (no row in any table; a database just created, or just migrated). Stop the
    app and the worker first; run `flask db upgrade` after it when the backup is older than the
    code."""
    from pathlib import Path

    from survey_app.domain import backup

    db.session.remove()
    try:
        restored = backup.restore(db.engine, Path(source))
    except DomainError as e:
        fail(e)
    click.echo(_("Restored %(path)s: %(tables)s tables, %(rows)s rows, schema revision "
                 "%(revision)s.", path=source, tables=restored.tables, rows=restored.rows,
                 revision=restored.revision or "-"))


# --- roster lifecycle and officials' accounts (issue 18) -----------------------------------

respondent_group = AppGroup("respondent", help="A respondent's place on the roster.")
skm.add_command(respondent_group)


def _lifecycle(action: str, ref: str) -> None:
    from survey_app.domain import lifecycle

    try:
        changed = getattr(lifecycle, action)(lifecycle.by_ref(ref))
        db.session.commit()
    except DomainError as e:
        fail(e)
    click.echo(_("Respondent %(ref)s deactivated; %(num)s invitations withdrawn.", ref=ref,
                 num=changed) if action == "deactivate" else
               _("Respondent %(ref)s reactivated; %(num)s invitations work again.", ref=ref,
                 num=changed))


@respondent_group.command("deactivate")
@click.argument("ref")
def respondent_deactivate(ref):
    """Take respondent REF off the roster: no letters, not counted as invited, not copied to the
    next quarter; their links in rounds whose roster may still change stop working. Answers
    already given stay counted."""
    _lifecycle("deactivate", ref)


@respondent_group.command("reactivate")
@click.argument("ref")
def respondent_reactivate(ref):
    """Put respondent REF back on the roster (their withdrawn links work again)."""
    _lifecycle("reactivate", ref)


@respondent_group.command("replace")
@click.argument("ref")
@click.option("--new-ref", required=True, help="the new person's respondent_ref")
@click.option("--name", required=True, help="the new person's name")
@click.option("--phone", default="", help="the new person's mobile number")
@click.option("--email", default="", help="the new person's email")
def respondent_replace(ref, new_ref, name, phone, email):
    """Replace respondent REF by a new person of the same group and area: REF is deactivated,
    the new one gets their own link in every round whose roster may still change."""
    from survey_app.domain import lifecycle

    try:
        new = lifecycle.replace(lifecycle.by_ref(ref), lifecycle.Newcomer(new_ref, name, phone,
                                                                          email),
                                current_app.config["SECRET_KEY"])
        db.session.commit()
    except DomainError as e:
        fail(e)
    click.echo(_("%(new)s replaces %(old)s, with a new personal link; %(old)s is inactive.",
                 new=new.ref, old=ref))
# --- follow-up plans (issue 20) -------------------------------------------------------------------

@skm.command("followups")
@click.argument("code")
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json",
              show_default=True)
def followups_command(code, fmt):
    """Print the follow-up plans (rencana tindak lanjut) written after round CODE: position,
    area, official, element, action, due quarter, person responsible and state; JSON (a list
    of objects) or CSV with a header row."""
    import json

    from survey_app.domain import exports, followups, rounds

    try:
        round_ = rounds.by_code(code)
    except DomainError as e:
        fail(e)
    rows = followups.export_rows(round_)
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
    else:
        click.echo(exports.csv_text(followups.EXPORT_COLUMNS,
                                    ([row[c] or "" for c in followups.EXPORT_COLUMNS]
                                     for row in rows)), nl=False)
# --- deployment (issue 21) ----------------------------------------------------------------------

@skm.command("check-config")
@click.option("--table", is_flag=True,
              help="print the table of every setting (docs/deploy.md) instead of checking")
def check_config(table):
    """Check the environment before starting the app or the worker: what is missing or unsafe
    (SECRET_KEY, SQLite or in-memory settings in production, the public address), whether the
    database and the configured Redis answer, whether the message catalogs and questionnaires
    are in place. Prints each finding; exits 1 if any is an error. Where the app refuses to
    start at all, `python -m survey_app.checks` runs the same checks."""
    from survey_app import checks, config

    if table:
        click.echo(config.markdown_table(), nl=False)
        return
    status = checks.report(checks.run(), click.echo)
    if status:
        sys.exit(status)
