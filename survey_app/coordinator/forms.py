"""Forms for the round pages; the rules themselves live in survey_app.domain.rounds."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    FloatField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from survey_app.domain import clock
from survey_app.domain.rounds import RATED_TIERS, Settings
from survey_app.domain.vocabulary import (
    DEFAULT_FOLLOWUP_REQUIRED,
    DEFAULT_GROUP_WEIGHTS,
    DEFAULT_RATING_MATRIX,
    DEFAULT_SETTINGS,
    GROUPS,
)
from survey_app.validators import NoControlCharacters

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
GROUP_LABELS = {"rt": _l("RT heads"), "rw": _l("RW heads"), "lmk": _l("LMK members"),
                "fkdm": _l("FKDM members"), "tokoh": _l("Community figures (tokoh)")}
TIER_LABELS = {"lurah": _l("lurah"), "camat": _l("camat"), "walikota": _l("wali kota / bupati")}


class CheckboxesField(SelectMultipleField):
    """A list of checkboxes (no JavaScript, large tap targets)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _weight_field(group: str):
    return FloatField(GROUP_LABELS[group], default=DEFAULT_GROUP_WEIGHTS[group],
                      validators=[InputRequired(
                          message=_l("Enter a weight (0 to leave the group out)."))])


def _rates_field(group: str):
    return CheckboxesField(GROUP_LABELS[group], default=list(DEFAULT_RATING_MATRIX[group]),
                           choices=[SelectChoice(t, TIER_LABELS[t]) for t in RATED_TIERS])


