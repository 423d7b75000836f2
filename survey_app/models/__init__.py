"""SQLAlchemy models, one module per concept; imported here so that metadata is complete."""
from survey_app.models.area import Area, Unit
from survey_app.models.audit import AuditEntry, IssuedDocument, SanctionDecision
from survey_app.models.complaint import Complaint
from survey_app.models.followup import FollowupFile, FollowupPlan
from survey_app.models.job import Job, JobFile
from survey_app.models.official import Appointment, Official, Position
from survey_app.models.respondent import (
                                          Answer,
                                          HeldAnswer,
                                          HeldResponse,
                                          Invitation,
                                          InvitationPosition,
                                          Respondent,
                                          Response,
                                          invitation_counted,
)
from survey_app.models.result import Publication, ResultSnapshot
from survey_app.models.round import PinnedQuestionnaire, Round
from survey_app.models.user import User

__all__ = [
    "Answer", "Appointment", "Area", "AuditEntry", "Complaint", "FollowupFile", "FollowupPlan",
    "HeldAnswer", "HeldResponse",
    "Invitation", "InvitationPosition", "Job", "JobFile",
    "IssuedDocument", "Official", "PinnedQuestionnaire", "Position", "Publication", "Respondent",
    "Response", "ResultSnapshot",
    "Round", "SanctionDecision", "Unit", "User", "invitation_counted",
]
