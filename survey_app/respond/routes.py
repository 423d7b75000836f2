"""The public form at /s/<token>: what most people ever see of the product.

No account, no JavaScript needed, Bahasa Indonesia by default. One section per rated position;
a respondent may answer some now and the rest later with the same link. Every state other than
"open with something left to answer" gets its own plain page; an unknown link is the ordinary 404.
"""
from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    get_template_attribute,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy.engine import Connection

from survey_app.domain import invitations as invitation_rules
from survey_app.domain import responses
from survey_app.domain.rounds import effective_state
from survey_app.domain.vocabulary import POSITION_LABELS
from survey_app.extensions import csrf, db, ratelimits
from survey_app.respond.forms import check_form_token, field_name, form_token, read_sections

bp = Blueprint("respond", __name__)
csrf.exempt(bp)  # its CSRF token is bound to the link instead (see respond/forms.py)



# Per address. Generous for every request: a whole kelurahan may share one mobile gateway. Much
# tighter for links that do not exist (only failed look-ups count), which real respondents never
# hit.

def _unknown_link_limit() -> str:
    return current_app.config.get("RESPOND_UNKNOWN_LINK_LIMIT", "60 per minute")


@bp.before_request
def per_address_limits():
    ratelimits.hit(current_app.config.get("RESPOND_RATE_LIMIT", "1200 per minute"), "respond")
    ratelimits.refuse_if_spent(_unknown_link_limit(), "respond-unknown")


@bp.after_request
def count_unknown_links(response):
    if response.status_code == 404:
        ratelimits.count(_unknown_link_limit(), "respond-unknown")
    return response


@bp.url_value_preprocessor
def small_requests_only(endpoint, values):
    # The form is a few kilobytes; refuse anything large before it is read. (A URL value
    # preprocessor runs before every before_request function, CSRF's included, which reads the
    # form: a before_request of this blueprint would come too late.)
    request.max_content_length = current_app.config.get("RESPOND_MAX_CONTENT_LENGTH", 64 * 1024)
    request.max_form_parts = 400


@bp.before_request
def every_post_brings_its_form_token():
    if request.method == "POST":
        check_form_token(request.view_args["token"], request.form.get("csrf_token"))


def _connection() -> Connection:
    """This request's database connection: a Core connection, not the ORM session. The form
    loads no objects, and the session's transaction bookkeeping cost a tenth of its instructions
    (4.62M -> 4.13M per form, benchmarks/respond_profile.py --callgrind). Closed, and rolled back
    unless committed, when the request ends."""
    connection = g.get("respond_connection")
    if connection is None:
        connection = g.respond_connection = db.engine.connect()
        if request.method in ("GET", "HEAD") and connection.dialect.name == "postgresql":
            # A page reads with one statement (the link look-up), so it needs no transaction.
            # Without one it also ends without a ROLLBACK, at which psycopg forgets the
            # connection's prepared statements: the look-up would be planned on every request.
            connection.execution_options(isolation_level="AUTOCOMMIT")
    return connection


@bp.teardown_request
def close_the_connection(_error=None):
    connection = g.pop("respond_connection", None)
    if connection is not None:
        connection.close()


def _load(token: str) -> invitation_rules.LinkView:
    link = invitation_rules.open_link(_connection(), token)
    if link is None:
        abort(404)
    return link


def _state_page(link, state: str, status: int = 200):
    template = {"draft": "not_open", "scheduled": "not_open"}.get(state, "closed")
    return render_template(f"respond/{template}.html", round=link.round, state=state), status


def _fresh_section(round_, position) -> Markup:
    """A section with nothing chosen yet is the same for everyone who rates that position: it is
    rendered once per questionnaire, language and position, then reused (the form's largest
    part; rendering it on every request was most of a GET's time)."""
    cache = current_app.extensions.setdefault("skm_fresh_sections", {})
    lang = str(get_locale())
    key = (round_.questionnaire_id, lang, position)
    html = cache.get(key)
    if html is None:
        if len(cache) > 20_000:
            cache.clear()
        macro = get_template_attribute("respond/_section.html", "section_macro")
        content = responses.pinned_content(round_.questionnaire_id)
        html = cache[key] = Markup(macro(position, content, POSITION_LABELS, field_name, None, (),
                                         lang))
    return html


def _form_page(link, sections=None, errors=None, page_error=None, status: int = 200, **slots):
    round_ = link.round
    token = request.view_args["token"]
    context = dict(
        csrf_token=lambda: form_token(token),
        round=round_, content=responses.pinned_content(round_.questionnaire_id),
        pending=link.pending, answered=[p for p in link.positions if p.completed],
        labels=POSITION_LABELS, sections={s.position_id: s for s in (sections or [])},
        errors=errors or {}, page_error=page_error, field_name=field_name,
        fresh_section=lambda p: _fresh_section(round_, p),
        numbers={code: n for n, (code, _required)
                 in enumerate(responses.item_rules(round_), start=1)})
    return render_template("respond/form.html", **{**context, **slots}), status


