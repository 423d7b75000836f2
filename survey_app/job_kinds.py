"""The work behind each kind of coordinators' job (survey_app/jobs.py runs them): letters and
the CSV of links by area, the round's ZIP of letters per kelurahan, a round's results CSV, the
next quarter's draft, and large imports. Each takes a jobs.Run (its parameters, progress, result
file and message) and leaves its database writes to the job's one commit."""
from __future__ import annotations

import re
import zipfile

from flask import current_app

from survey_app import uploads
from survey_app.domain.errors import N_
from survey_app.jobs import JobFailed, Run, job_kind

LETTER_FORMATS = ("pdf", "csv", "zip")


def _slug(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "-", text.lower()).strip("-") or "wilayah"


def letters_file_name(round_code: str, fmt: str, area_code: str | None, pending: bool) -> str:
    """undangan-2027-Q1[-AREA][-belum-selesai].pdf|csv|zip"""
    return (f"undangan-{round_code}{f'-{area_code}' if area_code else ''}"
            f"{'-belum-selesai' if pending else ''}.{fmt}")


@job_kind("letters")
def letters(run: Run) -> None:
    """params: round, format (pdf, csv or zip: a PDF per kelurahan), area (a kota, kecamatan or
    kelurahan code; the whole round without), pending (only those who have not finished)."""
    from reports.invitations import render_letters, write_letters
    from survey_app.domain import invitations, rounds

    params = run.params
    fmt = params.get("format")
    if fmt not in LETTER_FORMATS:
        raise JobFailed(N_("Unknown format %(format)s."), format=str(fmt))
    round_ = rounds.by_code(params["round"])
    area_ids = None
    if params.get("area"):
        _area, area_ids = invitations.area_and_below(params["area"])
    rows = invitations.export_rows(round_, current_app.config["PUBLIC_BASE_URL"],
                                   current_app.config["SECRET_KEY"],
                                   pending_only=bool(params.get("pending")), area_ids=area_ids)
    run.progress(0, len(rows), force=True)
    name = letters_file_name(round_.code, fmt, params.get("area"), bool(params.get("pending")))
    with run.result_file(name) as out:
        if fmt == "csv":
            out.write(invitations.export_csv(rows))
        elif fmt == "pdf":
            done = 0

            def counted(letters: int) -> None:
                nonlocal done
                done += letters
                run.progress(done)

            write_letters(invitations.letter_batch(round_, rows), out, counted)
        else:
            with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
                done = 0
                for code, pile in invitations.by_kelurahan(rows):
                    title = pile[0].kelurahan or pile[0].kecamatan
                    archive.writestr(f"undangan-{round_.code}-{code}-{_slug(title)}.pdf",
                                     render_letters(invitations.letter_batch(round_, pile)))
                    done += len(pile)
                    run.progress(done)
    run.progress(len(rows))
    run.say(N_("Invitations in the file: %(num)s."), num=len(rows))


def results_file_name(round_code: str) -> str:
    return f"hasil-{round_code}.csv"


@job_kind("results-csv")
def results_csv(run: Run) -> None:
    """params: round. Every position's results of the round (results.to_csv), as `skm results CODE
    --format csv` prints them; the stored base results and the round's clock transitions commit with
    the job's done."""
    from survey_app.domain import results, rounds

    round_ = rounds.by_code(run.params["round"])
    run.progress(0, 1, force=True)  # the last: after a write here SQLite would wait for the job
    rounds.record_clock_transitions([round_])
    document = results.results_document(round_)
    with run.result_file(results_file_name(round_.code)) as out:
        out.write(results.to_csv(document).encode("utf-8"))
    run.say(N_("Positions in the file: %(num)s."), num=len(document.positions))


@job_kind("next-quarter")
def next_quarter(run: Run) -> None:
    """params: round (the previous one). The draft and its roster commit with the job's done."""
    from survey_app.domain import invitations, rounds

    previous = rounds.by_code(run.params["round"])
    run.progress(0, 1, force=True)
    round_ = invitations.next_quarter(previous, run.user())
    run.say(N_("Draft %(code)s created from %(previous)s: check its dates and settings."),
            code=round_.code, previous=previous.code)
    run.link_round(round_.code)


def _round_and_upload(run: Run):
    """An import's round, file's bytes and file name (see _upload)."""
    from survey_app.domain import rounds

    round_ = rounds.by_code(run.params["round"])
    return (round_, *_upload(run))


