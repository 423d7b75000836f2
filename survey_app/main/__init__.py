"""The home page (sends each role where it works), language choice and the health check."""
from flask import Blueprint, jsonify, render_template
from flask_login import current_user
from sqlalchemy import text

from survey_app.extensions import db

bp = Blueprint("main", __name__)


@bp.get("/health")
def health():
    db.session.execute(text("SELECT 1"))
    return jsonify(status="ok")


@bp.get("/")
def index():
    return render_template("main/index.html", user=current_user)
