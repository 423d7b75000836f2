from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, SubmitField
from wtforms.validators import DataRequired, Length

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