def _upload(run: Run) -> tuple[bytes, str]:
    """An import's file's bytes and its name in instance/uploads (the file is removed once the
    job ends; kept for the next attempt if its worker died)."""
    from survey_app import at_rest

    path = uploads.kept(run.params["upload"])
    if not path.exists():
        raise JobFailed(uploads.GONE)
    run.remove_when_ended(path)
    run.progress(0, 1, force=True)  # the last: the import writes in the job's session
    try:
        return uploads.read(path), path.name
    except at_rest.Unreadable:
        raise JobFailed(uploads.UNREADABLE) from None


@job_kind("import-respondents")
def import_respondents(run: Run) -> None:
    """params: round, upload (the file the coordinator checked on the preview, in
    instance/uploads). The roster's rows commit with the job's done; the file is removed once
    the job ends (kept for the next attempt if its worker died)."""
    from survey_app.domain import audit, roster

    round_, data, name = _round_and_upload(run)
    table = roster.read_roster(data, name)
    summary = roster.import_roster(round_, table, current_app.config["SECRET_KEY"])
    audit.record("import-respondents", round_.code, run.user(), {"summary": str(summary)})
    run.say(roster.IMPORTED, **summary.counts())
    run.link_round(round_.code)


@job_kind("import-responses")
def import_responses(run: Run) -> None:
    """params: round, upload (paper forms, in instance/uploads). The forms commit with the
    job's done; the file is removed once the job ends."""
    from survey_app.domain import audit, responses

    round_, data, name = _round_and_upload(run)
    table = responses.read_paper(round_, data, name)
    summary = responses.import_paper(round_, table)
    audit.record("import-responses", round_.code, run.user(), {"summary": str(summary)})
    run.message = {"plain": f"{summary}.", "round": round_.code}


def bad_rows_file_name(name: str) -> str:
    """baris-salah-<the export's name, as .csv>"""
    return f"baris-salah-{_slug(name.rsplit('.', 1)[0])}.csv"


@job_kind("import-complaints")
def import_complaints(run: Run) -> None:
    """params: upload (the export the coordinator previewed, in instance/uploads), name (the
    file's own name), rename (its columns as ours, as the preview read them), as_of (ISO 8601;
    none: the newest time in the file), skip_bad. Every row is checked here (a large file's
    preview reads its first rows only): with a bad row and no skip_bad nothing is imported and
    the job fails listing them; with skip_bad the good rows are imported and the bad ones, with
    their errors, are the job's file. The complaints commit with the job's done."""
    from survey_app.domain import audit, clock, complaints

    data, _kept_name = _upload(run)
    params = run.params
    table = complaints.read_complaints(data, params["name"], params["rename"])
    as_of = clock.parse_datetime(params["as_of"]) if params.get("as_of") else None
    summary, checked = complaints.import_complaints(table, as_of,
                                                    skip_bad=bool(params.get("skip_bad")))
    if checked.bad:
        with run.result_file(bad_rows_file_name(params["name"])) as out:
            out.write(complaints.bad_rows_csv(table, checked, params["rename"]).encode())
    audit.record("import-complaints", params["name"], run.user(),
                 {"summary": str(summary), "as_of": summary.as_of.isoformat()})
    run.say(complaints.IMPORTED, **summary.counts())


@job_kind("round-results")
def round_results(run: Run) -> None:
    """params: round. After a round closes: its results computed and stored (what the results
    pages show from then on), committed with the job's done."""
    from survey_app.domain import results, rounds

    round_ = rounds.by_code(run.params["round"])
    run.progress(0, 1, force=True)  # the last: the work writes in the job's session from here
    rounds.record_clock_transitions([round_])
    results.refresh(round_)
    run.say(N_("The results of round %(code)s are computed and stored."), code=round_.code)
    run.link_round(round_.code)


@job_kind("publish-round")
def publish_round(run: Run) -> None:
    """params: round. Publishes the round (rounds.publish: its figures frozen as publication 1,
    from its stored results while its data is unchanged), committed with the job's done; a
    refusal (the round is not closed, or its moment of judgment has not come) is the job's
    message in words."""
    from survey_app.domain import rounds

    round_ = rounds.by_code(run.params["round"])
    run.progress(0, 1, force=True)  # the last: publishing writes in the job's session
    rounds.publish(round_, run.user())  # a refusal (DomainError) is the job's failure
    run.say(N_("Round %(code)s is published."), code=round_.code)
    run.link_round(round_.code)
