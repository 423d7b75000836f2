"""Uploaded files waiting between a preview and its confirmation, or for the job that imports
them: instance/uploads. They hold names and phone numbers, so a file nobody confirmed is removed
after KEEP_SECONDS (at the next upload). The one home of this rule for rosters, paper forms,
master data, complaint exports and the jobs that import them: one folder, one name rule (NAME),
one sweep.

A small upload is kept from its bytes (``keep``); a large one (a year's complaint export) is
streamed to disk in chunks, never held in memory whole, up to a size limit (``keep_stream``).
On disk it is sealed a chunk at a time with a key derived from SECRET_KEY (survey_app/at_rest.py):
whoever reads the instance folder finds no name in it. ``read`` opens it again, ``size`` tells
its size.

Also the one way such a file goes from a page into the database (``Upload``): its form's file
field, the preview (the importer itself runs, then everything is rolled back), the confirmation
of the file kept meanwhile, an import at once without a preview (paper forms), and a job instead
of the request when the file is large (JOB_IMPORT_BYTES)."""
from __future__ import annotations

import io
import re
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from flask import abort, current_app, flash, redirect
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms import HiddenField
from wtforms.validators import DataRequired, Regexp

from survey_app import at_rest
from survey_app.domain import audit
from survey_app.domain.errors import N_, DomainError, ImportRejected
from survey_app.domain.tabular import Table
from survey_app.extensions import db

KEEP_SECONDS = 24 * 3600
CHUNK = 1024 * 1024  # bytes copied at a time by keep_stream
NAME = re.compile(r"^[0-9a-f]{32}\.(?:csv|xlsx)$")  # what keep and keep_stream name a file
GONE = N_("The uploaded file is no longer here; upload it again.")  # for a page or a job
UNREADABLE = N_("The uploaded file can no longer be read: it was kept under another SECRET_KEY "
                "(the key was changed since) or altered. Upload it again.")


def large(size: int) -> bool:
    """Whether a file of ``size`` bytes is imported by a background job, not within a request
    (its page then previews only its first rows: checking them all is the job's work)."""
    return size > current_app.config["JOB_IMPORT_BYTES"]


def folder() -> Path:
    path = Path(current_app.instance_path) / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def keep(data: bytes, filename: str) -> str:
    """Store an upload under a random name (its extension kept: .xlsx or .csv) and return that
    name, for the confirmation form or the job; older leftovers go."""
    return keep_stream(io.BytesIO(data), filename)


def keep_stream(stream: IO[bytes], filename: str, limit: int | None = None) -> str:
    """``keep`` for a file read from ``stream`` CHUNK bytes at a time; past ``limit`` bytes the
    part written is removed and RequestEntityTooLarge raised (a 413 page)."""
    path = folder()
    _sweep(path)
    name = f"{secrets.token_hex(16)}.{'xlsx' if filename.lower().endswith('.xlsx') else 'csv'}"
    target = path / name
    try:
        with target.open("wb") as out:
            for sealed in at_rest.seal_chunks(_within(at_rest.exact_chunks(stream, CHUNK), limit),
                                              name):
                out.write(sealed)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return name


def _within(chunks: Iterator[bytes], limit: int | None) -> Iterator[bytes]:
    """``chunks``, with RequestEntityTooLarge raised once they pass ``limit`` bytes."""
    written = 0
    for chunk in chunks:
        written += len(chunk)
        if limit is not None and written > limit:
            raise RequestEntityTooLarge()
        yield chunk


def _sweep(path: Path) -> None:
    """Remove the uploads older than KEEP_SECONDS."""
    stale = time.time() - KEEP_SECONDS
    for old in path.glob("*.*"):
        if old.stat().st_mtime < stale:
            old.unlink(missing_ok=True)


def kept(name: str) -> Path:
    """Where upload ``name`` waits (only its last part is used: nothing outside the folder); the
    caller checks that it still exists."""
    return folder() / Path(name).name


def read(path: Path) -> bytes:
    """The bytes of the upload kept at ``path`` (a ``kept`` one), opened; at_rest.Unreadable
    when it was sealed under another SECRET_KEY or altered (see UNREADABLE)."""
    with path.open("rb") as sealed:
        return b"".join(at_rest.open_chunks(iter(lambda: sealed.read(CHUNK + at_rest.OVERHEAD),
                                                 b""), path.name))


def size(path: Path) -> int:
    """The size of the upload kept at ``path``, as it was uploaded."""
    return at_rest.plain_size(path.stat().st_size, CHUNK)


# --- the forms --------------------------------------------------------------------------------