SLOT = "\x00slot\x00"  # where the CSRF token and each section go in a cached frame


def _fresh_form(link) -> str:
    """The form as first shown, nothing chosen yet. It is the same for everyone who rates the
    same positions but for its CSRF token (bound to the link, respond/forms.py): the page holds
    no link with the respondent's token (the form posts back to its own address, the language
    links are relative). So its frame is rendered once per language, round and answered
    positions, with a slot for the CSRF token and for each section (cached in _fresh_section),
    and filled on every request: rendering the page was a quarter of a form's CPU
    (benchmarks/respond_profile.py --callgrind)."""
    round_ = link.round
    answered = tuple(p for p in link.positions if p.completed)
    key = (str(get_locale()), round_.id, round_.code, round_.closes_at, round_.questionnaire_id,
           answered, len(link.pending))
    cache = current_app.extensions.setdefault("skm_fresh_forms", {})
    parts = cache.get(key)
    if parts is None:
        page, _status = _form_page(link, csrf_token=lambda: SLOT, fresh_section=lambda p: SLOT)
        parts = page.split(SLOT)
        if len(parts) != 2 + len(link.pending) or request.view_args["token"] in page:
            raise RuntimeError("respond/form.html: a fresh form must hold one CSRF token, one "
                               "section per position and no personal link")
        if len(cache) > 2_000:
            cache.clear()
        cache[key] = parts
    fills = [form_token(request.view_args["token"]),
             *(str(_fresh_section(round_, p)) for p in link.pending)]
    return parts[0] + "".join(fill + part for fill, part in zip(fills, parts[1:], strict=True))


@bp.get("/s/<token>")
def form(token: str):
    link = _load(token)
    state = effective_state(link.round)
    if state != "open":
        return _state_page(link, state)
    if not link.pending:
        return render_template("respond/done.html", round=link.round, positions=link.positions,
                               labels=POSITION_LABELS)
    return _fresh_form(link)


@bp.post("/s/<token>")
def submit(token: str):
    link = _load(token)
    round_ = link.round
    state = effective_state(round_)
    if state != "open":
        return _state_page(link, state, 409)
    if not link.pending:
        return _already_answered(link)
    codes = [code for code, _required in responses.item_rules(round_)]
    answered = [p.position_id for p in link.positions if p.completed]
    if any(s.touched for s in read_sections(request.form, answered, codes)):
        return _already_answered(link)  # e.g. the form sent a second time
    sections = read_sections(request.form, [p.position_id for p in link.pending], codes)
    chosen, errors = {}, {}
    for section in sections:
        if not section.touched:
            continue  # to be answered later
        try:
            chosen[section.position_id] = (responses.check_answers(round_, section.answers),
                                           section.comment)
        except responses.Incomplete as e:
            errors[section.position_id] = set(e.missing) | set(e.invalid)
    if errors or not chosen:
        page_error = None if errors else _l("Choose an answer for at least one official before "
                                            "sending.")
        return _form_page(link, sections, errors, page_error, 400)
    connection = _connection()
    try:
        responses.submit_web(connection, link, chosen)
        connection.commit()
    except responses.AlreadyAnswered:
        connection.rollback()
        return _already_answered(_load(token))
    except responses.RoundNotOpen:
        connection.rollback()
        return _state_page(link, effective_state(round_), 409)
    return redirect(_own_url("respond.thanks", token), code=303)


def _own_url(endpoint: str, token: str) -> str:
    """A page of the respondent's link, in the language they chose. Respondents get no cookie
    (not even for the language: survey_app.select_locale), so their choice travels in the URL:
    the language links are relative (?lang=en), the form posts back to its own address, and the
    links from one page to the next keep ?lang."""
    lang = request.args.get("lang")
    if lang not in current_app.config["LANGUAGES"]:
        return url_for(endpoint, token=token)
    return url_for(endpoint, token=token, lang=lang)


def _already_answered(link):
    return render_template("respond/already.html", round=link.round, positions=link.positions,
                           labels=POSITION_LABELS,
                           form_url=_own_url("respond.form", request.view_args["token"])), 409


@bp.get("/s/<token>/terima-kasih")
def thanks(token: str):
    link = _load(token)
    return render_template("respond/thanks.html", round=link.round, positions=link.positions,
                           labels=POSITION_LABELS, form_url=_own_url("respond.form", token),
                           open=effective_state(link.round) == "open", remaining=link.pending)