class RoundForm(FlaskForm):
    """Create or edit a round. Times are entered in Asia/Jakarta time (WIB)."""

    code = StringField(_l("Quarter code"), description=_l("For example 2027-Q1."),
                       validators=[InputRequired(message=_l("Enter the quarter code.")),
                                   Length(max=7)])
    questionnaire = SelectField(_l("Questionnaire"), choices=[])
    opens_at = DateTimeLocalField(
        _l("Opens (WIB)"), format=DATETIME_FORMAT,
        validators=[InputRequired(message=_l("Enter the opening time."))])
    closes_at = DateTimeLocalField(
        _l("Closes (WIB)"), format=DATETIME_FORMAT,
        validators=[InputRequired(message=_l("Enter the closing time."))])
    weight_rt = _weight_field("rt")
    weight_rw = _weight_field("rw")
    weight_lmk = _weight_field("lmk")
    weight_fkdm = _weight_field("fkdm")
    weight_tokoh = _weight_field("tokoh")
    rates_rt = _rates_field("rt")
    rates_rw = _rates_field("rw")
    rates_lmk = _rates_field("lmk")
    rates_fkdm = _rates_field("fkdm")
    rates_tokoh = _rates_field("tokoh")
    deadline_days = IntegerField(_l("Complaint deadline (days)"),
                                 default=DEFAULT_SETTINGS["deadline_days"],
                                 validators=[InputRequired(message=_l("Enter a number of days."))])
    min_group = IntegerField(_l("Fewest respondents for a group to count"),
                             default=DEFAULT_SETTINGS["min_group"],
                             validators=[InputRequired(message=_l("Enter a number."))])
    survey_weight = FloatField(_l("Weight of the survey in the composite score"),
                               default=DEFAULT_SETTINGS["survey_weight"],
                               validators=[InputRequired(message=_l("Enter a weight."))])
    complaint_weight = FloatField(_l("Weight of complaint handling in the composite score"),
                                  default=DEFAULT_SETTINGS["complaint_weight"],
                                  validators=[InputRequired(message=_l("Enter a weight."))])
    min_in_time_rate = FloatField(_l("Lowest acceptable in-time rate (0 to 1)"),
                                  default=DEFAULT_SETTINGS["min_in_time_rate"],
                                  validators=[InputRequired(message=_l("Enter a rate.")),
                                              NumberRange(0, 1, message=_l("Between 0 and 1."))])
    failing_grades = CheckboxesField(_l("Grades that fail a round"),
                                     default=list(DEFAULT_SETTINGS["failing_grades"]),
                                     choices=[SelectChoice(g, g) for g in "ABCD"])
    min_complaints = IntegerField(_l("Fewest complaints for an in-time rate to count"),
                                  default=DEFAULT_SETTINGS["min_complaints"],
                                  description=_l("Below this the rate is shown but fails nobody."),
                                  validators=[InputRequired(message=_l("Enter a number."))])
    followup_required = BooleanField(
        _l("A missing or overdue follow-up plan counts as a failed quarter"),
        default=DEFAULT_FOLLOWUP_REQUIRED,
        description=_l("Plans are written after this round is published, for the weakest "
                       "elements of each card."))
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000),
                                                 NoControlCharacters(free_text=True)])

    def __init__(self, *args, questionnaire_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fieldset_errors: dict[str, str] = {}
        self.questionnaire.choices = [SelectChoice(k, label) for k, label in questionnaire_choices]

    def weight_fields(self):
        return [self[f"weight_{g}"] for g in GROUPS]

    def rates_fields(self):
        return [self[f"rates_{g}"] for g in GROUPS]

    def settings(self) -> Settings:
        """The form as the domain's settings (times from WIB to UTC)."""
        return Settings(
            questionnaire=self.questionnaire.data,
            opens_at=self.opens_at.data.replace(tzinfo=clock.JAKARTA),
            closes_at=self.closes_at.data.replace(tzinfo=clock.JAKARTA),
            group_weights={g: self[f"weight_{g}"].data for g in GROUPS},
            rating_matrix={g: list(self[f"rates_{g}"].data or []) for g in GROUPS},
            deadline_days=self.deadline_days.data, min_group=self.min_group.data,
            survey_weight=self.survey_weight.data, complaint_weight=self.complaint_weight.data,
            min_in_time_rate=self.min_in_time_rate.data,
            failing_grades="".join(self.failing_grades.data or []),
            min_complaints=self.min_complaints.data, note=self.note.data,
            followup_required=bool(self.followup_required.data))

    def fill_from(self, settings: Settings, code: str) -> None:
        self.code.data = code
        self.questionnaire.data = settings.questionnaire
        self.opens_at.data = clock.to_jakarta(settings.opens_at).replace(tzinfo=None)
        self.closes_at.data = clock.to_jakarta(settings.closes_at).replace(tzinfo=None)
        for g in GROUPS:
            self[f"weight_{g}"].data = settings.group_weights.get(g, 0.0)
            self[f"rates_{g}"].data = list(settings.rating_matrix.get(g, []))
        self.deadline_days.data = settings.deadline_days
        self.min_group.data = settings.min_group
        self.survey_weight.data = settings.survey_weight
        self.complaint_weight.data = settings.complaint_weight
        self.min_in_time_rate.data = settings.min_in_time_rate
        self.failing_grades.data = list(settings.failing_grades)
        self.min_complaints.data = settings.min_complaints
        self.note.data = settings.note
        self.followup_required.data = settings.followup_required

    def show_domain_errors(self, errors: dict[str, str]) -> None:
        """Put each of the domain's complaints next to the field (or fieldset) it is about."""
        self.fieldset_errors = {}
        for name, message in errors.items():
            field = self._fields.get(name)
            if field is None:
                self.fieldset_errors[name] = message
            else:
                field.errors = [*field.errors, message]


class ConfirmForm(FlaskForm):
    """A lifecycle action, confirmed on its own page (CSRF-protected POST)."""


class RepublishForm(FlaskForm):
    """Publishing a published round again: the reason is required and recorded."""

    reason = TextAreaField(_l("Reason (recorded in the audit log)"),
                           validators=[InputRequired(message=_l("Give the reason.")),
                                       Length(max=500), NoControlCharacters(free_text=True)])


class ExtendForm(FlaskForm):
    closes_at = DateTimeLocalField(
        _l("New closing time (WIB)"), format=DATETIME_FORMAT,
        validators=[InputRequired(message=_l("Enter the new closing time."))])
