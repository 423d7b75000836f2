"""The fixed vocabularies of the domain (DOMAIN.md sections 2 to 5), in one place."""
from __future__ import annotations

from typing import TypedDict

from flask_babel import lazy_gettext as _l

# Administrative levels, top to bottom. A kota and a kabupaten sit at the same depth.
LEVELS = ("provinsi", "kota", "kabupaten", "kecamatan", "kelurahan")
PARENT_LEVELS = {
    "provinsi": (),
    "kota": ("provinsi",),
    "kabupaten": ("provinsi",),
    "kecamatan": ("kota", "kabupaten"),
    "kelurahan": ("kecamatan",),
}

# Positions and the level of area each one heads (kepala_dinas heads a unit, not an area).
POSITION_KINDS = ("lurah", "camat", "walikota", "bupati", "kepala_dinas")
POSITION_AREA_LEVEL = {
    "lurah": "kelurahan",
    "camat": "kecamatan",
    "walikota": "kota",
    "bupati": "kabupaten",
}
# What each position is called on pages, before its area's name ("Lurah PELA TIMUR").
POSITION_LABELS = {"lurah": _l("Lurah"), "camat": _l("Camat"), "walikota": _l("Wali Kota"),
                   "bupati": _l("Bupati"), "kepala_dinas": _l("Kepala dinas")}
# Peers are compared within a tier: a bupati ranks with the wali kota.
POSITION_TIER = {
    "lurah": "lurah",
    "camat": "camat",
    "walikota": "walikota",
    "bupati": "walikota",
    "kepala_dinas": "kepala_dinas",
}

# Respondent groups (DOMAIN.md section 4) and the round's default weights.
GROUPS = ("rt", "rw", "lmk", "fkdm", "tokoh")
DEFAULT_GROUP_WEIGHTS = {"rt": 0.25, "rw": 0.25, "lmk": 0.20, "fkdm": 0.15, "tokoh": 0.15}
# Which tiers each group rates by default: every group rates the heads above its area.
DEFAULT_RATING_MATRIX = {g: ["lurah", "camat", "walikota"] for g in GROUPS}
RESPONDENT_AREA_LEVELS = ("kelurahan", "kecamatan")

ROLES = ("admin", "coordinator", "official", "viewer")

ROUND_STATES = ("draft", "scheduled", "open", "closed", "published")


class DefaultSettings(TypedDict):
    deadline_days: int
    min_group: int
    survey_weight: float
    complaint_weight: float
    min_in_time_rate: float
    failing_grades: str
    min_complaints: int


# A new round's settings (besides the group weights and rating matrix above), read by the model's
# column defaults, the round form, the CLI's options and rounds.Settings.
DEFAULT_SETTINGS: DefaultSettings = {
    "deadline_days": 7,
    "min_group": 3,
    "survey_weight": 0.7,
    "complaint_weight": 0.3,
    "min_in_time_rate": 0.8,
    "failing_grades": "CD",
    # the fewest complaints an in-time rate must be over to count against anyone (DOMAIN.md 5)
    "min_complaints": 5,
}

# Complaint statuses, stored in English; imports accept the Indonesian CRM names too.
COMPLAINT_STATUSES = ("waiting", "coordination", "disposition", "in_progress", "resolved",
                      "rejected")
COMPLAINT_STATUS_ALIASES = {
    "menunggu": "waiting",
    "waiting": "waiting",
    "koordinasi": "coordination",
    "coordination": "coordination",
    "disposisi": "disposition",
    "disposition": "disposition",
    "proses": "in_progress",
    "process": "in_progress",
    "in_progress": "in_progress",
    "in progress": "in_progress",
    "selesai": "resolved",
    "resolved": "resolved",
    "done": "resolved",
    "ditolak": "rejected",
    "rejected": "rejected",
}

ANSWER_MIN, ANSWER_MAX = 1, 4

# Sanctions ladder (DOMAIN.md section 6): consecutive failed rounds -> recommended step.
SANCTION_LEVELS = ("none", "perhatian", "sp1", "sp2", "rotasi")
SANCTION_ACTIONS = ("perhatian", "sp1", "sp2", "rotasi", "mutasi", "demosi", "dibatalkan")

# Follow-up plans (rencana tindak lanjut, issue 20): their states, in the order of the loop
# (draft > submitted > approved or returned > done > verified; survey_app/domain/followups.py).
FOLLOWUP_STATES = ("draft", "submitted", "returned", "approved", "done", "verified")
FOLLOWUP_STATE_LABELS = {"draft": _l("draft"), "submitted": _l("submitted for review"),
                         "returned": _l("returned for changes"), "approved": _l("approved"),
                         "done": _l("done (evidence given)"), "verified": _l("verified")}
# A round setting: whether a missing or overdue plan counts as a failed quarter on the ladder.
DEFAULT_FOLLOWUP_REQUIRED = False
# Background jobs (survey_app/jobs.py): the states a job goes through, and how long its result
# file is kept (letters hold names and personal links: no longer than needed).
JOB_STATES = ("queued", "running", "done", "failed")
JOB_RESULT_HOURS = 72
JOB_STATE_LABELS = {"queued": _l("waiting"), "running": _l("running"), "done": _l("done"),
                    "failed": _l("failed")}
JOB_KIND_LABELS = {"letters": _l("Invitations"), "next-quarter": _l("Next quarter"),
                   "import-respondents": _l("Roster import"),
                   "import-responses": _l("Paper forms import"),
                   "import-complaints": _l("Complaints import"),
                   "results-csv": _l("Results CSV"),
                   "round-results": _l("Results of a closed round"),
                   "publish-round": _l("Publication")}