def file_field(label: Any) -> FileField:
    """A form's file to upload (``label`` a lazy_gettext text): CSV or XLSX."""
    return FileField(label, validators=[
        FileRequired(_l("Choose a file.")),
        FileAllowed(["csv", "xlsx"], _l("Only CSV or XLSX files."))])


class ConfirmForm(FlaskForm):
    """The confirmation of a preview: the name ``keep`` gave its file, nothing else."""

    upload = HiddenField(validators=[DataRequired(), Regexp(NAME)])


# --- from the page to the database ------------------------------------------------------------

@dataclass(frozen=True)
class Upload:
    """One kind of upload as its routes take it.

    ``page(status, form, **errors)`` draws the upload's page again (with the form and, for a file
    with bad rows, ``errors`` and ``error_title``); ``back`` is that page's address, where a
    message is shown after a redirect. ``read(data, filename)`` turns the file into the
    importer's table. The import is audited as ``action`` on ``target``; ``job``, when set, are
    the parameters of the job of kind ``action`` that imports a large file instead of the
    request (its ``upload`` is added). ``plain_refusals``: a file refused as a whole at the
    preview or by an import without one is said in the domain's words alone (the roster's
    pages), not after "Nothing was imported:"."""

    page: Callable[..., Any]
    back: str
    read: Callable[[bytes, str], Table]
    action: str
    target: str
    job: dict | None = None
    plain_refusals: bool = False

    def refused(self, error: Exception, plain: bool = False) -> Any:
        """The import failed as a whole (or the data changed since the preview): say so."""
        error = getattr(error, "orig", error)
        flash(str(error) if plain else _("Nothing was imported: %(error)s", error=error), "error")
        return redirect(self.back)

    def _large(self, size: int) -> bool:
        return self.job is not None and large(size)

    def _as_job(self, upload: str) -> Any:
        # Imported here: survey_app.jobs imports this module (through job_kinds) while the
        # background pages import survey_app.jobs.
        from survey_app.background.routes import start_job

        return start_job(self.action, {**(self.job or {}), "upload": upload})

    def _import(self, run: Callable[[Table], Any], data: bytes, name: str) -> tuple[Table, Any]:
        """Import the file, audit it and commit; on an error roll back and raise it."""
        try:
            table = self.read(data, name)
            summary = run(table)
            audit.record(self.action, self.target, current_user, {"summary": str(summary)})
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
        return table, summary

    def preview(self, form: FlaskForm, check: Callable[[Table], Any],
                show: Callable[[Any, str, ConfirmForm], Any]) -> Any:
        """Step one: what importing the file would do. ``check(table)`` runs inside a
        transaction that is rolled back; ``show(result, filename, confirm_form)`` is the page
        that asks for the confirmation, the file kept meanwhile."""
        if not form.validate_on_submit():
            return self.page(400, form)
        data, name = form.file.data.read(), (form.file.data.filename or "")[-120:]
        try:
            try:
                result = check(self.read(data, name))
            finally:
                db.session.rollback()
        except ImportRejected as e:
            return self.page(400, form, errors=e.errors, error_title=e.headline)
        except (DomainError, SQLAlchemyError) as e:
            return self.refused(e, self.plain_refusals)
        return show(result, name, ConfirmForm(upload=keep(data, name)))

    def confirm(self, run: Callable[[Table], Any], done: Callable[[Any], None]) -> Any:
        """Step two: import the file the preview kept (as a job if it is large) and remove it;
        ``done(summary)`` flashes what was imported."""
        form = ConfirmForm()
        if not form.validate_on_submit():
            abort(400)
        path = kept(form.upload.data)
        if not path.exists():
            flash(_(GONE), "error")
            return redirect(self.back)
        if self._large(size(path)):
            return self._as_job(path.name)
        try:
            _table, summary = self._import(run, read(path), path.name)
        except at_rest.Unreadable:
            flash(_(UNREADABLE), "error")
            return redirect(self.back)
        except (DomainError, SQLAlchemyError) as e:
            return self.refused(e)
        finally:
            path.unlink(missing_ok=True)
        done(summary)
        return redirect(self.back)

    def import_now(self, form: FlaskForm, run: Callable[[Table], Any],
                   done: Callable[[Table, Any], Any]) -> Any:
        """Import the form's file without a preview (as a job if it is large); a file with bad
        rows comes back to its page with them. ``done(table, summary)`` is the answer."""
        if not form.validate_on_submit():
            return self.page(400, form)
        data, name = form.file.data.read(), form.file.data.filename or ""
        if self._large(len(data)):
            return self._as_job(keep(data, name))
        try:
            table, summary = self._import(run, data, name)
        except ImportRejected as e:
            return self.page(400, form, errors=e.errors, error_title=e.headline)
        except DomainError as e:
            return self.refused(e, self.plain_refusals)
        return done(table, summary)
