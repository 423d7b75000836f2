from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from survey_app.auth.forms import LoginForm, LogoutForm
from survey_app.auth.urls import safe_next
from survey_app.domain import accounts, audit
from survey_app.extensions import db, ratelimits

bp = Blueprint("auth", __name__, url_prefix="/auth")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "POST":
        ratelimits.hit(current_app.config["LOGIN_RATE_LIMIT"], "login")
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        cfg = current_app.config
        try:
            user = accounts.authenticate(form.email.data, form.password.data,
                                         cfg["LOGIN_FAILURES_BEFORE_DELAY"], cfg["LOGIN_DELAY_SECONDS"])
        except accounts.LoginRefused as refused:
            db.session.commit()  # keep the failure count
            if str(refused) == "wait":
                flash(_("Too many failed attempts. Please wait a little and try again."), "error")
            else:
                flash(_("Wrong email or password."), "error")
            return render_template("auth/login.html", form=form), 200
        lang = session.get("lang")
        session.clear()  # a fresh session on login (no fixation)
        if lang:
            session["lang"] = lang
        login_user(user)
        audit.record("login", user.email, user)
        db.session.commit()
        return redirect(safe_next(form.next.data) or url_for("main.index"))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():
    form = LogoutForm()
    if form.validate_on_submit():
        lang = session.get("lang")
        logout_user()
        session.clear()
        if lang:
            session["lang"] = lang
        flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))
