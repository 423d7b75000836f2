"""Every text printed on a card, the summary or an invitation letter, as a gettext message under
a short key.

The messages live in the gettext catalogs like every other text a person reads (the English text
is the msgid, survey_app/translations holds the Indonesian); they are marked here (``N_``, and
``NP_`` with a context where the same English words read differently elsewhere) so that
``make messages`` extracts them. reports/ stays pure: it never translates by itself. The caller
translates the messages for a document's language with ``translated(gettext, pgettext)`` and
puts the result in the document's plain data (``texts``), which the worker processes receive
with the figures; ``label`` only fills a translated text with its values.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping

LANGUAGES = ("id", "en")


def N_(message: str) -> str:
    """Mark ``message`` for extraction; it is translated when the caller builds the texts."""
    return message


def NP_(context: str, message: str) -> tuple[str, str]:
    """Mark ``message`` in ``context`` for extraction (``pgettext`` translates it)."""
    return context, message


# Placeholders are %(name)s and a literal percent sign is %%, as everywhere in the catalogs:
# ``label`` always applies %. The "report" context keeps the card's own Indonesian wording where
# the pages translate the same English words otherwise ("Unit", "In-time rate", "no step", "Rank").
MESSAGES: dict[str, str | tuple[str, str]] = {
    "card_title": N_("Public Satisfaction Survey (SKM) report card"),
    "quarter": N_("Quarter %(q)s, %(year)s"),
    "name": N_("Name"),
    "nip": N_("NIP"),
    "position": N_("Position"),
    "area": N_("Area"),
    "unit": NP_("report", "Unit"),
    "period": N_("Period"),
    "vacant": N_("(post vacant on the reference day)"),
    "pos_lurah": N_("Lurah (head of kelurahan)"),
    "pos_camat": N_("Camat (head of kecamatan)"),
    "pos_walikota": N_("Mayor (wali kota)"),
    "pos_bupati": N_("Regent (bupati)"),
    "pos_kepala_dinas": N_("Head of agency (kepala dinas)"),
    "ikm": N_("Public Satisfaction Index (IKM)"),
    "grade": N_("Grade"),
    "no_score": N_("Not enough responses"),
    "no_score_why": N_(
        "No respondent group reached the minimum of %(min)s people, so there is no IKM "
        "this quarter. This is not a score of zero."),
    "complaints_only": N_(
        "This post is not rated by survey respondents; it is assessed on complaint "
        "handling only."),
    "band_where": N_("Grade bounds: D below %(c)s · C from %(c)s · B from %(b)s · A from %(a)s"),
    "band_marks": N_("Triangle: this post's IKM · the line above it: the 95%% confidence range"),
    "ci": N_("With 95%% confidence, the true value lies between %(low)s and %(high)s."),
    "ci_crosses": N_("This range crosses a grade bound, so the grade is not certain."),
    "ci_none": N_("No confidence range can be given (too few answers)."),
    "change_up": N_("Against %(prev)s (%(value)s): up %(delta)s points"),
    "change_down": N_("Against %(prev)s (%(value)s): down %(delta)s points"),
    "change_same": N_("Against %(prev)s (%(value)s): unchanged"),
    "change_sig": N_("; the change is statistically significant (%(p)s)."),
    "change_not_sig": N_("; the change may be chance (%(p)s)."),
    "change_no_p": N_("."),
    "compared_elsewhere": N_("The comparison is with your own score as %(post)s."),
    "new_holder": N_(
        "There is no earlier score of your own: your predecessor's scores are not "
        "compared with yours. The trend marks the change of holder."),
    "trend_holder_changed": N_("new holder"),
    "sample": N_(
        "Respondents: %(n)s of %(invited)s invited (%(rate)s); minimum sample "
        "(Krejcie-Morgan): %(required)s."),
    "sample_no_invites": N_("Respondents: %(n)s (no invitations recorded for this post)."),
    "sample_below": N_(
        "Below the minimum sample: the score is shown, but it is not used for "
        "sanctions or the ranking."),
    "sample_ok": N_("The minimum sample is met."),
    "elements_title": N_("Score and grade per element (NRR, scale 1-4)"),
    "priority": N_("PRIORITY"),
    "priorities_note": N_(
        "The weakest elements (at most three, below the elements' average) are marked "
        "PRIORITY for the follow-up plan."),
    "groups_title": N_("Score per respondent group"),
    "group_col": N_("Group"),
    "respondents_col": N_("Respondents"),
    "score_col": N_("Score (IKM scale)"),
    "weight_col": N_("Weight used"),
    "left_out": N_("left out"),
    "left_out_why": N_(
        "Group %(groups)s: fewer than %(min)s respondents, left out of the score and "
        "the comments to protect anonymity."),
    "no_respondents": N_("no respondents"),
    "g_rt": N_("RT heads"),
    "g_rw": N_("RW heads"),
    "g_lmk": N_("LMK"),
    "g_fkdm": N_("FKDM"),
    "g_tokoh": N_("Community figures"),
    "trend_title": N_("IKM over time (up to 8 quarters)"),
    "trend_none": N_("no score"),
    "complaints_title": N_("Complaint handling (CRM / LAPOR!)"),
    "complaints_none": N_("No complaint data for this quarter."),
    "c_received": N_("Complaints received"),
    "c_rejected": N_("Rejected (left out of the rates)"),
    "c_resolved": N_("Resolved"),
    "c_in_time": N_("Resolved in time (deadline %(days)s days)"),
    "c_rate": NP_("report", "In-time rate"),
    "c_median": N_("Median time to resolve"),
    "c_first": N_("Median time to first response"),
    "c_overdue": N_("Still open past the deadline"),
    "c_too_few": N_(
        "Too few complaints to judge: the in-time rate is over %(n)s complaints, fewer "
        "than the minimum of %(min)s; it is shown but fails nobody."),
    "c_provisional": N_(
        "PROVISIONAL: complaint figures as of %(time)s. They become final at the "
        "quarter's end plus the %(days)s-day deadline."),
    "c_final": N_("Final complaint figures, as of %(time)s (the quarter's end + %(days)s days)."),
    "days": N_("%(n)s days"),
    "hours": N_("%(n)s hours"),
    "standing_title": N_("Rank, composite score and sanctions status"),
    "rank": N_("Rank: %(rank)s of %(peers)s %(tier)s (by IKM)"),
    "rank_none": N_("Rank: none (no IKM)"),
    "rank_below_sample": N_("Rank: not ranked (below the minimum sample)"),
    "rank_complaints": N_("Rank: %(rank)s of %(peers)s %(tier)s (by complaint handling)"),
    "rank_complaints_none": N_("Rank: none (too few complaints to judge)"),
    "tier_lurah": N_("lurah"),
    "tier_camat": N_("camat"),
    "tier_walikota": N_("mayors and regents"),
    "tier_kepala_dinas": N_("heads of agency"),
    "composite": N_(
        "Composite score: %(value)s (IKM x %(sw)s + complaints in-time rate x %(cw)s, "
        "renormalised over the parts that exist)"),
    "composite_survey_too_few": N_(
        "Composite score: %(value)s (IKM only; too few complaints to judge)"),
    "composite_survey_only": N_(
        "Composite score: %(value)s (IKM only; complaint handling weighs 0)"),
    "composite_none_too_few": N_("Composite score: none (no IKM, and too few complaints to judge)"),
    "composite_complaints_only": N_(
        "Composite score: %(value)s (the complaints in-time rate; this post has no IKM)"),
    "complaints_method": N_(
        "Complaints count in the quarter they were reported in. Rejected ones are left "
        "out of the rates. In time: resolved no later than %(days)s days after the "
        "report. In-time rate = resolved in time / (resolved + still open past the "
        "deadline at the moment of judgment, the quarter's end + %(days)s days)."),
    "composite_none": N_("Composite score: none"),
    "sanction": N_("Sanctions status: %(level)s"),
    "why_grade": N_(
        "Failed this quarter: grade %(grade)s (IKM %(ikm)s); grades %(grades)s count "
        "as failed%(where)s."),
    "why_rate": N_(
        "Failed this quarter: %(rate)s of %(n)s judged complaints resolved in time, "
        "below the minimum of %(minimum)s%(where)s."),
    "why_where": N_(" (as %(post)s)"),
    "why_posts": N_(" (every post you held this quarter)"),
    "sanction_rounds": N_(" (failed quarters in a row: %(n)s)"),
    "sanction_note": N_(
        "This is the system's recommendation; people with authority decide and record "
        "it."),
    "s_none": NP_("report", "no step"),
    "s_perhatian": N_("watch (perhatian)"),
    "s_sp1": N_("warning letter 1 (SP1)"),
    "s_sp2": N_("warning letter 2 (SP2)"),
    "s_rotasi": N_("rotation, transfer or demotion recommended"),
    "comments_title": N_("Respondents' comments (anonymous)"),
    "comments_none": N_("No comments can be shown."),
    "comments_symbols": N_("(symbols or emoji only)"),
    "comments_more": N_("... and %(n)s more comments (not room on this card)."),
    "method_title": N_("How the score is computed"),
    "method": N_(
        "The IKM follows PermenPANRB 14/2017: each element's average (NRR) = sum of "
        "answers / number of answers (scale 1-4); index = mean of the NRR, each "
        "element weighing 1/%(k)s; IKM = index x 25. Scores are computed per "
        "respondent group first, then combined with the weights: %(weights)s. Groups "
        "with fewer than %(min)s respondents are left out. Grades: A from %(a)s (Very "
        "good), B from %(b)s (Good), C from %(c)s (Poor), D below (Very poor). Note: "
        "if everyone answers \"3\" (Good), the IKM is 75.00, which is grade C (Poor)."),
    "weights_none": N_("none"),
    "doc_number": N_("Document number"),
    "fingerprint": N_("Data fingerprint (SHA-256)"),
    "verify_at": N_("Check this document is genuine at %(url)s with its number."),
    "issued": N_("Issued %(date)s"),
    "page": N_("Page %(n)s of %(total)s"),
    "cat_Sangat baik": N_("Very good"),
    "cat_Baik": N_("Good"),
    "cat_Kurang baik": N_("Poor"),
    "cat_Tidak baik": N_("Very poor"),
    # the province summary
    "summary_title": N_("Province summary: Public Satisfaction Survey"),
    "summary_positions": N_("%(n)s posts assessed; %(scored)s with an IKM."),
    "distribution_title": N_("Grades per level"),
    "league_title": N_("League table: %(tier)s"),
    "col_rank": NP_("report", "Rank"),
    "col_area": N_("Area / unit"),
    "col_official": N_("Official"),
    "col_ikm": N_("IKM"),
    "col_grade": N_("Grade"),
    "col_resp": N_("Resp."),
    "col_composite": N_("Composite"),
    "col_sanction": N_("Sanction"),
    "col_level": N_("Level"),
    "col_total": N_("Total"),
    "no_grade": N_("no score"),
    "complaint_rank_title": N_("Units ranked by complaint handling"),
    "complaint_rank_none": N_("No complaint data for this quarter."),
    "col_unit": N_("Unit / area"),
    "col_received": N_("Received"),
    "col_in_time": N_("In time"),
    "col_median": N_("Median days"),
    "col_overdue": N_("Overdue"),
    "ladder_title": N_("Sanctions ladder (recommendations)"),
    "ladder_empty": N_("No official is on the ladder."),
    "col_failed": N_("Failed in a row"),
    "summary_not_published": N_("NOT PUBLISHED: for coordinators only."),
    "head_of": N_("Head of %(name)s"),
    # fair comparisons (issue 20)
    "too_few_title": N_("Too few responses to rank: %(tier)s"),
    "too_few_note": N_(
        "Fewer respondents than the required sample: the IKM is shown but not ranked, and on "
        "its own it puts nobody on the sanctions ladder."),
    "col_required": N_("Required"),
    "funnel_title": N_("Funnel plot: %(tier)s"),
    "funnel_note_ikm": N_(
        "Each post's IKM against its number of respondents. The dashed line is the province "
        "mean (%(mean)s, weighted by respondents); the bands are the 95%% and 99.8%% control "
        "limits, mean ± z × sd / sqrt(n) with sd = %(sd)s, the spread between respondents "
        "(Spiegelhalter 2005). A post outside them differs from the mean by more than chance "
        "explains; inside them, small posts are not told apart by a rank."),
    "funnel_note_rate": N_(
        "Each unit's in-time rate of complaints against the complaints it is over. The dashed "
        "line is the pooled rate (%(mean)s%%); the bands are the 95%% and 99.8%% control "
        "limits, rate ± z × sqrt(rate × (100 - rate) / n) (Spiegelhalter 2005)."),
    "funnel_x_ikm": N_("respondents"),
    "funnel_x_rate": N_("complaints judged"),
    "funnel_y_ikm": N_("IKM"),
    "funnel_y_rate": N_("in time (%%)"),
    "funnel_above_998": N_("Above the 99.8%% limits: %(names)s"),
    "funnel_below_998": N_("Below the 99.8%% limits: %(names)s"),
    "funnel_above_95": N_("Above the 95%% limits (within 99.8%%): %(names)s"),
    "funnel_below_95": N_("Below the 95%% limits (within 99.8%%): %(names)s"),
    "funnel_none": N_("Funnel plot: %(tier)s: fewer than two posts with a figure, nothing to "
                      "compare."),
    "funnel_inside": N_("Every post lies within the 95%% limits."),
    "funnel_no_limits": N_(
        "No limits drawn: the spread between respondents is not known (every invited person "
        "answered, or too few respondents)."),
    # follow-up plans (issue 20)
    "why_followup": N_(
        "Failed this quarter on follow-up plans: %(missing)s priority elements without a "
        "submitted plan, %(overdue)s plans overdue."),
    "fu_title": N_("Follow-up plans written after %(round)s"),
    "fu_line": N_("%(code)s %(name)s: %(then)s in %(round)s, now %(now)s (%(change)s)"),
    "fu_plan": N_("Action: %(action)s · done by %(due)s · %(state)s"),
    "fu_note": N_("The state of each plan as on the day the card was printed; plans are "
                  "reviewed and verified by the superior."),
    "fu_summary_title": N_("Follow-up plans by kota"),
    "fu_units": N_("Agencies (dinas)"),
    "fu_missing": N_("No plan"),
    "fu_draft": NP_("followup", "draft"),
    "fu_submitted": NP_("followup", "submitted"),
    "fu_returned": NP_("followup", "returned"),
    "fu_approved": NP_("followup", "approved"),
    "fu_done": NP_("followup", "done"),
    "fu_verified": NP_("followup", "verified"),
}


# Every text of an invitation letter (reports/invitations.py), as the card's above: the caller
# translates them (``translated(gettext, pgettext, LETTER_MESSAGES)``) into LetterBatch.texts.
LETTER_MESSAGES: dict[str, str | tuple[str, str]] = {
    "title": N_("Survey invitations %(code)s"),
    "none": N_("No invitations for period %(code)s."),
    "heading": N_("PUBLIC SATISFACTION SURVEY"),
    "subtitle": N_("Rating of the lurah, camat and wali kota \u2022 period %(code)s"),
    "to": N_("To Mr/Mrs"),
    "step_1": N_("Point your phone's camera at the QR code above, then open the link that "
                 "appears. Or type the address under the QR code into a browser."),
    # the respondent form's button, whose words step 2 quotes
    "button": N_("Send my answers"),
    "step_2": N_("Choose one answer for each question, then press \u201c%(button)s\u201d."),
    "step_3": N_("You may rate one official first and the others later, with the same link."),
    "deadline": N_("Please fill it in before %(closes)s."),
    "privacy": N_("Your answers are confidential and anonymous. This link is for you alone: "
                  "please do not share it."),
}
Messages = Mapping[str, str | tuple[str, str]]


def translated(gettext: Callable[[str], str], pgettext: Callable[[str, str], str],
               messages: Messages = MESSAGES) -> dict[str, str]:
    """Every message (the card's and summary's, or another document's ``messages``: the
    invitation letters'), translated by the caller's ``gettext`` and ``pgettext`` (bound to one
    language), still with its ``%(name)s`` placeholders: the ``texts`` of a document's data."""
    return {key: pgettext(*message) if isinstance(message, tuple) else gettext(message)
            for key, message in messages.items()}


def label(texts: Mapping[str, str], key: str, /, **values: object) -> str:
    """The translated text of the card's or summary's message ``key`` (the English message when
    ``texts`` lacks it), filled with values."""
    return filled(MESSAGES, texts, key, **values)


def filled(messages: Messages, texts: Mapping[str, str], key: str, /, **values: object) -> str:
    """The translated text of ``messages[key]`` (the English message when ``texts`` lacks it),
    filled with values: ``label`` for another document's messages (the letters')."""
    message = messages[key]
    text = texts.get(key) or (message[1] if isinstance(message, tuple) else message)
    return text % values


def post_name(texts: Mapping[str, str], position: str, name: str | None) -> str:
    """'Lurah PELA TIMUR'; a unit's head is 'Kepala' + the unit's own name ('Kepala Dinas Bina
    Marga', 'Kepala Satuan Polisi Pamong Praja'), never 'Kepala Dinas Dinas ...'."""
    name = (name or "").strip()
    if position == "kepala_dinas":
        return label(texts, "head_of", name=name).strip()
    return f"{label(texts, 'pos_' + position)} {name}".strip()
