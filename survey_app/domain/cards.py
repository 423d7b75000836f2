"""Report cards and the province summary: the plain data they are drawn from, their document
numbers and fingerprints, who may see which card, and the public check of a printed card.

This is the only place with database access for the PDFs: it reads the results document
(survey_app/domain/results.py), the questionnaire pinned to the round (element names), the
anonymous comments of the groups that count, and IssuedDocument. reports/ draws what it is given.

Numbers and fingerprints: a card's fingerprint is the SHA-256 of the figures it shows (as printed,
language-free; see reports/model.py). The same figures for the same post keep their number; any
change of a figure gives a new number. A number carries a random suffix so that numbers cannot be
walked one by one on the public verification page.
"""
from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime

from flask_babel import force_locale, gettext, pgettext
from sqlalchemy import func, insert, select

from reports import fmt, labels, model
from reports.labels import post_name
from reports.model import (
    CardData,
    ComplaintRankRow,
    Complaints,
    Element,
    FollowupCount,
    FunnelChart,
    FunnelDot,
    GroupRow,
    LadderRow,
    LeagueRow,
    SummaryData,
    TrendPoint,
)
from survey_app.domain import clock, followups, funnel, holding, ikm, ranking, results
from survey_app.domain.complaint_figures import ComplaintFigures, rank_units
from survey_app.domain.priorities import element_names, ordered_elements, priority_elements
from survey_app.domain.published import current_key
from survey_app.domain.results_model import PositionEntry, ResultsDocument, to_dict
from survey_app.domain.vocabulary import GROUPS
from survey_app.extensions import db
from survey_app.models import IssuedDocument, Official, Publication, Round

COMMENTS_SHOWN = 20  # distinct comments at most; with the character budget, they fit page two
COMMENT_BUDGET_CHARS = 1500
COMMENT_MAX_CHARS = 300
TIERS = ("lurah", "camat", "walikota", "kepala_dinas")
SUFFIX_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
VERIFY_PATH = "/verify"  # the public page where a card's number is checked (portal.verify)
# A number names an official, their NIP and sanction status on /verify to whoever holds it: its
# random part is 8 characters (40 bits), so that running numbers cannot be walked by guessing
# (4 characters were 20 bits: a million guesses per number, within reach of many addresses).
SUFFIX_LENGTH = 8


def verify_url(base_url: str) -> str:
    """The address printed on cards and summaries for checking them (``base_url``: the site's
    public address, PUBLIC_BASE_URL)."""
    return base_url.rstrip("/") + VERIFY_PATH


# --- who may see what -----------------------------------------------------------------------------

def visible_entries(user, document: ResultsDocument) -> list[PositionEntry]:
    """The positions of a results document whose cards this user may see (the round's state is
    checked separately: survey_app.domain.permissions).

    An official sees the posts they held on the round's reference day (the `official` of the
    entry); a camat also the lurah of that kecamatan; a wali kota or bupati also the lurah and
    camat of that kota. Viewers and coordinators see all.
    """
    positions = document.positions
    if user.role in ("coordinator", "admin", "viewer"):
        return list(positions)
    if user.role != "official" or user.official is None:
        return []
    nip = user.official.nip
    own = [p for p in positions if p.official is not None and p.official.nip == nip]
    kecamatan = {p.area_code for p in own if p.position == "camat"}
    kota = {p.area_code for p in own if p.position in ("walikota", "bupati")}
    own_ids = {p.position_id for p in own}
    return [p for p in positions if p.position_id in own_ids
            or (p.position == "lurah" and p.kecamatan_code in kecamatan)
            or (p.position in ("lurah", "camat") and p.kota_code in kota)]


# --- the data of a card -------------------------------------------------------------------------

def rated_tiers(round_: Round) -> set[str]:
    return {tier for tiers in (round_.rating_matrix or {}).values() for tier in tiers}


