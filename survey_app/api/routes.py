"""The results document as JSON: coordinators see every round, viewers only published ones."""
from __future__ import annotations

from flask import Blueprint, jsonify

from survey_app.auth.roles import role_required, visible_round_or_404
from survey_app.results.shown import shown_results

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.get("/rounds/<round:code>/results")
@role_required("coordinator", "viewer")
def round_results(code):
    round_, _state = visible_round_or_404(code)
    document = shown_results(round_).document
    return jsonify(document.to_dict())
