"""The results document as types (issue 22): frozen dataclasses inside the code, JSON at the edge.

``results.compute_base`` gives a :class:`BaseResults`, ``results.results_document`` a
:class:`ResultsDocument`; every consumer reads attributes. JSON exists only at the edges:
``to_dict`` (the CLI, the API, what is stored in ResultSnapshot and Publication) and
``parse_base`` / ``parse_document`` (what is read back from storage).

``to_dict`` gives exactly the document DESIGN.md describes, with the keys in the order they were
always written. A few keys are written only where they mean something, as they always were:

- ``post_complaints`` and ``holder_part``: only on the part of an official in a post that changed
  hands in the quarter (``holder_part`` true);
- ``official_complaints``: only for an official who held several posts in the quarter;
- ``official_failed`` and ``official_failed_because``: only where the post has an official;
- a failure reason's ``position`` and ``area_name``: only where the rule failed on one post (not
  on the sum of several);
- the document's ``publication``: only on a published round's document.

Every field is required: building an entry without a figure is an error, never a silent default.
The dicts inside (elements, items, groups, weights) are not copied: treat them as read-only.

Reading stored documents (:func:`parse_base`, :func:`parse_document`) is strict: a missing or
unknown key raises :class:`StoredDocumentError` naming it. The one exception is
:func:`upgrade_published`, the single place that knows what a document published by an older
version of the code may lack (see there).
"""
from __future__ import annotations

import dataclasses
import itertools
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from survey_app.domain.complaint_figures import ComplaintFigures
from survey_app.domain.ikm import GRADE_BANDS

# Where a figure's absence is not a value but "this key is not written" (see the module's doc).
# The lowest IKM of each grade but the last, as the document carries them (ikm.GRADE_BANDS).
GRADE_BOUNDS = {letter: bound for bound, letter, _kinerja in GRADE_BANDS[:-1]}


class StoredDocumentError(ValueError):
    """A stored results document that does not have the shape of the results document."""


# --- the parts ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class OfficialRef:
    nip: str
    name: str


@dataclass(frozen=True)
class GroupFigures:
    """A respondent group that counts for a post: how many answered, the group's mean index."""
    n: int
    mean: float


@dataclass(frozen=True, kw_only=True)
class SummedFigures(ComplaintFigures):
    """One official's complaint figures over several posts (results._sum_figures): the counts
    add up, the medians are None, ``posts`` says how many posts."""
    posts: int


@dataclass(frozen=True)
class GradeFailure:
    """The official failed on a failing grade (on the post named)."""
    rule: str  # "grade"
    grade: str
    ikm: float | None
    failing_grades: str
    position: str
    area_name: str | None


@dataclass(frozen=True)
class RateFailure:
    """The official failed on the in-time rate of complaints: over one post (named), or over
    every post they held in the quarter (``position`` None: not written)."""
    rule: str  # "in_time_rate"
    rate: float
    minimum: float
    complaints: int  # the rate's denominator
    posts: int
    position: str | None
    area_name: str | None


@dataclass(frozen=True)
class FollowupFailure:
    """The official failed on follow-up plans (a round with ``followup_required``; see
    survey_app/domain/sanctions.py): ``missing`` priority elements of the previous quarter's
    card with no plan submitted, ``overdue`` plans due by this quarter and not done. Never tied
    to one post (``position`` None: not written)."""
    rule: str  # "followup"
    missing: int
    overdue: int
    position: str | None = None
    area_name: str | None = None


FailureReason = GradeFailure | RateFailure | FollowupFailure


@dataclass(frozen=True)
class GradeBounds:
    A: float
    B: float
    C: float


@dataclass(frozen=True)
class ComparedWith:
    """The earlier result the change is measured against (the official's own)."""
    round: str
    position: str
    area_name: str | None
    unit_name: str | None
    same_post: bool


@dataclass(frozen=True)
class TrendPoint:
    round: str
    ikm: float | None
    official: OfficialRef | None
    holder_changed: bool


@dataclass(frozen=True)
class QuestionnaireRef:
    key: str
    version: str
    sha256: str


@dataclass(frozen=True)
class Settings:
    """The round's settings the document was computed with."""
    group_weights: Mapping[str, float]
    min_group: int
    deadline_days: int
    survey_weight: float
    complaint_weight: float
    min_in_time_rate: float
    failing_grades: str
    min_complaints: int
    questionnaire: QuestionnaireRef