def comments_by_position(round_: Round, entries: list[PositionEntry]) -> dict[int, list[str]]:
    """The anonymous comments per position, from the groups that count for it only (a group
    under the minimum is left out of the comments as well as the score: DOMAIN.md section 4).
    In the order of their words: neither ids nor rows may say when a comment was given (a held
    response's id still follows its arrival until its batch is released, domain/holding.py)."""
    counting = {e.position_id: {g for g, v in e.groups.items() if v is not None}
                for e in entries}
    # A post that changed hands in the quarter: each official keeps the forms given while they
    # held it (DOMAIN.md 4a), their comments included (the NIP of the entry's official; None
    # for the days nobody held it).
    part_of = {e.position_id: e.official.nip if e.official is not None else None
               for e in entries if e.holder_part}
    wanted = [pid for pid, groups in counting.items() if groups]
    found: dict[int, list[str]] = {pid: [] for pid in counting}
    if not wanted:
        return found
    stored = holding.stored_responses(round_.id)
    rows = db.session.execute(
        select(stored.c.position_id, Official.nip, stored.c.group, stored.c.comment)
        .select_from(stored.outerjoin(Official, Official.id == stored.c.official_id))
        .where(stored.c.position_id.in_(wanted), stored.c.comment.is_not(None),
               func.length(func.trim(stored.c.comment)) > 0)
        .order_by(stored.c.comment)).all()
    for position_id, nip, group, comment in rows:
        if group in counting[position_id] and part_of.get(position_id, nip) == nip:
            found[position_id].append(comment.strip())
    return found


def report_texts(lang: str) -> dict[str, str]:
    """The texts a card or the summary prints (reports/labels.py's messages), in ``lang``, from
    the gettext catalogs: reports/ is given them in the plain data, as it does not translate."""
    with force_locale(lang):
        return labels.translated(gettext, pgettext)


def card_data(entry: PositionEntry, document: ResultsDocument, *,
              names: list[tuple[str, str, str]], rated: bool, comments: list[str],
              published: bool, lang: str = "id") -> CardData:
    """The figures of one card from its results-document entry (pure: no database)."""
    settings = document.settings
    texts = report_texts(lang)
    ordered = ordered_elements(entry, names)
    weakest = set(priority_elements(entry, names))
    elements = [Element(code, name_id, name_en, _r(entry.elements[code]),
                        priority=code in weakest, grade=ikm.element_grade(entry.elements[code]))
                for code, name_id, name_en in ordered if entry.elements.get(code) is not None]
    groups = []
    for group in GROUPS:
        figures = entry.groups.get(group)
        if figures is not None:
            groups.append(GroupRow(group, figures.n, _r(figures.mean * ikm.IKM_SCALE),
                                   _r(entry.weights_used.get(group), 3)))
        elif group in entry.groups_left_out:
            groups.append(GroupRow(group, 0, None, None, left_out=True))
    bounds = entry.grade_bounds
    shown_comments, counts = _comments_to_show(comments) if rated else ([], [])
    official = entry.official
    return CardData(
        round_code=document.round, position=entry.position, tier=entry.tier,
        area_name=entry.area_name, area_code=entry.area_code or entry.unit_code,
        unit_name=entry.unit_name,
        official_name=official.name if official is not None else None,
        official_nip=official.nip if official is not None else None,
        rated=rated, ikm=_r(entry.ikm), grade=entry.grade, category=entry.category,
        ci95=(entry.ci95[0], entry.ci95[1]) if entry.ci95 else None,
        grade_bounds=(bounds.A, bounds.B, bounds.C),
        invited=entry.invited, respondents=entry.respondents,
        response_rate=_r(entry.response_rate, 3), required_sample=entry.required_sample,
        meets_required_sample=entry.meets_required_sample, elements=elements, groups=groups,
        min_group=entry.min_group,
        element_count=len(names) or len(entry.elements),
        previous_round=entry.previous_round if entry.previous_ikm is not None else None,
        previous_ikm=_r(entry.previous_ikm), change=_r(entry.change),
        change_p_value=fmt.p_figure(entry.change_p_value),
        change_significant=entry.change_significant,
        trend=[TrendPoint(t.round, _r(t.ikm), t.holder_changed) for t in entry.trend],
        compared_elsewhere=_compared_elsewhere(entry, texts),
        new_holder=(official is not None and entry.compared_with is None
                    and any(t.holder_changed for t in entry.trend)),
        complaints=_complaints(entry.complaints),
        rank=entry.rank, peers=entry.peers, composite=_r(entry.composite),
        composite_basis=entry.composite_basis,
        survey_weight=settings.survey_weight,
        complaint_weight=settings.complaint_weight,
        sanction_level=entry.sanction_level,
        failed_rounds_in_a_row=entry.failed_rounds_in_a_row,
        failed_because=_failed_because(entry, texts),
        comments=shown_comments, comment_counts=counts,
        comments_total=len(comments) if rated else 0,
        published=published, lang=lang, texts=texts)


