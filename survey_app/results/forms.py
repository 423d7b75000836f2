"""Recording a decision about an official (the product only recommends)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from survey_app.domain.sanctions import ACTION_LABELS


class DecisionForm(FlaskForm):
    nip = HiddenField(validators=[InputRequired()])
    action = SelectField(_l("Decision"),
                         choices=[SelectChoice(k, v) for k, v in ACTION_LABELS.items()])
    decided_on = DateField(_l("Date of the decision"),
                           validators=[InputRequired(message=_l("Enter the date."))])
    letter_number = StringField(_l("Letter number"), validators=[Optional(), Length(max=80)])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])