@dataclass(frozen=True)
class PublicationRef:
    number: int
    published_at: str


# --- the entries --------------------------------------------------------------------------------

@dataclass(frozen=True)
class PositionResult:
    """One post's (or one official's part of a post's) results from its round's data alone."""
    position_id: int
    position: str
    tier: str
    area_code: str | None
    area_name: str | None
    unit_code: str | None
    unit_name: str | None
    kota_code: str | None
    kecamatan_code: str | None
    official: OfficialRef | None
    invited: int
    respondents: int
    response_rate: float | None
    required_sample: int
    meets_required_sample: bool | None
    elements: Mapping[str, float]
    items: Mapping[str, float]
    groups: Mapping[str, GroupFigures | None]
    groups_left_out: tuple[str, ...]
    weights_used: Mapping[str, float]
    min_group: int
    index: float | None
    ikm: float | None
    grade: str | None
    category: str | None
    ci95: tuple[float, float] | None
    index_variance: float | None
    complaints: ComplaintFigures | None
    post_complaints: ComplaintFigures | None  # written only on a holder's part (holder_part)
    holder_part: bool  # the figures are this official's part of a post that changed hands
    official_complaints: SummedFigures | None  # written only when the official held several posts
    failed: bool | None
    failed_because: tuple[FailureReason, ...]
    composite: float | None
    composite_basis: str | None
    official_failed: bool | None  # written only where there is an official
    official_failed_because: tuple[FailureReason, ...]  # written only where there is an official

    @property
    def area_complaints(self) -> ComplaintFigures | None:
        """Every complaint filed in the post's area or unit that quarter (DOMAIN.md 5): the
        whole post's figures, also where it changed hands (then ``complaints`` is the
        holder's part)."""
        return self.post_complaints if self.holder_part else self.complaints

    @property
    def judged_complaints(self) -> ComplaintFigures | None:
        """The complaint figures the official is judged on: over every post they held in the
        quarter when there were several, else this entry's own."""
        return self.official_complaints or self.complaints

    @property
    def ladder_failed(self) -> bool | None:
        """Whether the round counts as failed on the ladder: the official's (anything that fell
        to them failed), or, for a post nobody holds, the post's own."""
        return self.failed if self.official is None else self.official_failed

    @property
    def ladder_failed_because(self) -> tuple[FailureReason, ...]:
        return self.failed_because if self.official is None else self.official_failed_because


@dataclass(frozen=True)
class PositionEntry(PositionResult):
    """A post's entry in the results document: the base results and what needs other rounds."""
    grade_bounds: GradeBounds
    previous_round: str | None
    previous_ikm: float | None
    compared_with: ComparedWith | None
    change: float | None
    change_p_value: float | None
    change_significant: bool
    trend: tuple[TrendPoint, ...]
    rank: int | None
    peers: int
    failed_rounds_in_a_row: int
    sanction_level: str


@dataclass(frozen=True)
class BaseResults:
    """A round's base results (stored in ResultSnapshot and with each publication)."""
    round: str
    method_version: str
    reference_day: str
    positions: tuple[PositionResult, ...]
    earlier_holders: tuple[PositionResult, ...]

    def to_dict(self) -> dict:
        return to_dict(self)


@dataclass(frozen=True)
class ResultsDocument:
    """DESIGN.md's results document."""
    round: str
    state: str
    method_version: str
    reference_day: str
    settings: Settings
    positions: tuple[PositionEntry, ...]
    earlier_holders: tuple[PositionResult, ...]
    publication: PublicationRef | None  # written only on a published round's document

    def to_dict(self) -> dict:
        return to_dict(self)


# --- to JSON ------------------------------------------------------------------------------------

def _written(obj, name: str) -> bool:
    """Whether a field is written (see the module's doc: the keys written only where they mean
    something)."""
    if isinstance(obj, PositionResult):
        if name in ("post_complaints", "holder_part"):
            return obj.holder_part
        if name == "official_complaints":
            return obj.official_complaints is not None
        if name in ("official_failed", "official_failed_because"):
            return obj.official is not None
    elif isinstance(obj, (RateFailure, FollowupFailure)):
        if name in ("position", "area_name"):
            return obj.position is not None
    elif isinstance(obj, ResultsDocument) and name == "publication":
        return obj.publication is not None
    return True


