from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional, Regexp


class LettersForm(FlaskForm):
    """Letters or links for one area (a kota, kecamatan or kelurahan) or the whole round."""

    format = RadioField(_l("What"), default="pdf", choices=[
        SelectChoice("pdf", _l("Letters with QR codes (one PDF)")),
        SelectChoice("zip", _l("Letters, one PDF per kelurahan (ZIP)")),
        SelectChoice("csv", _l("Links for SMS or WhatsApp (CSV)"))])
    area = StringField(_l("Area code (a kota, kecamatan or kelurahan; empty: the whole round)"),
                       validators=[Optional(), Length(max=20), Regexp(r"^[0-9A-Za-z.\-]+$")])
    pending = BooleanField(_l("Only those who have not finished (for reminders)"))
