"""Forms of the master data pages; the rules live in survey_app.domain.areas and .officials."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Optional

from survey_app import uploads
from survey_app.domain.vocabulary import POSITION_KINDS, POSITION_LABELS
from survey_app.models import Official, Unit
from survey_app.validators import ColumnLength, NoControlCharacters


class UploadForm(FlaskForm):
    file = uploads.file_field(_l("File (CSV or XLSX)"))


class RotationForm(FlaskForm):
    """The next holder of a post: the current one's term ends the day before ``start_date``."""

    nip = StringField(_l("NIP of the incoming official"),
                      validators=[InputRequired(_l("Enter the NIP.")), ColumnLength(Official.nip),
                                  NoControlCharacters()])
    name = StringField(_l("Name"), description=_l("Only for an official not on record yet."),
                       validators=[Optional(), ColumnLength(Official.name),
                                   NoControlCharacters()])
    start_date = DateField(_l("First day in post"),
                           description=_l("The outgoing holder's last day is the day before."),
                           validators=[InputRequired(_l("Enter a date."))])
    end_date = DateField(_l("Last day in post"),
                         description=_l("Leave empty while the term has no set end."),
                         validators=[Optional()])

    def show_domain_errors(self, errors: dict[str, str]) -> None:
        """Each of the domain's complaints next to its field."""
        for name, message in errors.items():
            field = self._fields.get(name) or self.nip
            field.errors = [*field.errors, message]


class NewRotationForm(RotationForm):
    """A rotation for a post named by its kind and its area's (or unit's) code."""

    kind = SelectField(_l("Position"), choices=[SelectChoice(k, POSITION_LABELS[k])
                                                for k in POSITION_KINDS])
    place_code = StringField(_l("Code of the area (of the unit for a kepala dinas)"),
                             validators=[InputRequired(_l("Enter a code.")),
                                         ColumnLength(Unit.code), NoControlCharacters()])
