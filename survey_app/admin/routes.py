from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from survey_app.admin.forms import CreateUserForm, ToggleActiveForm, UpdateUserForm
from survey_app.auth.roles import role_required
from survey_app.domain import accounts, audit
from survey_app.domain.errors import DomainError
from survey_app.extensions import db
from survey_app.models import User

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/users")
@role_required("admin")
def users():
    rows = db.session.scalars(select(User).order_by(User.role, User.email)).all()
    return render_template("admin/users.html", users=rows, form=CreateUserForm(),
                           update_form=UpdateUserForm(), toggle_form=ToggleActiveForm())


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
    rows = db.session.scalars(select(User).order_by(User.role, User.email)).all()
    return render_template("admin/users.html", users=rows, form=form,
                           update_form=UpdateUserForm(), toggle_form=ToggleActiveForm()), 400


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
