from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SearchField, StringField, TelField
from wtforms.validators import DataRequired, Optional

from survey_app import uploads


class UploadForm(FlaskForm):
    file = uploads.file_field(_l("Roster file (CSV or XLSX)"))


class PaperForm(FlaskForm):
    file = uploads.file_field(_l("Paper forms (CSV or XLSX)"))
    skip_bad = BooleanField(_l("Import the good rows and skip the bad ones (you get a file of "
                               "the bad rows to fix and load again)"))


class RosterSearchForm(FlaskForm):
    class Meta:
        csrf = False  # a search (GET) changes nothing

    q = SearchField(_l("Search by ref or name"), validators=[Optional()])
    page = IntegerField(default=1, validators=[Optional()])


class LifecycleForm(FlaskForm):
    """Deactivate or reactivate (the button says which)."""


class ReplaceForm(FlaskForm):
    ref = StringField(_l("New respondent_ref"), validators=[DataRequired()],
                      description=_l("A new ref: the new person keeps nothing of the old one."))
    name = StringField(_l("Name"), validators=[DataRequired()])
    phone = TelField(_l("Phone (optional)"), validators=[Optional()])
    email = StringField(_l("Email (optional)"), validators=[Optional()])
