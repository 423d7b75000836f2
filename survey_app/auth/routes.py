import hashlib

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from survey_app.auth.forms import ChangePasswordForm, LoginForm, LogoutForm, SetPasswordForm
from survey_app.auth.roles import home_endpoint
from survey_app.auth.urls import safe_next
from survey_app.domain import accounts, audit
from survey_app.domain.errors import DomainError
from survey_app.extensions import db, ratelimits

bp = Blueprint("auth", __name__, url_prefix="/auth")


def _failure_limits(email: str) -> list[tuple[str, str]]:
    """The limits a failed login counts against, as (limit, scope) for this request's address:
    all failures from the address, and failures on this one account from it. Unknown accounts
    are counted like known ones (nothing tells them apart), and the owner, logging in from an
    address that has not been failing, is never refused because of someone else's guesses."""
    cfg = current_app.config
    account = hashlib.sha256((email or "").strip().lower().encode()).hexdigest()[:32]
    return [(cfg["LOGIN_FAILURES_PER_ADDRESS"], "login-failures"),
            (cfg["LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS"], "login-failures:" + account)]


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "POST":
        ratelimits.hit(current_app.config["LOGIN_RATE_LIMIT"], "login")
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        limits = _failure_limits(form.email.data)
        if any(ratelimits.spent(limit, scope) for limit, scope in limits):
            flash(_("Too many failed attempts. Please wait a little and try again."), "error")
            return render_template("auth/login.html", form=form), 429
        try:
            user = accounts.authenticate(form.email.data, form.password.data,
                                         current_app.config["PASSWORD_HASH_METHOD"])
        except accounts.LoginRefused:
            for limit, scope in limits:
                ratelimits.count(limit, scope)
            flash(_("Wrong email or password."), "error")
            return render_template("auth/login.html", form=form), 200
        lang = session.get("lang")
        session.clear()  # a fresh session on login (no fixation)
        if lang:
            session["lang"] = lang
        login_user(user)
        audit.record("login", user.email, user)
        db.session.commit()
        return redirect(safe_next(form.next.data) or url_for(home_endpoint(user.role)))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():
    form = LogoutForm()
    if form.validate_on_submit():
        lang = session.get("lang")
        if current_user.is_authenticated:
            current_user.end_sessions()  # copies of this session's cookie stop working too
            db.session.commit()
        logout_user()
        session.clear()
        if lang:
            session["lang"] = lang
        flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))


def _password_saved(action: str, field, save) -> bool:
    """``save(hash_method)`` sets a password and returns its user: audited as ``action`` and
    committed; a refusal (DomainError) is rolled back and shown under ``field`` (False)."""
    try:
        user = save(current_app.config["PASSWORD_HASH_METHOD"])
    except DomainError as e:
        db.session.rollback()
        field.errors = [*field.errors, str(e)]
        return False
    audit.record(action, user.email, user)
    db.session.commit()
    return True


@bp.route("/password/set/<token>", methods=["GET", "POST"])
def set_password(token: str):
    """A one-time link (new account or reset): choose a password. Public; the link is the key.
    Every request counts against a per-address limit, so links cannot be tried in bulk."""
    ratelimits.hit(current_app.config["SET_PASSWORD_RATE_LIMIT"], "set-password")
    if accounts.user_for_link(token) is None:
        return render_template("auth/link_refused.html"), 404
    form = SetPasswordForm()
    if form.validate_on_submit() and _password_saved(
            "set-password", form.new_password, lambda hash_method: accounts.set_password_with_link(
                token, form.new_password.data, hash_method)):
        if current_user.is_authenticated:
            logout_user()
        flash(_("Your password is set. Log in with it."), "success")
        return redirect(url_for("auth.login"))
    return render_template(
        "auth/password.html", form=form, heading=_("Set your password"), button=_("Set password"),
        intro=_("This link works once. After you set your password, log in with your login and "
                "the new password."))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Everyone changes their own password (the current one is asked again); every other
    session of the account ends, this one goes on."""
    form = ChangePasswordForm()
    user = current_user._get_current_object()

    def change(hash_method: str):
        accounts.change_password(user, form.current_password.data, form.new_password.data,
                                 hash_method)
        return user

    if form.validate_on_submit() and _password_saved("change-password", form.current_password,
                                                     change):
        login_user(user)  # this session, at the new version
        flash(_("Your password was changed; your other sessions have ended."), "success")
        return redirect(url_for("main.index"))
    return render_template(
        "auth/password.html", form=form, heading=_("Change password"),
        button=_("Change password"), intro=_("Your other sessions (other browsers and devices) "
                                             "end when the password changes."))
