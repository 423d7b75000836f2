"""Recording a decision about an official (the product only recommends)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from survey_app.domain.sanctions import ACTION_LABELS
from survey_app.models import SanctionDecision
from survey_app.validators import ColumnLength, NoControlCharacters


class DecisionForm(FlaskForm):
    nip = HiddenField(validators=[InputRequired(), NoControlCharacters()])
    action = SelectField(_l("Decision"),
                         choices=[SelectChoice(k, v) for k, v in ACTION_LABELS.items()])
    decided_on = DateField(_l("Date of the decision"),
                           validators=[InputRequired(message=_l("Enter the date."))])
    letter_number = StringField(_l("Letter number"), validators=[
        Optional(), ColumnLength(SanctionDecision.letter_number), NoControlCharacters()])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000),
                                                 NoControlCharacters(free_text=True)])
