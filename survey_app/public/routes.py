"""/publik: the published rounds a coordinator made public, and their open data (issue 20).

No login (survey_app.PUBLIC_BLUEPRINTS), no cookie, no JavaScript: the language is chosen in the
address (?lang=en) and never kept in a session, so every response depends on its address alone
and may be cached by anyone (survey_app/headers.py gives this blueprint Cache-Control public,
with an ETag for conditional requests). What is shown comes from the frozen publication
(survey_app/domain/public_results.py). Each address is rate-limited per client, generously.
"""
from __future__ import annotations

import json

from flask import Blueprint, Response, abort, render_template, request, url_for
from flask_babel import get_locale

from survey_app import ratelimits
from survey_app.domain import public_results
from survey_app.domain.results_model import GRADE_BOUNDS
from survey_app.extensions import db

bp = Blueprint("public", __name__, url_prefix="/publik")
RATE_LIMIT = "300 per minute"


@bp.before_request
def limit():
    ratelimits.hit(RATE_LIMIT, "publik")


@bp.context_processor
def helpers():
    def publik_url(endpoint: str, **values) -> str:
        """An address of these pages in the page's language (kept in the address)."""
        if str(get_locale()) != "id":
            values["lang"] = str(get_locale())
        return url_for(endpoint, **values)

    return {"publik_url": publik_url, "grade_bounds": GRADE_BOUNDS}


def _cacheable(response: Response) -> Response:
    response.add_etag()
    return response.make_conditional(request)


def _table_or_404(code: str) -> public_results.PublicTable:
    round_ = public_results.public_round(code)
    if round_ is None:
        abort(404)
    data = public_results.table(round_)
    db.session.commit()  # a round published before publications were stored is frozen now
    return data


@bp.get("/")
def index():
    rounds = public_results.public_rounds()
    return _cacheable(Response(render_template("public/index.html", rounds=rounds)))


@bp.get("/<round:code>")
def round_page(code):
    data = _table_or_404(code)
    return _cacheable(Response(render_template("public/round.html", data=data,
                                               kotas=data.by_kota())))


@bp.get("/<round:code>.csv")
def round_csv(code):
    data = _table_or_404(code)
    return _cacheable(Response(public_results.to_csv(data), mimetype="text/csv",
                               headers={"Content-Disposition":
                                        f'inline; filename="skm_{data.round}.csv"'}))


@bp.get("/<round:code>.json")
def round_json(code):
    data = _table_or_404(code)
    body = json.dumps(public_results.to_json(data), ensure_ascii=False, indent=1)
    return _cacheable(Response(body, mimetype="application/json"))


@bp.get("/kamus-data")
def dictionary():
    return _cacheable(Response(render_template(
        "public/dictionary.html", columns=public_results.COLUMNS,
        dictionary=public_results.DICTIONARY)))
