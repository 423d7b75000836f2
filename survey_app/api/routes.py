"""The results document as JSON: coordinators see every round, viewers only published ones."""
from __future__ import annotations

from flask import Blueprint, abort, jsonify
from flask_login import current_user
from sqlalchemy import select

from survey_app.auth.roles import role_required
from survey_app.domain import results, rounds
from survey_app.extensions import db
from survey_app.models import Round

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.get("/rounds/<code>/results")
@role_required("coordinator", "viewer")
def round_results(code):
    round_ = db.session.scalar(select(Round).where(Round.code == code))
    if round_ is None:
        abort(404)
    state = rounds.record_clock_transitions([round_])[round_.id]
    if current_user.role == "viewer" and state != "published":
        abort(404)  # unpublished results are for coordinators only; do not confirm it exists
    document = results.results_document(round_)
    db.session.commit()
    return jsonify(document.to_dict())
