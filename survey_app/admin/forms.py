from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from survey_app.models import Official, User
from survey_app.validators import ColumnLength, NoControlCharacters

ROLE_CHOICES = [SelectChoice("coordinator", _l("survey coordinator")),
                SelectChoice("official", _l("official")), SelectChoice("viewer", _l("viewer")),
                SelectChoice("admin", _l("administrator"))]


class CreateUserForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), ColumnLength(User.email),
                                                NoControlCharacters()])
    role = SelectField(_l("Role"), choices=ROLE_CHOICES)
    official_nip = StringField(_l("NIP of the official (for the official role)"),
                               validators=[Optional(), ColumnLength(Official.nip),
                                           NoControlCharacters()])
    password = PasswordField(_l("Initial password"),
                             validators=[DataRequired(), Length(min=8, max=200)])
    submit = SubmitField(_l("Create account"))


class UpdateUserForm(FlaskForm):
    role = SelectField(_l("Role"), choices=ROLE_CHOICES)
    submit = SubmitField(_l("Save"))


class ToggleActiveForm(FlaskForm):
    submit = SubmitField(_l("Change"))


class ResetPasswordForm(FlaskForm):
    submit = SubmitField(_l("Reset password"))


class OfficialAccountsForm(FlaskForm):
    fmt = SelectField(_l("File format"), choices=[SelectChoice("xlsx", "XLSX"),
                                                  SelectChoice("csv", "CSV")])
    submit = SubmitField(_l("Create accounts and download their links"))
