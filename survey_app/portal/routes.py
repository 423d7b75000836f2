"""Report cards for officials, viewers and coordinators, and the public verification page.

Who sees which card is decided in survey_app/domain/cards.py from the results document (the post
each official held on the round's reference day); every URL here goes through it, so changing a
code or an id in an address shows nothing one is not entitled to (404, as for what does not exist).
"""
from __future__ import annotations

import io
import zipfile

from flask import Blueprint, abort, current_app, render_template, request, send_file
from flask_babel import get_locale
from flask_login import current_user

from reports.labels import LANGUAGES, label
from survey_app.auth.roles import role_required, visible_round_or_404
from survey_app.domain import (
    audit,
    cards,
    early_warning,
    followups,
    permissions,
    rounds,
)
from survey_app.domain.results_model import PositionEntry, ResultsDocument
from survey_app.extensions import db, ratelimits
from survey_app.models import Round
from survey_app.portal.forms import VerifyForm
from survey_app.results.shown import shown_results

bp = Blueprint("portal", __name__)
ROLES = permissions.PORTAL_ROLES


def _pdf_language() -> str:
    """The PDF's language: ?language=en|id for this download only (the site's ?lang= would also
    switch the pages), else the language the pages are in."""
    chosen = request.args.get("language")
    return chosen if chosen in LANGUAGES else str(get_locale())


def _verify_url() -> str:
    return cards.verify_url(current_app.config["PUBLIC_BASE_URL"])


def _round_and_entries(code: str) -> tuple[Round, str, ResultsDocument, list[PositionEntry]]:
    """The round, its state, its results document and the entries this user may see; 404 when
    the user may see none of them (or the round does not exist)."""
    round_, state = visible_round_or_404(code)
    document = shown_results(round_).document
    entries = cards.visible_entries(current_user, document)
    if not entries:
        abort(404)
    return round_, state, document, entries


@bp.get("/portal/")
@role_required(*ROLES)
def index():
    listing = [(r, state) for r, state, _p in rounds.listing(with_progress=False)
               if permissions.may_see(current_user.role, state)]
    if current_user.role == "official":  # only the rounds where they have a card to see
        listing = [(r, state) for r, state in listing
                   if cards.visible_entries(current_user, shown_results(r).document)]
    db.session.commit()  # clock transitions seen just now, stored base results
    return render_template("portal/index.html", listing=listing)


@bp.get("/portal/<round:code>")
@role_required(*ROLES)
def round_cards(code):
    round_, state, document, entries = _round_and_entries(code)
    db.session.commit()  # stored base results
    own = current_user.official.nip if current_user.official is not None else None
    return render_template("portal/round.html", round_=round_, state=state, entries=entries,
                           drops=early_warning.significant_drops(entries, own_nip=own))


@bp.get("/portal/<round:code>/cards/<int:position_id>.pdf")
@role_required(*ROLES)
def card(code, position_id):
    round_, _state, document, entries = _round_and_entries(code)
    entry = next((e for e in entries if e.position_id == position_id), None)
    if entry is None:
        abort(404)
    lang = _pdf_language()
    [data] = cards.cards_for(round_, document, [entry], lang, _verify_url())
    from reports.card import render_card  # reportlab loads when a PDF is made

    pdf = render_card(data)
    audit.record("card-download", data.number, current_user,
                 {"round": round_.code, "position_id": position_id, "lang": lang,
                  "fingerprint": data.fingerprint})
    db.session.commit()
    return send_file(io.BytesIO(pdf), mimetype="application/pdf", as_attachment=True,
                     download_name=cards.file_name(data))


@bp.get("/portal/<round:code>/cards.zip")
@role_required(*ROLES)
def cards_zip(code):
    round_, _state, document, entries = _round_and_entries(code)
    lang = _pdf_language()
    issued = cards.cards_for(round_, document, entries, lang, _verify_url())
    from reports.card import render_card

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for data in issued:
            archive.writestr(cards.file_name(data), render_card(data))
    audit.record("cards-zip-download", round_.code, current_user,
                 {"lang": lang, "numbers": [d.number for d in issued]})
    db.session.commit()
    out.seek(0)
    return send_file(out, mimetype="application/zip", as_attachment=True,
                     download_name=f"rapor_{round_.code}.zip")


@bp.get("/portal/<round:code>/summary.pdf")
@role_required("viewer", "coordinator")
def summary(code):
    """The province summary: for viewers and coordinators (officials see cards only)."""
    round_, _state, document, _entries = _round_and_entries(code)
    lang = _pdf_language()
    data = cards.summary_data(document, lang, cards.complaint_ranking(round_, document),
                              published=round_.state == "published",
                              followup_counts=followups.counts_by_kota(round_, document))
    cards.issue_summary(round_, data, _verify_url())
    from reports.summary import render_summary  # reportlab loads when a PDF is made

    pdf = render_summary(data)
    audit.record("summary-download", data.number, current_user, {"round": round_.code,
                                                                 "lang": lang})
    db.session.commit()
    return send_file(io.BytesIO(pdf), mimetype="application/pdf", as_attachment=True,
                     download_name=f"ringkasan_{round_.code}.pdf")


@bp.get(cards.VERIFY_PATH)
def verify():
    """Public: anyone holding a printed card checks its number (and fingerprint)."""
    ratelimits.hit("30 per minute", "verify")
    form = VerifyForm(request.args)
    outcome = None
    submitted = request.args.get("number") is not None
    if submitted and form.validate():
        outcome = cards.verify(form.number.data, form.fingerprint.data)
    texts = cards.report_texts(str(get_locale()))
    return render_template("portal/verify.html", form=form, outcome=outcome,
                           submitted=submitted, L=lambda key: label(texts, key))
