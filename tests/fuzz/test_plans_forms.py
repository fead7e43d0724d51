"""Bad input through the family plan's forms, posted to the real views as a Child and Family Support worker:
starting a plan from the assessment's needs, adding and changing goals, scoring them, and adding and changing
actions.

Hypothesis builds a plausible post for each form, then swaps a few fields for something hostile: markup, quotes,
names such as O'Brien, Zoë and Nguyễn, NUL, very long text, made-up choices and primary keys, scores off the 0 to
10 scale, impossible dates and a tampered lock version. Whatever arrives, the page answers with the form again (200,
a GOV.UK error summary, nothing saved) or a redirect after a save; never a server error. What was saved is shown
escaped on the plan page, and the issue's rules hold: no goal without a target above its baseline, no action
without one owner and a due date, no score dated in the future.
"""

import os
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from cases.models import Action, FamilyPlan, Goal, GoalScore
from tests.cases.test_plans_services import make_assessment, make_episode
from tests.factories import (
    ActionFactory,
    AgencyFactory,
    FamilyMemberFactory,
    FamilyPlanFactory,
    GoalFactory,
    NeedFactory,
)

pytestmark = pytest.mark.django_db

fuzz = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "20")),  # FUZZ_EXAMPLES=500 for a deeper run
    deadline=None,
    database=None,  # write nothing outside tests/fuzz (no .hypothesis directory)
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)

ERROR_SUMMARY = 'class="govuk-error-summary"'
XSS = "<script>alert(1)</script>"
SPECIAL_TEXT = [
    "",
    " ",
    "\x00",
    "Smith\x00",
    "\t\r\n",
    "\u202eevil",
    "\ufeffBOM",
    "\U0001d518\U0001d52b\U0001d526 \U0001f600",
    "O'Brien",
    "Zoë",
    "Nguyễn",
    XSS,
    '"><img src=x onerror=alert(1)>',
    "{{ 7|add:7 }}{% now 'Y' %}",
    "' OR 1=1 --",
    "a" * 501,
    "a" * 4001,
]
any_text = st.one_of(st.text(max_size=40), st.sampled_from(SPECIAL_TEXT))
prose = st.sampled_from(
    [
        "Zoë is in school by 8:50 every day for six weeks.",
        'Ms O\'Brien keeps "bedtime" at 8pm & reads together.',
        "Nguyễn family: <b>dad</b> sorts the rent.",
        XSS,
        '"><img src=x onerror=alert(1)>',
        "Line one\r\nLine two\n\tindented",
    ]
)
scale = st.one_of(
    st.integers(min_value=0, max_value=10).map(str),
    st.sampled_from(["", "-1", "11", "5.5", "1e1", "ten", "٣", "\x00", "99999999999999999999", " 7 "]),
)
pk_garbage = st.sampled_from(["", "0", "-1", "1.5", "abc", "\x00", "99999999999999999999999", "1 OR 1=1"])
date_part = st.one_of(
    st.integers(min_value=-5, max_value=10_000).map(str),
    st.sampled_from(["", "0", "00", "29", "02", "0001", "9999", "٢٠", "9" * 30, "\x00"]),
)


def hostile(valid: dict, replacements: dict):
    """The valid post with some of its fields swapped for hostile values."""
    keys = sorted(replacements)
    return st.fixed_dictionaries({}, optional={k: replacements[k] for k in keys}).map(lambda bad: {**valid, **bad})


def date_fields(prefix: str, day) -> dict:
    return {f"{prefix}_0": str(day.day), f"{prefix}_1": str(day.month), f"{prefix}_2": str(day.year)}


def date_attacks(prefix: str) -> dict:
    return {f"{prefix}_{part}": date_part for part in range(3)}


def check_response(response, saved: bool) -> str:
    page = response.content.decode()
    assert response.status_code in (200, 302), response.status_code
    if response.status_code == 200:
        assert ERROR_SUMMARY in page
        assert not saved
    assert XSS not in page
    return page


@pytest.fixture
def world(cfs_worker_user, own_family):
    episode = make_episode(own_family, cfs_worker_user)
    child = FamilyMemberFactory(family=own_family).person
    plan = FamilyPlanFactory(episode=episode, family=own_family)
    goal = GoalFactory(plan=plan)
    action = ActionFactory(plan=plan, owner_user=cfs_worker_user)
    return {"episode": episode, "plan": plan, "goal": goal, "action": action, "child": child}


def _plan_page_escapes(client, plan) -> None:
    page = client.get(reverse("cases:plan_detail", kwargs={"uuid": plan.uuid})).content.decode()
    assert XSS not in page


# ------------------------------------------------------------------ goals


def test_goal_forms_never_fail_and_escape(cfs_worker_client, world):
    plan, goal, child = world["plan"], world["goal"], world["child"]
    valid = {"text": "Zoë sleeps by 9pm", "person": str(child.pk), "need": "", "baseline": "2", "target": "8"}
    attacks = {"text": st.one_of(any_text, prose), "person": pk_garbage, "need": pk_garbage, "baseline": scale}
    attacks["target"] = scale

    @fuzz
    @given(post=hostile(valid, attacks))
    def add(post):
        before = Goal.objects.count()
        response = cfs_worker_client.post(reverse("cases:goal_add", kwargs={"uuid": plan.uuid}), post)
        saved = Goal.objects.count() > before
        event("saved" if saved else "refused")
        check_response(response, saved)
        if saved:
            new = Goal.objects.latest("id")
            assert new.target > new.baseline
            assert new.text == new.text.strip() and new.text

    @fuzz
    @given(post=hostile(valid | {"status": "open"}, attacks | {"status": any_text, "lock_version": pk_garbage}))
    def edit(post):
        current = Goal.objects.get(pk=goal.pk)
        post = {"lock_version": str(current.lock_version), **post}
        response = cfs_worker_client.post(reverse("cases:goal_edit", kwargs={"uuid": goal.uuid}), post)
        after = Goal.objects.get(pk=goal.pk)
        check_response(response, after.lock_version != current.lock_version)
        assert after.target > after.baseline

    add()
    edit()
    _plan_page_escapes(cfs_worker_client, plan)


