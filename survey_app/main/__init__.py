"""The home page (each role sees where its work is) and the health check."""
from flask import Blueprint, jsonify, render_template
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import text

from survey_app.extensions import db

bp = Blueprint("main", __name__)


@bp.get("/health")
def health():
    db.session.execute(text("SELECT 1"))
    return jsonify(status="ok")


ROLE_LABELS = {"admin": _l("administrator"), "coordinator": _l("survey coordinator"),
               "official": _l("official"), "viewer": _l("viewer")}


@bp.get("/")
def index():
    current = None
    if current_user.role in ("coordinator", "admin"):
        from survey_app.domain import rounds

        listing = rounds.listing()
        db.session.commit()  # clock transitions seen just now are recorded
        current = next((row for row in listing if row[1] == "open"),
                       listing[0] if listing else None)
    return render_template("main/index.html", user=current_user, current=current,
                           role_label=ROLE_LABELS.get(current_user.role, current_user.role))