def _failed_because(entry: PositionEntry, texts: Mapping[str, str]) -> list[dict]:
    """The rules that failed the official this quarter (on every post they held in it), each
    with the post it failed on when that is not this card's post (for a post nobody holds, the
    post's own)."""
    if not entry.ladder_failed:
        return []
    shown = []
    for reason in entry.ladder_failed_because:
        elsewhere = reason.position is not None and (reason.position, reason.area_name) != (
            entry.position, entry.area_name or entry.unit_name)
        shown.append({**to_dict(reason),
                      "elsewhere": post_name(texts, reason.position or "",
                                              reason.area_name) if elsewhere else None})
    return shown


def _compared_elsewhere(entry: PositionEntry, texts: Mapping[str, str]) -> str | None:
    """The official's earlier post the change is measured against, when it is another post."""
    compared = entry.compared_with
    if compared is None or compared.same_post:
        return None
    return post_name(texts, compared.position, compared.area_name or compared.unit_name)


def _comments_to_show(comments: list[str]) -> tuple[list[str], list[int]]:
    """The distinct comments (the same words from several people printed once, with how many),
    the most frequent first, then in the order given; as many as fit the card's second page."""
    counts: dict[str, int] = {}
    for comment in comments:  # dict order keeps each text's first appearance
        text = " ".join(comment.split())
        if len(text) > COMMENT_MAX_CHARS:
            text = text[:COMMENT_MAX_CHARS].rstrip() + "…"
        counts[text] = counts.get(text, 0) + 1
    ordered = sorted(counts, key=lambda text: -counts[text])  # stable: newest first among equals
    shown, used = [], 0
    for text in ordered[:COMMENTS_SHOWN]:
        if used + len(text) > COMMENT_BUDGET_CHARS:
            break
        shown.append(text)
        used += len(text)
    return shown, [counts[text] for text in shown]


def _complaints(figures: ComplaintFigures | None) -> Complaints | None:
    if figures is None:
        return None
    assert figures.as_of is not None  # a document's figures carry the time they were read
    return Complaints(
        received=figures.received, rejected=figures.rejected,
        resolved=figures.resolved, resolved_in_time=figures.resolved_in_time,
        in_time_rate=_r(figures.in_time_rate, 3),
        median_days_to_resolve=_r(figures.median_days_to_resolve, 1),
        median_hours_to_first_response=_r(figures.median_hours_to_first_response, 1),
        open_overdue=figures.open_overdue, deadline_days=figures.deadline_days,
        min_complaints=figures.min_complaints, enough_to_judge=figures.enough_to_judge,
        as_of=clock.to_jakarta(datetime.fromisoformat(figures.as_of)).strftime(
            "%d-%m-%Y %H:%M WIB"),
        final=figures.final)


def _r(value: float | None, places: int = 2) -> float | None:
    """A figure as printed (the fingerprint covers what the reader sees)."""
    return None if value is None else ikm.shown(float(value), places)


# --- issuing: numbers and fingerprints ----------------------------------------------------------

def issue_card(round_: Round, entry: PositionEntry, data: CardData,
               verify_url: str) -> IssuedDocument:
    """Give the card its number and fingerprint: the existing record when these figures were
    issued before for this post, else a new one (the caller commits)."""
    [record] = issue_cards(round_, [(entry, data)], verify_url)
    return record