def to_dict(value: Any) -> Any:
    """The JSON form of a typed value: dataclasses become dicts (keys in field order, the keys
    written only where they mean something left out elsewhere), tuples become lists."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_dict(getattr(value, f.name)) for f in dataclasses.fields(value)
                if _written(value, f.name)}
    if isinstance(value, (list, tuple)):
        return [to_dict(v) for v in value]
    if isinstance(value, Mapping):
        return {k: to_dict(v) for k, v in value.items()}
    return value


# --- from JSON (what is stored) -----------------------------------------------------------------

def _fields(cls, raw: Mapping, where: str, optional: tuple[str, ...] = ()) -> dict:
    """The raw values of a dataclass's fields, strictly: every field present (``optional``
    ones may be absent: the keys written only where they mean something), nothing unknown."""
    if not isinstance(raw, Mapping):
        raise StoredDocumentError(f"{where}: expected an object, found {type(raw).__name__}")
    names = [f.name for f in dataclasses.fields(cls)]
    missing = [n for n in names if n not in raw and n not in optional]
    if missing:
        raise StoredDocumentError(f"{where}: the key '{missing[0]}' is missing")
    unknown = [k for k in raw if k not in names]
    if unknown:
        raise StoredDocumentError(f"{where}: unknown key '{unknown[0]}'")
    return dict(raw)


def _official(raw, where: str) -> OfficialRef | None:
    return None if raw is None else OfficialRef(**_fields(OfficialRef, raw, where))


def _figures(raw, where: str) -> ComplaintFigures | None:
    if raw is None:
        return None
    if "posts" in raw:
        return SummedFigures(**_fields(SummedFigures, raw, where))
    return ComplaintFigures(**_fields(ComplaintFigures, raw, where))


def _reason(raw, where: str) -> FailureReason:
    rule = raw.get("rule") if isinstance(raw, Mapping) else None
    if rule == "grade":
        return GradeFailure(**_fields(GradeFailure, raw, where))
    if rule == "in_time_rate":
        values = _fields(RateFailure, raw, where, optional=("position", "area_name"))
        if ("position" in values) != ("area_name" in values):
            raise StoredDocumentError(f"{where}: 'position' and 'area_name' go together")
        return RateFailure(**{"position": None, "area_name": None, **values})
    if rule == "followup":
        values = _fields(FollowupFailure, raw, where, optional=("position", "area_name"))
        return FollowupFailure(**values)
    raise StoredDocumentError(f"{where}: unknown rule {rule!r}")


def _result_values(cls, raw, where: str) -> dict:
    values = _fields(cls, raw, where, optional=("post_complaints", "holder_part",
                                                "official_complaints", "official_failed",
                                                "official_failed_because"))
    holder_part = values.get("holder_part", False)
    if holder_part is not True and ("holder_part" in values or "post_complaints" in values):
        raise StoredDocumentError(f"{where}: 'post_complaints' and 'holder_part' are written "
                                  "only on a holder's part (holder_part true)")
    if holder_part and "post_complaints" not in values:
        raise StoredDocumentError(f"{where}: the key 'post_complaints' is missing")
    official = _official(values["official"], f"{where}.official")
    for key in ("official_failed", "official_failed_because"):
        if (key in values) != (official is not None):
            raise StoredDocumentError(
                f"{where}: the key '{key}' is missing" if official is not None
                else f"{where}: '{key}' is written only where there is an official")
    if "official_complaints" in values and values["official_complaints"] is None:
        raise StoredDocumentError(f"{where}: 'official_complaints' is null")
    values.update(
        official=official,
        groups_left_out=tuple(values["groups_left_out"]),
        groups={g: (None if v is None else GroupFigures(**_fields(GroupFigures, v,
                                                                 f"{where}.groups.{g}")))
                for g, v in values["groups"].items()},
        ci95=tuple(values["ci95"]) if values["ci95"] is not None else None,
        complaints=_figures(values["complaints"], f"{where}.complaints"),
        post_complaints=_figures(values.get("post_complaints"), f"{where}.post_complaints"),
        holder_part=holder_part,
        official_complaints=_figures(values.get("official_complaints"),
                                     f"{where}.official_complaints"),
        failed_because=tuple(_reason(r, f"{where}.failed_because")
                             for r in values["failed_because"]),
        official_failed=values.get("official_failed"),
        official_failed_because=tuple(_reason(r, f"{where}.official_failed_because")
                                      for r in values.get("official_failed_because", ())),
    )
    return values


def _result(raw, where: str) -> PositionResult:
    return PositionResult(**_result_values(PositionResult, raw, where))


def _entry(raw, where: str) -> PositionEntry:
    values = _result_values(PositionEntry, raw, where)
    compared = values["compared_with"]
    values.update(
        grade_bounds=GradeBounds(**_fields(GradeBounds, values["grade_bounds"],
                                           f"{where}.grade_bounds")),
        compared_with=(None if compared is None else
                       ComparedWith(**_fields(ComparedWith, compared, f"{where}.compared_with"))),
        trend=tuple(TrendPoint(**{**_fields(TrendPoint, t, f"{where}.trend"),
                                  "official": _official(t["official"], f"{where}.trend")})
                    for t in values["trend"]),
    )
    return PositionEntry(**values)


def parse_base(raw: Mapping) -> BaseResults:
    """Stored base results (ResultSnapshot.document, Publication.base), strictly."""
    values = _fields(BaseResults, raw, "base results")
    where = f"base results of {values['round']}"
    return BaseResults(
        round=values["round"], method_version=values["method_version"],
        reference_day=values["reference_day"],
        positions=tuple(_result(p, f"{where}, positions[{i}]")
                        for i, p in enumerate(values["positions"])),
        earlier_holders=tuple(_result(p, f"{where}, earlier_holders[{i}]")
                              for i, p in enumerate(values["earlier_holders"])))


def parse_document(raw: Mapping) -> ResultsDocument:
    """A stored results document (Publication.document), strictly."""
    values = _fields(ResultsDocument, raw, "results document", optional=("publication",))
    where = f"results document of {values['round']}"
    settings = _fields(Settings, values["settings"], f"{where}, settings")
    settings["questionnaire"] = QuestionnaireRef(**_fields(
        QuestionnaireRef, settings["questionnaire"], f"{where}, settings.questionnaire"))
    publication = values.get("publication")
    return ResultsDocument(
        round=values["round"], state=values["state"], method_version=values["method_version"],
        reference_day=values["reference_day"], settings=Settings(**settings),
        positions=tuple(_entry(p, f"{where}, positions[{i}]")
                        for i, p in enumerate(values["positions"])),
        earlier_holders=tuple(_result(p, f"{where}, earlier_holders[{i}]")
                              for i, p in enumerate(values["earlier_holders"])),
        publication=(None if publication is None else PublicationRef(**_fields(
            PublicationRef, publication, f"{where}, publication"))))


def parse_entry(raw: Mapping) -> PositionEntry:
    """One stored entry of a results document's ``positions``, strictly."""
    return _entry(raw, "results document entry")


