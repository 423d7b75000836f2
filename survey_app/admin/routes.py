from datetime import timedelta

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from survey_app.admin.forms import (
    CreateUserForm,
    OfficialAccountsForm,
    ResetPasswordForm,
    ToggleActiveForm,
    UpdateUserForm,
)
from survey_app.auth.roles import role_required
from survey_app.domain import accounts, audit, exports
from survey_app.domain.errors import DomainError
from survey_app.extensions import db
from survey_app.models import Official, User

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/users")
@role_required("admin")
def users():
    return _users_page(CreateUserForm())


def _users_page(form: CreateUserForm, status: int = 200):
    rows = db.session.scalars(select(User).order_by(User.role, User.email)).all()
    has_account = select(User.official_id).where(User.official_id.is_not(None))
    without = db.session.scalar(select(func.count()).select_from(Official)
                                .where(Official.id.not_in(has_account)))
    waiting = sum(1 for u in rows if u.role == "official" and u.active
                  and u.password_set_at is None)
    return render_template("admin/users.html", users=rows, form=form,
                           update_form=UpdateUserForm(), toggle_form=ToggleActiveForm(),
                           reset_form=ResetPasswordForm(), bulk_form=OfficialAccountsForm(),
                           without_account=without, waiting=waiting), status


@bp.post("/users")
@role_required("admin")
def create_user():
    form = CreateUserForm()
    if form.validate_on_submit():
        try:
            user = accounts.create_user(form.email.data, form.password.data, form.role.data,
                                        form.official_nip.data or None,
                                        current_app.config["PASSWORD_HASH_METHOD"])
        except DomainError as e:
            db.session.rollback()
            form.email.errors.append(str(e))
        else:
            audit.record("create-user", user.email, current_user, {"role": user.role})
            db.session.commit()
            flash(_("Account %(email)s created.", email=user.email), "success")
            return redirect(url_for("admin.users"))
    return _users_page(form, 400)


@bp.post("/users/<int:user_id>/role")
@role_required("admin")
def update_role(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    form = UpdateUserForm()
    if form.validate_on_submit():
        if form.role.data == "official" and user.official_id is None:
            flash(_("An official's account needs the NIP of the official; create a new account."),
                  "error")
        elif user.id == current_user.id:
            flash(_("You cannot change your own role."), "error")
        else:
            audit.record("change-role", user.email, current_user,
                         {"from": user.role, "to": form.role.data})
            user.role = form.role.data
            db.session.commit()
            flash(_("Role of %(email)s changed.", email=user.email), "success")
    return redirect(url_for("admin.users"))


@bp.post("/users/<int:user_id>/active")
@role_required("admin")
def toggle_active(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    if ToggleActiveForm().validate_on_submit():
        if user.id == current_user.id:
            flash(_("You cannot deactivate your own account."), "error")
        else:
            user.active = not user.active
            user.end_sessions()  # a deactivated account is logged out everywhere at once
            audit.record("activate" if user.active else "deactivate", user.email, current_user)
            db.session.commit()
            flash(_("Account %(email)s is now active.", email=user.email) if user.active else
                  _("Account %(email)s is now deactivated.", email=user.email), "success")
    return redirect(url_for("admin.users"))


def _link(token: str) -> str:
    """The address of a set-password link, on the public base address (as invitation links)."""
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + url_for("auth.set_password",
                                                                       token=token)


@bp.post("/users/<int:user_id>/reset")
@role_required("admin")
def reset_password(user_id: int):
    """A one-time link for the owner to choose a new password (shown once; it expires). The old
    password works until the link is used."""
    user = db.session.get(User, user_id) or abort(404)
    if not ResetPasswordForm().validate_on_submit():
        abort(400)
    if not user.active:
        flash(_("Account %(email)s is deactivated: activate it first.", email=user.email), "error")
        return redirect(url_for("admin.users"))
    hours = current_app.config["PASSWORD_RESET_HOURS"]
    token = accounts.issue_password_link(user, timedelta(hours=hours))
    audit.record("reset-password", user.email, current_user)
    db.session.commit()
    response = Response(render_template("admin/reset_link.html", user=user, link=_link(token),
                                        expires=user.password_token_expires_at))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/accounts/officials")
@role_required("admin")
def official_accounts():
    """Make an account for every official without one, and download a fresh one-time link for
    every official's account still waiting for its first password (earlier files stop working)."""
    form = OfficialAccountsForm()
    if not form.validate_on_submit():
        abort(400)
    config = current_app.config
    made = accounts.create_official_accounts(config["OFFICIAL_LOGIN_DOMAIN"],
                                             config["PASSWORD_HASH_METHOD"])
    rows = accounts.links_for_waiting_accounts(timedelta(days=config["ACCOUNT_LINK_DAYS"]))
    if not rows:
        db.session.rollback()
        flash(_("Every official has an account with a password: no link to hand out."), "info")
        return redirect(url_for("admin.users"))
    audit.record("create-official-accounts", None, current_user,
                 {"created": made, "links": len(rows)})
    db.session.commit()
    fmt = form.fmt.data
    return Response(accounts.links_file(rows, _link, fmt), mimetype=exports.MIMETYPES[fmt],
                    headers={"Content-Disposition": f'attachment; filename="akun-pejabat.{fmt}"',
                             "Cache-Control": "no-store"})