def issue_cards(round_: Round, cards: list[tuple[PositionEntry, CardData]],
                verify_url: str) -> list[IssuedDocument]:
    """``issue_card`` for many cards in a constant number of queries, whatever their number:
    the records in force for these posts in one, the officials of the new ones in another, the
    running number counted once (the caller commits)."""
    if not cards:
        return []
    _lock_numbers(round_)
    publication_id, in_force = _in_force(round_)
    digests = [model.fingerprint(data.figures()) for _entry, data in cards]
    positions = sorted({entry.position_id for entry, _data in cards})
    found: dict[tuple[int | None, str], IssuedDocument] = {}
    for record in db.session.scalars(
            select(IssuedDocument).where(IssuedDocument.round_id == round_.id,
                                         IssuedDocument.position_id.in_(positions),
                                         IssuedDocument.kind == "card",
                                         IssuedDocument.fingerprint.in_(set(digests)), in_force)
            .order_by(IssuedDocument.id)):
        found.setdefault((record.position_id, record.fingerprint), record)
    new = [(entry, data, digest) for (entry, data), digest in zip(cards, digests, strict=True)
           if (entry.position_id, digest) not in found]
    if new:
        nips = {entry.official.nip for entry, _data, _digest in new if entry.official is not None}
        official_ids: dict[str, int] = {}
        if nips:
            official_ids.update(db.session.execute(
                select(Official.nip, Official.id).where(Official.nip.in_(sorted(nips))))
                .tuples().all())
        issued = _issued_count(round_)
        rows: dict[tuple[int | None, str], dict] = {}
        for entry, data, digest in new:
            if (entry.position_id, digest) in rows:
                continue  # the same card twice in one batch: one number
            issued += 1
            rows[(entry.position_id, digest)] = {
                "number": _number(round_, issued), "round_id": round_.id,
                "position_id": entry.position_id,
                "official_id": (official_ids.get(entry.official.nip)
                                if entry.official is not None else None),
                "kind": "card", "fingerprint": digest, "figures": data.figures(),
                "issued_at": clock.now(), "publication_id": publication_id,
                "superseded_at": None}
        # One statement for all of them (executemany), then the new records read back at once.
        db.session.execute(insert(IssuedDocument), list(rows.values()))
        for record in db.session.scalars(select(IssuedDocument).where(
                IssuedDocument.number.in_([row["number"] for row in rows.values()]))):
            found[(record.position_id, record.fingerprint)] = record
    records = []
    for (entry, data), digest in zip(cards, digests, strict=True):
        record = found[(entry.position_id, digest)]
        _stamp(data, record, verify_url)
        records.append(record)
    return records


def issue_summary(round_: Round, data: SummaryData, verify_url: str) -> IssuedDocument:
    """The summary's number, over its league tables and ladder (the caller commits)."""
    figures = asdict(data)
    for key in ("lang", "number", "verify_url", "issued_on", "texts", "followups"):
        figures.pop(key)
    digest = model.fingerprint(figures)
    _lock_numbers(round_)
    publication_id, in_force = _in_force(round_)
    record = db.session.scalar(
        select(IssuedDocument).where(IssuedDocument.round_id == round_.id,
                                     IssuedDocument.kind == "summary",
                                     IssuedDocument.fingerprint == digest, in_force))
    if record is None:
        record = IssuedDocument(number=_new_number(round_), round_id=round_.id, kind="summary",
                                fingerprint=digest, figures={"summary": True,
                                                             "round_code": data.round_code},
                                issued_at=clock.now(), publication_id=publication_id)
        db.session.add(record)
        db.session.flush()
    data.number, data.verify_url = record.number, verify_url
    data.issued_on = clock.to_jakarta(record.issued_at).strftime("%d-%m-%Y")
    return record


def _in_force(round_: Round):
    """The id of the round's publication in force (None before it is published), and which
    issued documents are in force with it: a number is reused only within one publication, and
    never once superseded. Numbers issued before publications were stored count as the first's."""
    found = current_key(round_) if round_.state == "published" else None
    if found is None:
        return None, (IssuedDocument.publication_id.is_(None)
                      & IssuedDocument.superseded_at.is_(None))
    publication_id, number = found
    same = IssuedDocument.publication_id == publication_id
    if number == 1:
        same = same | IssuedDocument.publication_id.is_(None)
    return publication_id, same & IssuedDocument.superseded_at.is_(None)


def _stamp(data: CardData, record: IssuedDocument, verify_url: str) -> None:
    data.number, data.fingerprint, data.verify_url = record.number, record.fingerprint, verify_url
    data.issued_on = clock.to_jakarta(record.issued_at).strftime("%d-%m-%Y")