# --- reading stored documents once per process -------------------------------------------------

_READ: OrderedDict[tuple, Any] = OrderedDict()
READ_KEPT = 12  # documents kept parsed (a province round's is some 10 MB of objects)
_READ_LOCK = threading.Lock()
_ENGINES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_SERIAL = itertools.count(1)


def read_once(key: tuple, parse: Callable[[], Any]) -> Any:
    """``parse()``, or what it gave before for the same key in this process (the few last
    ones). Only for what never changes under its key: a publication, or stored results under
    the digest of what they were computed from. The key starts with the app's database engine
    (a serial number per engine object: each test's app, and the database behind it, is new),
    so that no two databases ever share one. The documents are frozen dataclasses: nobody
    changes what is kept."""
    from survey_app.extensions import db

    with _READ_LOCK:
        engine = db.engine
        if engine not in _ENGINES:
            _ENGINES[engine] = next(_SERIAL)
        key = (_ENGINES[engine], *key)
        if key in _READ:
            _READ.move_to_end(key)
            return _READ[key]
    found = parse()
    with _READ_LOCK:
        _READ[key] = found
        while len(_READ) > READ_KEPT:
            _READ.popitem(last=False)
    return found


def forget_read() -> None:
    """Forget every document read_once kept (as a new process would start)."""
    with _READ_LOCK:
        _READ.clear()
