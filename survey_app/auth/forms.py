from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length

from survey_app.models import User
from survey_app.validators import ColumnLength, NoControlCharacters


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), ColumnLength(User.email),
                                                NoControlCharacters()])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    next = HiddenField()
    submit = SubmitField(_l("Log in"))


class LogoutForm(FlaskForm):
    submit = SubmitField(_l("Log out"))


def _new_password_fields(cls):
    """The new password, twice (a typo is caught before it locks the owner out)."""
    cls.new_password = PasswordField(_l("New password"), validators=[
        DataRequired(), Length(min=8, max=200)],
        description=_l("At least 8 characters."))
    cls.confirm = PasswordField(_l("New password again"), validators=[
        DataRequired(), EqualTo("new_password", message=_l("The two passwords differ."))])
    return cls


@_new_password_fields
class SetPasswordForm(FlaskForm):
    submit = SubmitField(_l("Set password"))


@_new_password_fields
class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"),
                                     validators=[DataRequired(), Length(max=200)])
    submit = SubmitField(_l("Change password"))