def test_goal_score_form_never_fails_and_refuses_the_future(cfs_worker_client, world):
    goal = world["goal"]
    today = timezone.localdate()
    valid = {"score": "6", "comment": "Calmer mornings", **date_fields("scored_on", today)}
    attacks = {"score": scale, "comment": st.one_of(any_text, prose), **date_attacks("scored_on")}

    @fuzz
    @given(post=hostile(valid, attacks))
    def score(post):
        before = GoalScore.objects.count()
        response = cfs_worker_client.post(reverse("cases:goal_score", kwargs={"uuid": goal.uuid}), post)
        saved = GoalScore.objects.count() > before
        check_response(response, saved)
        if saved:
            record = GoalScore.objects.latest("id")
            assert 0 <= record.score <= 10 and record.scored_on <= today

    score()
    page = cfs_worker_client.get(reverse("cases:goal_score", kwargs={"uuid": goal.uuid})).content.decode()
    assert XSS not in page
    _plan_page_escapes(cfs_worker_client, world["plan"])


# ------------------------------------------------------------------ actions


def test_action_forms_never_fail_and_keep_one_owner_and_a_due_date(cfs_worker_client, cfs_worker_user, world):
    plan, action, child = world["plan"], world["action"], world["child"]
    agency = AgencyFactory()
    due = timezone.localdate() + timedelta(days=7)
    valid = {
        "what": "Call the school",
        "goal": str(world["goal"].pk),
        "owner_kind": "agency",
        "owner_agency": str(agency.pk),
        **date_fields("due_on", due),
    }
    attacks = {
        "what": st.one_of(any_text, prose),
        "goal": pk_garbage,
        "owner_kind": st.sampled_from(["user", "agency", "person", "", "robot", "\x00"]),
        "owner_user": st.one_of(pk_garbage, st.just(str(cfs_worker_user.pk))),
        "owner_agency": pk_garbage,
        "owner_person": st.one_of(pk_garbage, st.just(str(child.pk))),
        **date_attacks("due_on"),
    }

    def check_saved(record: Action) -> None:
        assert sum(o is not None for o in (record.owner_user_id, record.owner_agency_id, record.owner_person_id)) == 1
        assert record.due_on is not None and record.what

    @fuzz
    @given(post=hostile(valid, attacks))
    def add(post):
        before = Action.objects.count()
        response = cfs_worker_client.post(reverse("cases:action_add", kwargs={"uuid": plan.uuid}), post)
        saved = Action.objects.count() > before
        event("saved" if saved else "refused")
        check_response(response, saved)
        if saved:
            check_saved(Action.objects.latest("id"))

    @fuzz
    @given(
        post=hostile(
            valid | {"status": "in_progress"},
            attacks | {"status": st.sampled_from([*Action.Status.values, "", "lost"]), "lock_version": pk_garbage},
        )
    )
    def edit(post):
        current = Action.objects.get(pk=action.pk)
        post = {"lock_version": str(current.lock_version), **post}
        response = cfs_worker_client.post(reverse("cases:action_edit", kwargs={"uuid": action.uuid}), post)
        after = Action.objects.get(pk=action.pk)
        check_response(response, after.lock_version != current.lock_version)
        check_saved(after)
        assert (after.completed_on is not None) == (after.status == Action.Status.DONE)

    add()
    edit()
    _plan_page_escapes(cfs_worker_client, plan)


# ------------------------------------------------------------------ starting a plan


def test_plan_new_form_never_fails_and_needs_a_target_for_each_goal(cfs_worker_client, cfs_worker_user, own_family):
    episode = make_episode(own_family, cfs_worker_user)
    child = FamilyMemberFactory(family=own_family).person
    assessment = make_assessment(own_family)
    NeedFactory(assessment=assessment, person=child)
    NeedFactory(assessment=assessment, person=None, headline="financial")
    valid = {
        "summary": "Calm mornings",
        "goal_1_include": "on",
        "goal_1_text": "In school by 8:50",
        "goal_1_baseline": "3",
        "goal_1_target": "8",
    }
    attacks = {"summary": st.one_of(any_text, prose)}
    for number in (1, 2):
        attacks |= {
            f"goal_{number}_include": st.sampled_from(["", "on", "false", "\x00"]),
            f"goal_{number}_text": st.one_of(any_text, prose),
            f"goal_{number}_baseline": scale,
            f"goal_{number}_target": scale,
        }

    @fuzz
    @given(post=hostile(valid, attacks))
    def start(post):
        response = cfs_worker_client.post(reverse("cases:plan_new", kwargs={"uuid": episode.uuid}), post)
        plan = FamilyPlan.objects.filter(episode=episode).first()
        check_response(response, plan is not None)
        if plan is not None:
            assert all(g.target > g.baseline and g.text for g in plan.goals.all())
            _plan_page_escapes(cfs_worker_client, plan)
            plan.delete()  # the next example starts again from no plan

    start()
