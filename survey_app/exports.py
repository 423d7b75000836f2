"""Downloads built by a background job (survey_app/jobs.py), handed out by whichever server the
browser reaches: the job runs on any worker and its result waits in the queue's result store
(Redis in production), not on one server's disk. For now the results CSV of a round; the job
list with progress (issue 17) takes these over.

POST /exports/<round>/results.csv starts the job and sends the browser to its page, which answers
"being prepared" (refreshing itself every few seconds, no JavaScript) until the file is there.
"""
from __future__ import annotations

from flask import Blueprint, Response, abort, redirect, render_template, url_for

from survey_app.auth.roles import role_required, visible_round_or_404

bp = Blueprint("exports", __name__, url_prefix="/exports")

REFRESH_SECONDS = 3


@bp.post("/<round:code>/results.csv")
@role_required("coordinator", "viewer")
def start_results_csv(code):
    round_, _state = visible_round_or_404(code)
    from survey_app import jobs  # the job library loads when a job is started

    result = jobs.results_csv(round_.code)
    return redirect(url_for("exports.results_csv", code=round_.code, job=result.id))


@bp.get("/<round:code>/results/<job>")
@role_required("coordinator", "viewer")
def results_csv(code, job):
    round_, _state = visible_round_or_404(code)
    from survey_app import jobs

    done = jobs.huey.result(job, preserve=True)
    if done is None:
        page = render_template("exports/waiting.html", round_=round_)
        return page, 202, {"Refresh": str(REFRESH_SECONDS)}
    if not isinstance(done, dict) or done.get("code") != round_.code:
        abort(404)  # another round's job: not through this round's address
    return Response(done["csv"], mimetype="text/csv", headers={
        "Content-Disposition": f"attachment; filename=hasil_{round_.code}.csv"})
