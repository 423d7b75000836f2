"""The verification form (a GET form: checking a number changes nothing, so no CSRF token), and
the forms of the follow-up plans."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from survey_app.validators import NoControlCharacters


class VerifyForm(FlaskForm):
    class Meta:
        csrf = False

    number = StringField(_l("Document number"), validators=[DataRequired(), Length(max=40),
                                                                     NoControlCharacters()])
    fingerprint = StringField(_l("Fingerprint (optional)"), validators=[Optional(), Length(max=80),
                                                                            NoControlCharacters()])


# --- follow-up plans (survey_app/portal/followups.py) ---------------------------------------------

class PlanForm(FlaskForm):
    """A plan for one priority element; two buttons: keep as a draft, or submit for review."""

    action = TextAreaField(_l("Action"), validators=[
        DataRequired(message=_l("Describe the action.")), Length(max=2000),
        NoControlCharacters(free_text=True)],
        description=_l("What will be done about this element."))
    due_quarter = SelectField(_l("Done by (quarter)"), validators=[DataRequired()])
    responsible = StringField(_l("Person responsible"), validators=[
        DataRequired(message=_l("Name who is responsible.")), Length(max=160),
        NoControlCharacters()])
    save = SubmitField(_l("Save draft"))
    submit_plan = SubmitField(_l("Submit for review"))


class NoteForm(FlaskForm):
    """The reviewer's note when a plan or its evidence is sent back."""

    note = TextAreaField(_l("Note for the official"), validators=[
        DataRequired(message=_l("Say what should change.")), Length(max=2000),
        NoControlCharacters(free_text=True)])


class EvidenceForm(FlaskForm):
    evidence = TextAreaField(_l("What was done (evidence)"), validators=[
        DataRequired(message=_l("Describe what was done.")), Length(max=4000),
        NoControlCharacters(free_text=True)])


class FileForm(FlaskForm):
    file = FileField(_l("Evidence file (PNG, JPEG or PDF, at most 2 MB)"),
                     validators=[FileRequired(message=_l("Choose a file."))])


class StepForm(FlaskForm):
    """A step with nothing to fill in (submit, approve, verify): the CSRF token only."""
