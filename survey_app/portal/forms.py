"""The verification form (a GET form: checking a number changes nothing, so no CSRF token)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length, Optional

from survey_app.validators import NoControlCharacters


class VerifyForm(FlaskForm):
    class Meta:
        csrf = False

    number = StringField(_l("Document number"), validators=[DataRequired(), Length(max=40),
                                                                     NoControlCharacters()])
    fingerprint = StringField(_l("Fingerprint (optional)"), validators=[Optional(), Length(max=80),
                                                                            NoControlCharacters()])
