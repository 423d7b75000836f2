"""Rounds: codes, settings validation, the lifecycle (by hand and by the clock), freezing,
pinning."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from survey_app.domain import invitations, quarters, rounds
from survey_app.domain.clock import JAKARTA
from survey_app.domain.errors import NotAllowed
from survey_app.domain.rounds import RoundInvalid, Settings
from survey_app.extensions import db
from survey_app.models import (
    AuditEntry,
    Invitation,
    InvitationPosition,
    Respondent,
    Response,
    Round,
)
from tests import factories

OPENS = datetime(2027, 3, 10, 8, 0, tzinfo=JAKARTA)
CLOSES = datetime(2027, 4, 1, 0, 0, tzinfo=JAKARTA)
BEFORE = OPENS - timedelta(days=5)
DURING = OPENS + timedelta(days=5)
AFTER = CLOSES + timedelta(minutes=1)
# The complaints' moment of judgment J of 2027-Q1 (DOMAIN.md section 5): the quarter ends on
# 1 April 00:00 WIB, plus the 7-day deadline: 8 April 2027 00:00 WIB. Publishing waits for it.
JUDGED = datetime(2027, 4, 8, 0, 0, tzinfo=JAKARTA)


def settings(**changes) -> Settings:
    base = Settings(questionnaire="skm-permenpan-14-2017", opens_at=OPENS, closes_at=CLOSES)
    for key, value in changes.items():
        setattr(base, key, value)
    return base


def make(code: str = "2027-Q1", **changes) -> Round:
    return rounds.create(code, settings(**changes))


# --- codes and quarters ----------------------------------------------------------------------

@pytest.mark.parametrize("code, expected", [("2027-Q1", (2027, 1)), ("2026-Q4", (2026, 4))])
def test_codes_parse(code, expected):
    assert rounds.parse_code(code) == expected


@pytest.mark.parametrize("code", ["2027-Q5", "2027-Q0", "27-Q1", "2027Q1", "2027-q1", "",
                                  "2027-Q1x"])
def test_bad_codes_are_refused(code, ctx):
    with pytest.raises(RoundInvalid) as caught:
        rounds.parse_code(code)
    assert set(caught.value.errors) == {"code"}


def test_quarters_next_previous_and_bounds():
    assert rounds.next_code("2026-Q4") == "2027-Q1" and rounds.next_code("2027-Q1") == "2027-Q2"
    assert rounds.previous_code("2027-Q1") == "2026-Q4"
    assert quarters.bounds(2027, 1) == (date(2027, 1, 1), date(2027, 3, 31))
    assert quarters.bounds(2026, 4) == (date(2026, 10, 1), date(2026, 12, 31))


# --- creating: defaults, pinning, refused inputs ---------------------------------------------

def test_a_new_round_is_a_draft_with_the_default_settings_and_a_pinned_questionnaire(ctx):
    round_ = make()
    db.session.commit()
    assert round_.state == "draft"
    assert round_.group_weights == {"rt": 0.25, "rw": 0.25, "lmk": 0.20, "fkdm": 0.15,
                                    "tokoh": 0.15}
    assert round_.rating_matrix == {g: ["lurah", "camat", "walikota"]
                                    for g in ("rt", "rw", "lmk", "fkdm", "tokoh")}
    assert (round_.deadline_days, round_.min_group) == (7, 3)
    assert (round_.survey_weight, round_.complaint_weight) == (0.7, 0.3)
    # entered in Jakarta time, stored in UTC
    assert round_.opens_at == datetime(2027, 3, 10, 1, 0, tzinfo=UTC)
    assert round_.questionnaire.key == "skm-permenpan-14-2017"
    assert len(round_.questionnaire.content["elements"]) == 9
    assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.target == "2027-Q1")) \
        == "round-create"


@pytest.mark.parametrize("changes, field", [
    ({"closes_at": OPENS}, "closes_at"),
    ({"closes_at": OPENS - timedelta(hours=1)}, "closes_at"),
    ({"questionnaire": "no-such-questionnaire"}, "questionnaire"),
    ({"group_weights": {"rt": -0.1, "rw": 0.5, "lmk": 0.2, "fkdm": 0.2, "tokoh": 0.2}},
     "group_weights"),
    ({"group_weights": {"rt": 0, "rw": 0, "lmk": 0, "fkdm": 0, "tokoh": 0}}, "group_weights"),
    ({"group_weights": {"rt": 1, "warga": 1}}, "group_weights"),
    ({"rating_matrix": {"rt": ["gubernur"]}}, "rating_matrix"),
    ({"rating_matrix": {g: [] for g in ("rt", "rw", "lmk", "fkdm", "tokoh")}}, "rating_matrix"),
    ({"deadline_days": 0}, "deadline_days"),
    ({"min_group": 0}, "min_group"),
    ({"survey_weight": 0.0, "complaint_weight": 0.0}, "survey_weight"),
    ({"survey_weight": -1.0}, "survey_weight"),
    ({"min_in_time_rate": 1.5}, "min_in_time_rate"),
    ({"failing_grades": "CX"}, "failing_grades"),
])
def test_refused_settings_name_their_field_and_write_nothing(ctx, changes, field):
    with pytest.raises(RoundInvalid) as caught:
        make(**changes)
    assert field in caught.value.errors
    db.session.rollback()
    assert db.session.scalar(select(Round)) is None


def test_a_quarter_that_exists_or_overlaps_is_refused(ctx):
    make()
    with pytest.raises(RoundInvalid) as caught:
        rounds.create("2027-Q1", settings(opens_at=OPENS + timedelta(days=90),
                                          closes_at=CLOSES + timedelta(days=90)))
    assert "2027-Q1" in caught.value.errors["code"]
    with pytest.raises(RoundInvalid) as caught:  # another code, but the dates overlap
        rounds.create("2027-Q2", settings(opens_at=CLOSES - timedelta(days=1),
                                          closes_at=CLOSES + timedelta(days=30)))
    assert "2027-Q1" in caught.value.errors["opens_at"]
    # touching is not overlapping: Q2 may open the moment Q1 closes
    assert rounds.create("2027-Q2", settings(opens_at=CLOSES,
                                             closes_at=CLOSES + timedelta(days=30)))


def test_all_problems_are_reported_at_once(ctx):
    with pytest.raises(RoundInvalid) as caught:
        rounds.create("2027-Q9", settings(questionnaire="x", closes_at=OPENS, deadline_days=0))
    assert set(caught.value.errors) == {"code", "questionnaire", "closes_at", "deadline_days"}


def test_weights_and_matrix_parse_from_the_command_line_forms(ctx):
    assert rounds.parse_weights("rt=0.5, lmk=0.5") == {"rt": 0.5, "rw": 0.0, "lmk": 0.5,
                                                       "fkdm": 0.0, "tokoh": 0.0}
    for bad in ("warga=1", "rt", "rt=abc"):
        with pytest.raises(RoundInvalid):
            rounds.parse_weights(bad)
    matrix = rounds.parse_rating_matrix(["fkdm=camat+walikota"])
    assert matrix["fkdm"] == ["camat", "walikota"]
    assert matrix["rt"] == ["lurah", "camat", "walikota"]


# --- the lifecycle ---------------------------------------------------------------------------

def test_a_scheduled_round_opens_and_closes_by_the_clock_and_records_when(ctx):
    round_ = make()
    rounds.schedule(round_, now=BEFORE)
    assert rounds.effective_state(round_, BEFORE) == "scheduled"
    assert rounds.effective_state(round_, OPENS) == "open"  # at its opening minute exactly
    assert rounds.effective_state(round_, CLOSES - timedelta(seconds=1)) == "open"
    assert rounds.effective_state(round_, CLOSES) == "closed"
    # nobody looked until after it closed: both transitions are recorded at their real times
    assert rounds.record_clock_transitions([round_], AFTER) == {round_.id: "closed"}
    assert round_.state == "closed"
    assert round_.opened_at == OPENS and round_.closed_at == CLOSES
    db.session.commit()
    actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["round-create", "round-schedule", "round-closed"]


def test_a_draft_never_opens_by_the_clock(ctx):
    round_ = make()
    assert rounds.record_clock_transitions([round_], DURING) == {round_.id: "draft"}


def test_scheduling_a_round_whose_time_has_come_opens_it(ctx):
    round_ = make()
    rounds.schedule(round_, now=DURING)
    assert round_.state == "open" and round_.opened_at == OPENS


def test_open_now_brings_the_opening_forward(ctx):
    round_ = make()
    rounds.open_now(round_, now=BEFORE)
    assert round_.state == "open" and round_.opens_at == BEFORE and round_.opened_at == BEFORE


def test_close_now_stops_an_open_round_and_publish_follows(ctx):
    round_ = make()
    rounds.open_now(round_, now=DURING)
    rounds.close_now(round_, now=DURING + timedelta(hours=1))
    assert round_.state == "closed" and round_.closed_at == DURING + timedelta(hours=1)
    assert round_.closes_at == CLOSES  # the scheduled close stays (the next quarter's plan)
    assert not rounds.results_visible_to_officials(round_)
    rounds.publish(round_, now=JUDGED)
    assert round_.state == "published" and rounds.results_visible_to_officials(round_)
    assert round_.published_at == JUDGED


def test_a_round_is_published_only_from_its_complaints_moment_of_judgment(ctx):
    """Closed early, on 15 March, 2027-Q1 still waits for J: 1 April 00:00 + 7 days = 8 April
    00:00 WIB; one minute before it is refused (in Indonesian by default, naming J in WIB)."""
    round_ = make()
    rounds.open_now(round_, now=DURING)
    rounds.close_now(round_, now=DURING + timedelta(hours=1))
    with pytest.raises(NotAllowed) as refused:
        rounds.publish(round_, now=JUDGED - timedelta(minutes=1))
    assert str(refused.value) == (
        "Putaran 2027-Q1 belum dapat diterbitkan sebelum 08-04-2027 00:00 WIB: angka pengaduannya "
        "masih sementara sampai akhir triwulan ditambah batas waktu 7 hari.")
    assert round_.state == "closed" and round_.published_at is None
    with force_locale("en"), pytest.raises(NotAllowed, match="before 08-04-2027 00:00 WIB"):
        rounds.publish(round_, now=JUDGED - timedelta(minutes=1))
    rounds.publish(round_, now=JUDGED)
    assert round_.state == "published"


def test_a_longer_deadline_moves_the_moment_of_judgment(ctx):
    """Q4 2026 with 7 days: 2027-01-08 00:00 WIB (DOMAIN.md); 2027-Q1 with 14 days: 1 April
    + 14 days = 15 April 00:00 WIB."""
    from survey_app.domain.complaint_figures import judgment_moment

    q4 = factories.round_("2026-Q4", opens=datetime(2026, 12, 1, tzinfo=UTC),
                          closes=datetime(2026, 12, 20, tzinfo=UTC), deadline_days=7)
    assert judgment_moment(q4) == datetime(2027, 1, 8, 0, 0, tzinfo=JAKARTA)
    round_ = make(deadline_days=14)
    assert judgment_moment(round_) == datetime(2027, 4, 15, 0, 0, tzinfo=JAKARTA)
    rounds.open_now(round_, now=DURING)
    rounds.close_now(round_, now=DURING + timedelta(hours=1))
    with pytest.raises(NotAllowed, match="15-04-2027 00:00 WIB"):
        rounds.publish(round_, now=JUDGED)


def test_extending_moves_the_close_later_only(ctx):
    round_ = make()
    rounds.open_now(round_, now=DURING)
    later = CLOSES + timedelta(days=7)
    rounds.extend(round_, later, now=DURING)
    assert round_.closes_at == later and rounds.effective_state(round_, CLOSES) == "open"
    with pytest.raises(RoundInvalid) as caught:
        rounds.extend(round_, later - timedelta(days=1), now=DURING)
    assert "closes_at" in caught.value.errors


def test_extending_into_the_next_round_is_refused(ctx):
    round_ = make()
    make("2027-Q2", opens_at=CLOSES + timedelta(days=5), closes_at=CLOSES + timedelta(days=30))
    rounds.open_now(round_, now=DURING)
    with pytest.raises(RoundInvalid, match="2027-Q2"):
        rounds.extend(round_, CLOSES + timedelta(days=6), now=DURING)


# Each action from each state: what is allowed is exactly ALLOWED_ACTIONS.
def _in_state(state: str) -> Round:
    round_ = make()
    if state == "scheduled":
        rounds.schedule(round_, now=BEFORE)
    elif state in ("open", "closed", "published"):
        rounds.open_now(round_, now=DURING)
        if state != "open":
            rounds.close_now(round_, now=DURING + timedelta(hours=1))
        if state == "published":
            rounds.publish(round_, now=JUDGED)
    return round_


def _do(action: str, round_: Round, now: datetime):
    if action == "extend":
        return rounds.extend(round_, CLOSES + timedelta(days=3), now=now)
    return {"schedule": rounds.schedule, "open": rounds.open_now, "close": rounds.close_now,
            "publish": rounds.publish, "delete": rounds.delete}[action](round_, now=now)


@pytest.mark.parametrize("state", ["draft", "scheduled", "open", "closed", "published"])
@pytest.mark.parametrize("action", rounds.ACTIONS)
def test_each_transition_is_allowed_or_refused_as_the_lifecycle_says(ctx, state, action):
    round_ = _in_state(state)
    now = {"draft": BEFORE, "scheduled": BEFORE, "open": DURING + timedelta(hours=3)}.get(
        state, JUDGED + timedelta(hours=1))
    if action in rounds.ALLOWED_ACTIONS[state]:
        _do(action, round_, now)
    else:
        with pytest.raises(NotAllowed):
            _do(action, round_, now)


def test_opening_or_scheduling_a_round_that_already_closed_in_the_past_is_refused(ctx):
    round_ = make()
    with pytest.raises(NotAllowed, match="2027-Q1"):
        rounds.open_now(round_, now=AFTER)
    with pytest.raises(NotAllowed):
        rounds.schedule(round_, now=AFTER)


# --- freezing --------------------------------------------------------------------------------

def test_settings_change_until_it_opens_and_are_frozen_after(ctx):
    round_ = make()
    rounds.update(round_, settings(deadline_days=14), now=BEFORE)
    assert round_.deadline_days == 14
    rounds.schedule(round_, now=BEFORE)
    rounds.update(round_, settings(deadline_days=10), now=BEFORE)  # scheduled: still editable
    assert round_.deadline_days == 10
    with pytest.raises(NotAllowed, match="frozen"), force_locale("en"):  # the clock opened it
        rounds.update(round_, settings(deadline_days=5), now=DURING)
    assert round_.deadline_days == 10 and round_.state == "open"


def test_a_changed_questionnaire_file_never_changes_a_round_that_used_it(app, tmp_path):
    import shutil

    from survey_app.domain import questionnaires

    directory = tmp_path / "q"
    shutil.copytree(questionnaires.DEFAULT_DIRECTORY, directory)
    app.config["QUESTIONNAIRE_DIR"] = str(directory)
    with app.app_context():
        round_ = make()
        rounds.open_now(round_, now=DURING)
        db.session.commit()
        pinned_hash = round_.questionnaire.content_hash
        path = directory / "skm-permenpan-14-2017.toml"
        path.write_text(path.read_text(encoding="utf-8").replace("Persyaratan", "Syarat"),
                        encoding="utf-8")
        # a new round pins the new content; the open one keeps its copy
        nxt = rounds.create("2027-Q2", settings(opens_at=CLOSES,
                                                closes_at=CLOSES + timedelta(days=30)))
        db.session.commit()
        db.session.expire_all()
        first = db.session.scalar(select(Round).where(Round.code == "2027-Q1"))
        assert first.questionnaire.content_hash == pinned_hash
        assert first.questionnaire.content["elements"][0]["name"]["id"] == "Persyaratan"
        assert nxt.questionnaire.content["elements"][0]["name"]["id"] == "Syarat"
        assert nxt.questionnaire.content_hash != pinned_hash


# --- deleting: never once it has responses -----------------------------------------------------

def test_a_draft_without_responses_can_be_deleted_with_its_roster(ctx):
    areas = factories.small_tree()
    round_ = make()
    respondent = Respondent(ref="R1", name="A", group="rt", area=areas["3171010001"])
    db.session.add(respondent)
    db.session.flush()
    invitation = Invitation(round_id=round_.id, respondent_id=respondent.id, token_hash="h",
                            token_nonce="n", group="rt", area_id=respondent.area_id)
    db.session.add(invitation)
    db.session.flush()
    lurah = factories.position("lurah", areas["3171010001"])
    db.session.add(InvitationPosition(invitation_id=invitation.id, position_id=lurah.id))
    db.session.flush()
    rounds.delete(round_, now=BEFORE)
    db.session.commit()
    assert db.session.scalar(select(Round)) is None
    assert db.session.scalar(select(Invitation)) is None


def test_a_round_with_responses_is_never_deleted(ctx):
    areas = factories.small_tree()
    round_ = make()
    position = factories.position("lurah", areas["3171010001"])
    db.session.add(Response(round_id=round_.id, position_id=position.id, group="rt",
                            area_id=areas["3171010001"].id))
    db.session.flush()
    with pytest.raises(NotAllowed, match="Close it instead"), force_locale("en"):
        rounds.delete(round_, now=BEFORE)
    with pytest.raises(NotAllowed, match="Tutup putaran ini"):  # Indonesian by default
        rounds.delete(round_, now=BEFORE)


# --- next quarter ----------------------------------------------------------------------------

def test_next_quarter_copies_the_settings_three_months_later(ctx):
    round_ = make(deadline_days=10,
                  group_weights={"rt": 1, "rw": 1, "lmk": 0, "fkdm": 0, "tokoh": 0})
    nxt = invitations.next_quarter(round_)
    assert nxt.code == "2027-Q2" and nxt.state == "draft"
    assert nxt.opens_at == datetime(2027, 6, 10, 8, 0, tzinfo=JAKARTA)
    assert nxt.closes_at == datetime(2027, 7, 1, 0, 0, tzinfo=JAKARTA)
    assert nxt.deadline_days == 10 and nxt.group_weights["lmk"] == 0
    assert nxt.questionnaire_id == round_.questionnaire_id  # same file, same pinned copy
    with pytest.raises(RoundInvalid):  # it exists now
        invitations.next_quarter(round_)


def test_months_move_by_the_calendar_with_the_day_clipped():
    start = datetime(2026, 11, 30, 8, 0, tzinfo=JAKARTA)
    assert rounds._add_months(start, 3) == datetime(2027, 2, 28, 8, 0, tzinfo=JAKARTA)


# --- the command line -------------------------------------------------------------------------

def test_round_commands_walk_the_lifecycle(runner, ctx):
    created = runner.invoke(args=[
        "skm", "round", "create", "2027-Q1", "--questionnaire", "skm-permenpan-14-2017",
        "--opens", "2027-03-10T08:00", "--closes", "2027-04-01T00:00",
        "--weights", "rt=0.5,rw=0.5", "--rates", "rw=lurah", "--deadline-days", "14"])
    assert created.exit_code == 0, created.output
    assert created.output.startswith("Putaran 2027-Q1 dibuat (draf): 2027-03-10 08:00 WIB - ")
    round_ = db.session.scalar(select(Round))
    assert round_.group_weights["lmk"] == 0 and round_.rating_matrix["rw"] == ["lurah"]
    assert round_.deadline_days == 14
    listed = runner.invoke(args=["skm", "round", "list"])
    assert "2027-Q1" in listed.output and "0/0" in listed.output
    refused = runner.invoke(args=["skm", "round", "publish", "2027-Q1"])
    assert refused.exit_code == 1 and "2027-Q1" in refused.output
    for command in ("open", "close"):
        result = runner.invoke(args=["skm", "round", command, "2027-Q1"])
        assert result.exit_code == 0, result.output
    # Closed early, it is published only from J: 1 April 2027 + 14 days (its deadline).
    early = runner.invoke(args=["skm", "round", "publish", "2027-Q1"])
    assert early.exit_code == 1 and "sebelum 15-04-2027 00:00 WIB" in early.output
    db.session.expire_all()
    assert db.session.scalar(select(Round.state)) == "closed"


def test_round_create_takes_the_fewest_complaints_to_judge(runner, ctx):
    base = ["skm", "round", "create", "--questionnaire", "skm-permenpan-14-2017"]
    made = runner.invoke(args=[*base, "2027-Q1", "--opens", "2027-03-10T08:00",
                               "--closes", "2027-04-01T00:00"])
    assert made.exit_code == 0, made.output
    three = runner.invoke(args=[*base, "2027-Q2", "--opens", "2027-06-10T08:00",
                                "--closes", "2027-07-01T00:00", "--min-complaints", "3"])
    assert three.exit_code == 0, three.output
    zero = runner.invoke(args=[*base, "2027-Q3", "--opens", "2027-09-10T08:00",
                               "--closes", "2027-10-01T00:00", "--min-complaints", "0"])
    assert zero.exit_code != 0 and "min_complaints" in zero.output
    assert dict(db.session.execute(select(Round.code, Round.min_complaints)).all()) == {
        "2027-Q1": 5, "2027-Q2": 3}


@pytest.mark.parametrize("args, shown", [
    (["--opens", "tomorrow", "--closes", "2027-04-01"], "'tomorrow' bukan tanggal dan waktu"),
    (["--opens", "2027-03-10", "--closes", "2027-03-01"], "closes_at"),
    (["--opens", "2027-03-10", "--closes", "2027-04-01", "--weights", "rt=-1"], "group_weights"),
])
def test_round_create_refuses_bad_input_and_writes_nothing(runner, ctx, args, shown):
    result = runner.invoke(args=["skm", "round", "create", "2027-Q1", "--questionnaire",
                                 "skm-permenpan-14-2017", *args])
    assert result.exit_code != 0 and shown in result.output
    assert db.session.scalar(select(Round)) is None


def test_an_unknown_round_is_a_clear_message(runner, ctx):
    result = runner.invoke(args=["skm", "round", "open", "2031-Q1"])
    assert result.exit_code == 1 and "2031-Q1" in result.output


def test_next_quarter_copies_the_roster_with_new_links(ctx):
    from survey_app.domain.invitations import ensure_invitations

    areas = factories.small_tree()
    for code in ("3171010001", "3171010"):
        kind = "lurah" if len(code) == 10 else "camat"
        factories.appoint(factories.official(f"9{code}"), factories.position(kind, areas[code]),
                          date(2026, 1, 1))
    people = [Respondent(ref=f"R{n}", name=f"Warga {n}", group="rt", area=areas["3171010001"])
              for n in range(3)]
    db.session.add_all(people)
    db.session.flush()
    round_ = make()
    ensure_invitations(round_, people, "test-secret")
    nxt = invitations.next_quarter(round_)
    db.session.commit()
    old = {i.respondent_id: i for i in db.session.scalars(select(Invitation).where(
        Invitation.round_id == round_.id))}
    new = {i.respondent_id: i for i in db.session.scalars(select(Invitation).where(
        Invitation.round_id == nxt.id))}
    assert set(new) == set(old) == {p.id for p in people}
    assert all(new[r].token_hash != old[r].token_hash for r in new)  # a new link each quarter
    assert all(len(i.positions) == 2 for i in new.values())  # the lurah and the camat