def _lock_numbers(round_: Round) -> None:
    """Issue the round's numbers one transaction at a time, whichever server or process asks:
    the round's row is locked (PostgreSQL: SELECT .. FOR NO KEY UPDATE, held until the caller
    commits) before looking for an existing record and counting, so two servers never both see
    "none yet" and issue the same running number or two numbers for the same figures. NO KEY:
    rows that merely refer to the round (a respondent's answers) are still written meanwhile.
    SQLite has one writer at a time already (a second one waits, or gets "database is locked",
    never a duplicate)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(Round.id).where(Round.id == round_.id)
                           .with_for_update(key_share=True))


def _new_number(round_: Round) -> str:
    return _number(round_, _issued_count(round_) + 1)


def _issued_count(round_: Round) -> int:
    return db.session.scalar(select(func.count()).select_from(IssuedDocument)
                             .where(IssuedDocument.round_id == round_.id)) or 0


def _number(round_: Round, running: int) -> str:
    """SKM-2026Q3-000123-K7QF9XM2: the round, a running number within it, a random part."""
    suffix = "".join(secrets.choice(SUFFIX_ALPHABET) for _ in range(SUFFIX_LENGTH))
    return f"SKM-{round_.code.replace('-', '')}-{running:06d}-{suffix}"


def cards_for(round_: Round, document: ResultsDocument, entries: list[PositionEntry], lang: str,
              verify_url: str) -> list[CardData]:
    """The issued card data of these entries, ready to render (the caller commits): a constant
    number of queries however many they are (one for the comments of all of them, issue_cards
    for their numbers)."""
    names = element_names(round_)
    tiers = rated_tiers(round_)
    comments = comments_by_position(round_, entries)
    published = round_.state == "published"
    previous_code, plans = followups.card_rows(round_, entries, names)
    cards = []
    for entry in entries:
        data = card_data(entry, document, names=names, rated=entry.tier in tiers,
                         comments=comments.get(entry.position_id, []), published=published,
                         lang=lang)
        data.followups = plans.get(entry.position_id, [])
        data.followups_round = previous_code if data.followups else None
        cards.append((entry, data))
    issue_cards(round_, cards, verify_url)
    return [data for _entry, data in cards]


def file_name(data: CardData) -> str:
    return f"rapor_{data.round_code}_{data.position}_{data.area_code or 'x'}.pdf"


# --- the province summary -------------------------------------------------------------------

def summary_data(document: ResultsDocument, lang: str = "id",
                 complaint_ranking: list[dict] | None = None,
                 published: bool = True,
                 followup_counts: list[FollowupCount] | None = None) -> SummaryData:
    """The summary's figures from the results document (pure). ``complaint_ranking`` is the
    complaint module's ranking of units when there is one; without it the units are ranked from
    the complaint figures in the document, and there is no ranking when there are none."""
    def league_row(p: PositionEntry) -> LeagueRow:
        return LeagueRow(p.rank, p.area_name or p.unit_name or "",
                         p.official.name if p.official is not None else None,
                         p.respondents, _r(p.ikm), p.grade, _r(p.composite),
                         p.sanction_level, p.required_sample)

    leagues, too_few = {}, {}
    for tier in TIERS:
        table = ranking.split(results.league_table(document, tier))
        if table.ranked:
            leagues[tier] = [league_row(p) for p in table.ranked]
        if table.too_few:  # fair comparisons: listed apart, never ranked
            too_few[tier] = [league_row(p) for p in table.too_few]
    distribution = {tier: counts for tier, counts in results.grade_distribution(document).items()}
    ladder = [LadderRow(p.sanction_level, p.official.name, p.official.nip,
                        p.position, p.area_name or p.unit_name or "",
                        p.failed_rounds_in_a_row, _r(p.ikm), p.grade)
              for p in results.sanctions_list(document) if p.official is not None]
    if complaint_ranking is None:
        complaint_ranking = _ranking_from_document(document)
    units = [ComplaintRankRow(
        rank=row.get("rank") or i, name=row.get("name") or row.get("unit_name")
        or row.get("area_name") or "", received=row.get("received") or 0,
        in_time_rate=_r(row.get("in_time_rate"), 3),
        median_days=_r(row.get("median_days_to_resolve", row.get("median_days")), 1),
        open_overdue=row.get("open_overdue") or 0)
        for i, row in enumerate(complaint_ranking, start=1)] if complaint_ranking else None
    return SummaryData(round_code=document.round, published=published, leagues=leagues,
                       distribution=distribution, ladder=ladder, complaint_ranking=units,
                       followups=followup_counts or None, lang=lang,
                       texts=report_texts(lang), too_few=too_few,
                       funnels=funnel_charts(document))


def funnel_charts(document: ResultsDocument) -> list[FunnelChart]:
    """One funnel plot per tier (survey_app/domain/funnel.py), as the summary draws it."""
    charts = []
    for tier in TIERS:
        found = funnel.of_tier(document.positions, tier)
        if found is None:
            continue
        measure, shape = found
        charts.append(FunnelChart(
            tier=tier, measure=measure, mean=ikm.shown(shape.mean, 2),
            sd=_r(shape.sd, 3), lowest=shape.lowest, highest=shape.highest,
            points=[FunnelDot(p.label, p.n, ikm.shown(p.value, 2), p.outside, p.above)
                    for p in shape.points],
            curve=[(round(n, 3), round(a, 3), round(b, 3), round(c, 3), round(d, 3))
                   for n, a, b, c, d in shape.curve()]))
    return charts


def _ranking_from_document(document: ResultsDocument) -> list[dict]:
    """The units as the results document ranks them (the one ranking of complaint handling)."""
    rows = [{"rank": p.rank, "name": p.unit_name or p.area_name or "", **p.complaints.as_dict()}
            for p in document.positions
            if p.tier == "kepala_dinas" and p.rank is not None and p.complaints is not None]
    rows.sort(key=lambda r: r["rank"])
    return rows


def complaint_ranking(round_: Round, document: ResultsDocument) -> list[dict] | None:
    """The units (dinas) ranked by complaint handling (survey_app.domain.complaint_figures),
    as the summary's rows; units with nothing to rate them on are left out of the summary. The
    figures are those of the round's results ``document`` (results.complaint_figures_of)."""
    figures = results.complaint_figures_of(round_, document)
    rows = [{"rank": u.rank, "name": u.unit_name, **u.figures.as_dict()}
            for u in rank_units(round_, figures=figures) if u.rank is not None]
    return rows or None


