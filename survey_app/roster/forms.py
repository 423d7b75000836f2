from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, HiddenField, IntegerField, SearchField, StringField, TelField
from wtforms.validators import DataRequired, Optional, Regexp


class UploadForm(FlaskForm):
    file = FileField(_l("Roster file (CSV or XLSX)"), validators=[
        FileRequired(_l("Choose a file.")),
        FileAllowed(["csv", "xlsx"], _l("Only CSV or XLSX files."))])


class ConfirmForm(FlaskForm):
    upload = HiddenField(validators=[DataRequired(), Regexp(r"^[0-9a-f]{32}\.(csv|xlsx)$")])


class PaperForm(FlaskForm):
    file = FileField(_l("Paper forms (CSV or XLSX)"), validators=[
        FileRequired(_l("Choose a file.")),
        FileAllowed(["csv", "xlsx"], _l("Only CSV or XLSX files."))])
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
