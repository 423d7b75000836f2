"""The results a page shows: the latest stored (survey_app/domain/results.py, latest), whatever
their age, with the time they were computed. A page never computes a round that has stored
results, nor looks at its data to tell whether they still hold: the worker keeps them fresh
(survey_app/jobs.py, refresh_results), a commit that changes a round's data asks it for newer
ones (survey_app/changes.py), and so does a page that finds them too old
(jobs.ask_refresh; with JOBS_URL=memory:// that runs at once, and the page reads them again).
While a refresh is asked for, the figures are shown as not current (newer ones are coming)."""
from __future__ import annotations

import dataclasses

from flask import current_app

from survey_app.domain import clock, results
from survey_app.extensions import db
from survey_app.models import Round


def shown_results(round_: Round) -> results.Shown:
    """The round's results for a page. Only a round with nothing stored at all is computed here,
    once (its first look ever; the worker and ``skm demo`` store them before anyone looks): an
    upsert, so that two first looks at once both succeed. Commits (the clock transitions the
    page saw, and a first look's results)."""
    shown = results.latest(round_)
    if shown is None:
        document = results.results_document(round_)
        db.session.commit()
        return results.Shown(document, clock.now(), current=True)
    db.session.commit()  # the clock transitions the page saw: the worker's session writes next
    if shown.published:
        return shown
    from survey_app import jobs  # the job library loads when it is first needed

    try:
        pending = jobs.refresh_pending()  # data changed (survey_app/changes.py)
        if not shown.current or pending:
            jobs.ask_refresh()
            shown = results.latest(round_) or shown
            pending = jobs.refresh_pending()
        if shown.current and pending:
            shown = dataclasses.replace(shown, current=False)
    except Exception as error:  # noqa: BLE001 (the queue is down: the figures still show)
        current_app.logger.warning("Asking for newer results failed: %s", type(error).__name__)
    return shown