# --- checking a printed card -------------------------------------------------------------------

@dataclass
class Verification:
    found: bool
    record: IssuedDocument | None = None
    round_code: str | None = None
    published: bool = False
    fingerprint_given: bool = False
    fingerprint_matches: bool | None = None
    superseded_at: datetime | None = None  # when a re-publication replaced this document
    publication: int | None = None  # the number of the publication in force, once superseded
    superseded_by: str | None = None  # the number issued in its place, if one was issued yet
    before_publication: bool = False  # issued while the round was closed: provisional figures


def verify(number: str, fingerprint: str | None = None) -> Verification:
    """Whether a document number was issued, and whether a fingerprint (or at least its first
    eight characters, as a reader may type them) matches what was recorded."""
    number = (number or "").strip().upper()
    record = db.session.scalar(select(IssuedDocument).where(IssuedDocument.number == number)) \
        if number else None
    if record is None:
        return Verification(found=False)
    round_ = db.session.get(Round, record.round_id)
    assert round_ is not None  # issued_documents.round_id is a foreign key
    given = "".join((fingerprint or "").split()).lower()
    matches = None
    if given:
        matches = len(given) >= 8 and record.fingerprint.startswith(given)
    outcome = Verification(found=True, record=record, round_code=round_.code,
                           published=round_.state == "published", fingerprint_given=bool(given),
                           fingerprint_matches=matches, superseded_at=record.superseded_at)
    if record.superseded_at is not None:
        _replacement(round_, record, outcome)
    return outcome


def _replacement(round_: Round, record: IssuedDocument, outcome: Verification) -> None:
    """What replaced a superseded document: the publication in force and, if one was issued
    from it for the same post (or the summary), that document's number."""
    found = current_key(round_)
    if found is None:
        return
    publication_id, outcome.publication = found
    first = db.session.scalar(select(Publication.published_at).where(
        Publication.round_id == round_.id, Publication.number == 1))
    # publication.freeze supersedes the documents issued before it at its own moment
    outcome.before_publication = (record.publication_id is None
                                  and record.superseded_at == first)
    same_post = (IssuedDocument.position_id.is_(None) if record.position_id is None
                 else IssuedDocument.position_id == record.position_id)
    outcome.superseded_by = db.session.scalar(
        select(IssuedDocument.number).where(IssuedDocument.round_id == round_.id,
                                            IssuedDocument.kind == record.kind, same_post,
                                            IssuedDocument.publication_id == publication_id,
                                            IssuedDocument.superseded_at.is_(None))
        .order_by(IssuedDocument.id.desc()).limit(1))

