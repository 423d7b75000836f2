"""Forms of the complaint pages. The column mapping is one plain <select> per file column
(their number depends on the file), read by :func:`mapping_from`."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField, StringField, SubmitField, ValidationError
from wtforms.validators import Length, Optional

from survey_app.domain import clock
from survey_app.domain.complaints import COMPLAINT_COLUMNS


class UploadForm(FlaskForm):
    export = FileField(_l("Export file (CSV or XLSX)"), validators=[
        FileRequired(_l("Choose a file.")),
        FileAllowed(["csv", "xlsx"], _l("Choose a CSV or XLSX file."))])
    submit = SubmitField(_l("Upload and preview"))


class ImportForm(FlaskForm):
    as_of = StringField(_l("Export taken at (WIB, e.g. 2027-01-08 07:00); empty: the newest "
                           "time in the file"), validators=[Optional(), Length(max=40)])
    skip_bad = BooleanField(_l("Import the good rows and skip the bad ones"))
    preview = SubmitField(_l("Update the preview"))
    submit = SubmitField(_l("Import"))

    def validate_as_of(self, field):
        try:
            field.parsed = clock.parse_datetime(field.data) if field.data else None
        except ValueError:
            raise ValidationError(_l("Not a date and time; write e.g. 2027-01-08 07:00.")) from None

    @property
    def as_of_time(self):
        return getattr(self.as_of, "parsed", None)


def mapping_from(form: MultiDict, source_columns: list[str]) -> dict[str, str] | None:
    """The mapping chosen on the page (file column -> our column, "" = ignore), or None when the
    page did not send one (the first preview: the domain suggests one)."""
    if not any(f"map-{i}" in form for i in range(len(source_columns))):
        return None
    chosen = {}
    for i, column in enumerate(source_columns):
        value = form.get(f"map-{i}", "")
        chosen[column] = value if value in COMPLAINT_COLUMNS else ""
    return chosen
