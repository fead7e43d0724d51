"""Each indicator on a small hand-built month (March 2025) whose right answer is worked out by hand: records in
February and April never count, a Hob Moor record counts for Hob Moor and the city only, and compute() runs in the
same number of queries however many families there are."""

from datetime import date, timedelta

import pytest

from cases.models import Closure, Episode, FamilyPlan, Goal, GoalScore, TafMeeting, TafMember
from locality.models import Agency
from referrals.models import MashDecision
from reporting.indicators import CITY, INDICATORS, Figure, compute, figure_for, value
from reporting.models import CaseAudit
from tests.factories import EpisodeFactory
from tests.reporting import indicator_data as data
from tests.reporting.indicator_data import APR_1, FEB_28, MARCH, at, mar

pytestmark = pytest.mark.django_db

SCHOOL, HEALTH, POLICE = Agency.Type.SCHOOL, Agency.Type.HEALTH, Agency.Type.POLICE


@pytest.fixture
def tang(lats):
    return lats["tang-hall"]


@pytest.fixture
def hob(lats):
    return lats["hob-moor"]


def figures(code):
    return INDICATORS[code].compute(MARCH)


def rate(numerator, denominator, **breakdown):
    return Figure(numerator=numerator, denominator=denominator, breakdown=breakdown)


def count(numerator, **breakdown):
    return Figure(numerator=numerator, breakdown=breakdown)


def test_indicators_registry_has_a_to_l_and_the_extras_each_with_words():
    assert list(INDICATORS) == [
        *"abcdefghijkl",
        "mash_in_time",
        "assessment_in_time",
        "reviews_on_time",
        "intervention_length",
        "step_up_rate",
        "step_down_rate",
    ]
    for indicator in INDICATORS.values():
        assert indicator.title and "month" in indicator.definition and "Local Area Team" in indicator.definition
        assert indicator.unit in ("count", "percent", "average")


def test_indicator_a_counts_families_with_an_agreed_plan_and_a_team_from_two_agencies(tang, hob, lats):
    data.multi_agency_episode(tang)  # open all month: counts
    closed_in_march = data.closed_episode(tang, closed=mar(15))
    data.agreed_plan(closed_in_march, agreed=date(2025, 2, 1))
    data.taf_members(closed_in_march, SCHOOL, POLICE)  # open for half the month: counts
    single = data.episode(tang)
    data.agreed_plan(single, agreed=date(2025, 2, 1))
    data.taf_members(single, SCHOOL, SCHOOL)  # two members, one agency
    closed_before = data.closed_episode(tang, closed=FEB_28)
    data.agreed_plan(closed_before, agreed=date(2025, 2, 1))
    data.taf_members(closed_before, SCHOOL, HEALTH)
    data.multi_agency_episode(tang, requested=APR_1, agreed=APR_1)  # requested after the month
    data.multi_agency_episode(tang, agreed=date(2025, 4, 3))  # plan agreed after the month
    left = data.episode(tang)
    data.agreed_plan(left, agreed=date(2025, 2, 1))
    data.taf_members(left, SCHOOL)
    data.taf_members(left, HEALTH, status=TafMember.Status.LEFT, left_on=date(2025, 2, 27))  # left before March
    joined_late = data.episode(tang)
    data.agreed_plan(joined_late, agreed=date(2025, 2, 1))
    data.taf_members(joined_late, SCHOOL)
    data.taf_members(joined_late, HEALTH, joined=APR_1)  # joined after March
    data.multi_agency_episode(hob)
    data.multi_agency_episode(lats["clifton"], status=Episode.Status.DECLINED)  # declined: never open

    assert figures("a") == {tang.pk: count(2), hob.pk: count(1), CITY: count(3)}


def test_indicator_a_ends_a_step_up_or_transfer_out_when_it_happened_not_at_a_later_save(tang, hob):
    stepped_up = data.step_up(tang, made=date(2025, 2, 10)).episode  # stepped up in February
    transferred = data.episode(tang, status=Episode.Status.TRANSFERRED_OUT, ended=date(2025, 2, 20))
    stepped_up_in_march = data.step_up(hob, made=mar(10)).episode  # open for part of March: counts
    for ep in (stepped_up, transferred, stepped_up_in_march):
        data.agreed_plan(ep, agreed=date(2025, 2, 1))
        data.taf_members(ep, SCHOOL, HEALTH)
    with data.on(mar(5)):  # someone corrects the February endings in March
        stepped_up.save()
        transferred.save()
    with data.on(APR_1):
        stepped_up_in_march.save()

    assert figures("a") == {hob.pk: count(1), CITY: count(1)}
    assert INDICATORS["a"].compute(MARCH.preceding()) == {tang.pk: count(2), hob.pk: count(1), CITY: count(3)}


def test_indicator_b_shares_of_a_families_whose_goals_moved_up_for_at_least_half(tang, hob):
    improving = data.multi_agency_episode(tang)
    plan = improving.plans.get()
    data.goal(plan, baseline=3, scores={mar(10): 5})  # above its baseline
    data.goal(plan, baseline=4, scores={mar(10): 4})  # not: but one of two is half
    later = data.multi_agency_episode(tang)
    data.goal(later.plans.get(), baseline=3, scores={date(2025, 4, 2): 6})  # moved only in April
    carried = data.multi_agency_episode(hob)
    old = carried.plans.get()
    first = data.goal(old, baseline=2, scores={date(2025, 2, 15): 4})
    FamilyPlan.objects.filter(pk=old.pk).update(status=FamilyPlan.Status.SUPERSEDED)
    new = data.agreed_plan(carried, agreed=mar(1), version=2)
    data.goal(new, baseline=2, carried_from=first)  # not scaled since: keeps 4 from February

    assert figures("b") == {tang.pk: rate(1, 2), hob.pk: rate(1, 1), CITY: rate(2, 3)}
    assert value(INDICATORS["b"], figures("b")[CITY]) == 66.7


def carried_twice(team, *, baseline: int, first: dict, second: dict | None = None):
    """An episode whose goal was scaled in plan version 1 (`first`), carried into version 2 (scaled `second`)
    and carried again into version 3, agreed on 1 March and not scaled since."""
    ep = data.multi_agency_episode(team)
    v1 = ep.plans.get()
    goal = data.goal(v1, baseline=baseline, scores=first)
    FamilyPlan.objects.filter(pk=v1.pk).update(status=FamilyPlan.Status.SUPERSEDED)
    v2 = data.agreed_plan(ep, agreed=date(2025, 2, 20), version=2, status=FamilyPlan.Status.SUPERSEDED)
    goal = data.goal(v2, baseline=baseline, scores=second, carried_from=goal)
    data.goal(data.agreed_plan(ep, agreed=mar(1), version=3), baseline=baseline, carried_from=goal)
    return ep


def test_indicator_b_follows_a_goal_carried_twice_back_to_its_last_scaling(tang, hob):
    carried_twice(tang, baseline=2, first={date(2025, 2, 15): 4})  # keeps 4 from version 1: progressing
    carried_twice(hob, baseline=2, first={date(2025, 2, 15): 6}, second={date(2025, 2, 25): 2})  # back to 2

    assert figures("b") == {tang.pk: rate(1, 1), hob.pk: rate(0, 1), CITY: rate(1, 2)}


def test_indicator_b_reads_the_plan_in_force_and_each_goals_latest_scaling_in_its_nearest_version(tang, hob):
    in_force = data.multi_agency_episode(tang)  # version 1 is in force all March: its goal scaled up
    v1 = in_force.plans.get()
    first = data.goal(v1, baseline=3, scores={date(2025, 2, 15): 6})
    FamilyPlan.objects.filter(pk=v1.pk).update(status=FamilyPlan.Status.SUPERSEDED)
    v2 = data.agreed_plan(in_force, agreed=date(2025, 4, 2), version=2)  # agreed only in April
    data.goal(v2, baseline=3, carried_from=first, scores={date(2025, 4, 3): 2})
    same_day = data.multi_agency_episode(tang)  # scaled twice on one day: the later record counts
    goal = data.goal(same_day.plans.get(), baseline=3)
    scorer = goal.scores.get().recorded_by
    for score in (5, 3):
        GoalScore.objects.create(goal=goal, score=score, scored_on=mar(10), recorded_by=scorer)
    nearest = data.multi_agency_episode(hob)  # the new version's own scaling, not the old one's later one
    old = nearest.plans.get()
    earlier = data.goal(old, baseline=2, scores={mar(20): 7})
    FamilyPlan.objects.filter(pk=old.pk).update(status=FamilyPlan.Status.SUPERSEDED)
    data.goal(data.agreed_plan(nearest, agreed=mar(1), version=2), baseline=2, carried_from=earlier, scores={mar(5): 2})

    assert figures("b") == {tang.pk: rate(1, 2), hob.pk: rate(0, 1), CITY: rate(1, 3)}


def test_indicator_b_stops_at_a_loop_of_carried_goals(tang):
    ep = data.multi_agency_episode(tang)
    v1 = ep.plans.get()
    first = data.goal(v1, baseline=2, scores={date(2025, 2, 20): 6})
    FamilyPlan.objects.filter(pk=v1.pk).update(status=FamilyPlan.Status.SUPERSEDED)
    second = data.goal(data.agreed_plan(ep, agreed=mar(1), version=2), baseline=2, carried_from=first)
    Goal.objects.filter(pk=first.pk).update(carried_from=second)  # bad data: each carried from the other

    assert figures("b") == {tang.pk: rate(1, 1), CITY: rate(1, 1)}


def test_indicator_c_shares_approved_closures_with_a_satisfied_family(tang, hob):
    data.closure(tang, decided=mar(5), satisfaction=5)
    data.closure(tang, decided=mar(20), satisfaction=2)
    data.closure(tang, decided=mar(21), satisfaction=None)  # the family did not say
    data.closure(tang, decided=None, satisfaction=5)  # still awaiting approval
    data.closure(tang, decided=FEB_28, satisfaction=5)
    data.closure(tang, decided=APR_1, satisfaction=4)
    data.closure(hob, decided=mar(10), satisfaction=4)

    assert figures("c") == {tang.pk: rate(1, 2), hob.pk: rate(1, 1), CITY: rate(2, 3)}


def test_indicator_d_shares_step_up_outcomes_recorded_in_the_month_ending_in_nfa(tang, hob):
    data.step_up(tang, outcome="nfa", outcome_on=mar(3))
    data.step_up(tang, outcome="cin", outcome_on=mar(9), via="contact")
    data.step_up(tang, outcome="nfa", outcome_on=FEB_28)
    data.step_up(tang, outcome="cp", outcome_on=APR_1)
    data.step_up(tang)  # no outcome yet
    data.step_up(hob, outcome="nfa", outcome_on=mar(15), via="family")
    empty = dict.fromkeys(("nfa", "cin", "cp", "looked_after", "stepped_down"), 0)

    assert figures("d") == {
        tang.pk: rate(1, 2, **empty | {"nfa": 1, "cin": 1}),
        hob.pk: rate(1, 1, **empty | {"nfa": 1}),
        CITY: rate(2, 3, **empty | {"nfa": 2, "cin": 1}),
    }


def test_indicator_e_shares_contacts_that_are_re_referrals_with_where_they_went(tang, hob):
    data.contact(tang, received=mar(2), re_referral=True, outcome=MashDecision.Outcome.SOCIAL_CARE)
    data.contact(tang, received=mar(3), re_referral=True, outcome=MashDecision.Outcome.TARGETED)
    data.contact(tang, received=mar(4), outcome=MashDecision.Outcome.TARGETED)
    data.contact(tang, received=mar(5), re_referral=True)  # not decided yet
    data.contact(tang, received=mar(6), re_referral=True, status="duplicate")
    data.contact(tang, received=FEB_28, re_referral=True)
    data.contact(tang, received=APR_1, re_referral=True)
    data.contact(hob, received=mar(10))
    data.contact(None, received=mar(11), re_referral=True, postcode="LS1 1AA")  # outside the city

    assert figures("e") == {
        tang.pk: rate(3, 4, social_care=1, targeted=1),
        hob.pk: rate(0, 1, social_care=0, targeted=0),
        CITY: rate(4, 6, social_care=1, targeted=1),
    }


def test_indicator_f_counts_families_on_cin_or_cp_plans_at_month_end(tang, hob):
    data.step_up(tang, outcome="cin", outcome_on=date(2025, 2, 10))  # still on the plan
    data.step_up(tang, outcome="cp", outcome_on=mar(5), via="contact")
    stepped_down = data.step_up(tang, outcome="cp", outcome_on=date(2025, 2, 1), via="family").family
    data.step_down(stepped_down, made=mar(20))
    ended = data.step_up(tang, outcome="cin", outcome_on=date(2025, 1, 8), via="family").family
    data.step_up(tang, outcome="nfa", outcome_on=mar(1), via="family", fam=ended)  # the latest outcome
    data.step_up(tang, outcome="cp", outcome_on=date(2025, 4, 2))
    down_later = data.step_up(tang, outcome="cin", outcome_on=date(2025, 1, 5), via="family").family
    data.step_down(down_later, made=date(2025, 4, 3))  # still on the plan at the end of March
    data.step_up(hob, outcome="cin", outcome_on=mar(8))

    assert figures("f") == {
        tang.pk: count(3, cin=2, cp=1),
        hob.pk: count(1, cin=1, cp=0),
        CITY: count(4, cin=3, cp=1),
    }


def test_indicator_g_counts_decisions_for_targeted_early_help_by_the_team_given(tang, hob):
    data.contact(tang, received=mar(2), outcome=MashDecision.Outcome.TARGETED)
    data.contact(tang, received=mar(3), outcome=MashDecision.Outcome.NO_FURTHER_ACTION)
    data.contact(tang, received=date(2025, 2, 27), outcome=MashDecision.Outcome.TARGETED)
    data.contact(tang, received=APR_1, outcome=MashDecision.Outcome.TARGETED)
    data.contact(hob, received=mar(9), outcome=MashDecision.Outcome.TARGETED)

    assert figures("g") == {tang.pk: count(1), hob.pk: count(1), CITY: count(2)}


def test_indicator_h_counts_partner_assessments_and_meetings_on_partner_led_episodes(tang, hob):
    data.assessment(tang, started=mar(1), completed=mar(10), organisation_type=SCHOOL)
    data.assessment(tang, started=mar(1), completed=mar(10), organisation_type=Agency.Type.LOCAL_AUTHORITY)
    data.assessment(tang, started=mar(1), completed=mar(10))  # no organisation recorded
    data.assessment(tang, started=date(2025, 2, 1), completed=FEB_28, organisation_type=SCHOOL)
    data.assessment(tang, started=mar(1), completed=APR_1, organisation_type=SCHOOL)
    data.assessment(hob, started=mar(1), completed=mar(12), organisation_type=HEALTH)
    partner_led = data.episode(tang, pathway=Episode.Pathway.PARTNER_LED)
    data.meeting(partner_led, held=mar(4))
    data.meeting(partner_led, held=FEB_28)
    data.meeting(partner_led, held=APR_1)
    data.meeting(partner_led, due=mar(20))  # planned, not held
    data.meeting(data.episode(tang), held=mar(5))  # targeted early help
    data.meeting(data.episode(hob, pathway=Episode.Pathway.PARTNER_LED), kind=TafMeeting.Kind.INITIAL, held=mar(6))

    assert figures("h") == {
        tang.pk: count(2, assessments=1, meetings=1),
        hob.pk: count(2, assessments=1, meetings=1),
        CITY: count(4, assessments=2, meetings=2),
    }


def test_indicators_i_and_j_share_audits_of_each_kind_graded_good(tang, hob):
    plan, direct = CaseAudit.Kind.ASSESSMENT_PLAN, CaseAudit.Kind.DIRECT_WORK
    good, improve, inadequate = CaseAudit.Grade.GOOD, CaseAudit.Grade.REQUIRES_IMPROVEMENT, CaseAudit.Grade.INADEQUATE
    data.audit(tang, kind=plan, grade=good, audited=mar(3))
    data.audit(tang, kind=plan, grade=improve, audited=mar(31))
    data.audit(tang, kind=direct, grade=good, audited=mar(1))
    data.audit(tang, kind=plan, grade=good, audited=FEB_28)
    data.audit(tang, kind=plan, grade=good, audited=APR_1)
    data.audit(hob, kind=plan, grade=good, audited=mar(8))
    data.audit(hob, kind=direct, grade=inadequate, audited=mar(9))

    assert figures("i") == {tang.pk: rate(1, 2), hob.pk: rate(1, 1), CITY: rate(2, 3)}
    assert figures("j") == {tang.pk: rate(1, 1), hob.pk: rate(0, 1), CITY: rate(1, 2)}


def test_indicator_k_counts_each_practitioner_trained_in_parental_conflict_once(tang, hob):
    data.trained("ann@example.org", tang, course="parental_conflict", completed=mar(3))
    data.trained("Ann@Example.org", tang, course="parental_conflict", completed=mar(17))  # the same person
    data.trained("bob@example.org", tang, course="parental_conflict", completed=mar(4))
    data.trained("bob@example.org", hob, course="parental_conflict", completed=mar(20))  # counts for each team
    data.trained("cat@example.org", hob, course="parental_conflict", completed=mar(5))
    data.trained("dan@example.org", None, course="parental_conflict", completed=mar(6))  # a city-wide service
    data.trained("eve@example.org", tang, course="parental_conflict", completed=FEB_28)
    data.trained("fay@example.org", tang, course="parental_conflict", completed=APR_1)
    data.trained("gus@example.org", tang, course="neglect", completed=mar(7))

    assert figures("k") == {tang.pk: count(2), hob.pk: count(2), CITY: count(4)}


def test_indicator_l_counts_practitioners_trained_in_the_early_help_courses(tang, hob):
    data.trained("ann@example.org", tang, course="neglect", completed=mar(3))
    data.trained("ann@example.org", tang, course="domestic_abuse", completed=mar(10))
    data.trained("bob@example.org", hob, course="mental_health", completed=mar(4))
    data.trained("cat@example.org", tang, course="parental_conflict", completed=mar(5))
    data.trained("dan@example.org", tang, course="other", completed=mar(5))
    data.trained("eve@example.org", tang, course="neglect", completed=FEB_28)
    data.trained("fay@example.org", tang, course="neglect", completed=APR_1)

    assert figures("l") == {
        tang.pk: count(1, neglect=1, domestic_abuse=1, mental_health=0),
        hob.pk: count(1, neglect=0, domestic_abuse=0, mental_health=1),
        CITY: count(2, neglect=1, domestic_abuse=1, mental_health=1),
    }


def test_mash_in_time_shares_decisions_made_by_the_due_time(tang, hob):
    on_time = data.contact(tang, received=mar(3))
    data.decide(on_time, outcome=MashDecision.Outcome.TARGETED, decided=at(mar(4), 9))
    late = data.contact(tang, received=mar(3))  # no team on the decision: the contact's team
    data.decide(late, outcome=MashDecision.Outcome.NO_FURTHER_ACTION, decided=at(mar(4), 18))
    data.contact(tang, received=FEB_28, outcome=MashDecision.Outcome.TARGETED)  # decided in February
    before_april = data.contact(tang, received=mar(31))
    data.decide(before_april, outcome=MashDecision.Outcome.TARGETED, decided=at(APR_1, 9))
    data.contact(hob, received=mar(10), outcome=MashDecision.Outcome.SIGNPOSTING)
    data.contact(None, received=mar(11), outcome=MashDecision.Outcome.ANOTHER_AUTHORITY, postcode="LS1 1AA")

    assert figures("mash_in_time") == {tang.pk: rate(1, 2), hob.pk: rate(1, 1), CITY: rate(3, 4)}


def test_assessment_in_time_shares_assessments_completed_within_45_days_of_starting(tang, hob):
    data.assessment(tang, started=date(2025, 1, 20), completed=mar(5))  # 44 days
    data.assessment(tang, started=date(2025, 1, 15), completed=mar(1))  # 45 days: still in time
    data.assessment(tang, started=date(2025, 1, 1), completed=mar(1))  # 59 days
    data.assessment(tang, started=date(2025, 2, 1), completed=FEB_28)
    data.assessment(tang, started=mar(1), completed=APR_1)
    data.assessment(tang, started=mar(1), completed=None)
    data.assessment(hob, started=mar(1), completed=mar(31))

    assert figures("assessment_in_time") == {tang.pk: rate(2, 3), hob.pk: rate(1, 1), CITY: rate(3, 4)}


def test_reviews_on_time_shares_reviews_due_in_the_month_held_by_their_due_date(tang, hob):
    ep = data.episode(tang)
    data.meeting(ep, due=mar(10), held=mar(9))
    data.meeting(ep, due=mar(12), held=mar(14))
    data.meeting(ep, due=mar(20))  # not held yet: late
    data.meeting(ep, due=mar(25), status=TafMeeting.Status.CANCELLED)
    data.meeting(ep, due=FEB_28, held=FEB_28)
    data.meeting(ep, due=APR_1, held=mar(30))
    data.meeting(ep, kind=TafMeeting.Kind.INITIAL, due=mar(5), held=mar(5))
    data.meeting(data.episode(hob), due=mar(15), held=mar(15))

    assert figures("reviews_on_time") == {tang.pk: rate(1, 3), hob.pk: rate(1, 1), CITY: rate(2, 4)}


def test_reviews_on_time_in_the_month_in_progress_counts_only_reviews_due_by_today(tang, hob):
    ep = data.episode(tang)
    data.meeting(ep, due=mar(10), held=mar(9))
    data.meeting(ep, due=mar(12))  # overdue: late
    data.meeting(ep, due=mar(15), held=mar(15))  # due today and held
    data.meeting(ep, due=mar(20))  # not due yet: not counted
    data.meeting(data.episode(hob), due=mar(28))  # not due yet

    with data.on(mar(15)):
        assert figures("reviews_on_time") == {tang.pk: rate(2, 3), CITY: rate(2, 3)}
    with data.on(APR_1):  # the month over, every review due in it counts
        assert figures("reviews_on_time") == {tang.pk: rate(2, 4), hob.pk: rate(0, 1), CITY: rate(2, 5)}


def test_intervention_length_averages_the_days_of_interventions_ended_in_the_month(tang, hob):
    data.intervention(tang, started=date(2025, 1, 27), ended=mar(10))  # 42 days
    data.intervention(tang, started=mar(6), ended=mar(20), status="ended_early")  # 14 days
    data.intervention(tang, started=mar(6), ended=None, status="active")
    data.intervention(tang, started=date(2025, 1, 1), ended=FEB_28)
    data.intervention(tang, started=date(2025, 2, 1), ended=APR_1)
    data.intervention(hob, started=date(2025, 1, 6), ended=mar(31))  # 84 days

    result = figures("intervention_length")
    assert result == {tang.pk: rate(56, 2), hob.pk: rate(84, 1), CITY: rate(140, 3)}
    assert [value(INDICATORS["intervention_length"], result[key]) for key in (tang.pk, CITY)] == [28.0, 46.7]


def test_step_up_rate_shares_episodes_ended_in_the_month_by_a_step_up(tang, hob):
    data.step_up(tang, made=mar(4))  # from an episode
    data.closure(tang, decided=mar(10), satisfaction=None)
    data.closure(tang, decided=mar(12), satisfaction=None, reason=Closure.Reason.STEPPED_UP)
    data.step_up(tang, made=mar(6), via="contact")  # from the MASH: no episode ended
    data.step_up(tang, made=FEB_28)
    data.closure(tang, decided=APR_1, satisfaction=None)
    data.closure(hob, decided=mar(5), satisfaction=None)

    assert figures("step_up_rate") == {tang.pk: rate(2, 3), hob.pk: rate(0, 1), CITY: rate(2, 4)}


def test_step_down_rate_shares_episodes_requested_in_the_month_that_came_from_social_care(tang, hob):
    data.episode(tang, requested=mar(3), route=Episode.Route.STEP_DOWN)
    data.episode(tang, requested=mar(4), route=Episode.Route.MASH)
    data.episode(tang, requested=mar(5), route=Episode.Route.PARTNER, status=Episode.Status.DECLINED)
    data.episode(tang, requested=FEB_28, route=Episode.Route.STEP_DOWN)
    data.episode(tang, requested=APR_1, route=Episode.Route.STEP_DOWN)
    EpisodeFactory(family=data.family(hob), local_area_team=hob, requested_at=at(mar(31), 23))

    assert figures("step_down_rate") == {tang.pk: rate(1, 3), hob.pk: rate(0, 1), CITY: rate(1, 4)}


def test_figure_for_reads_a_team_without_records_as_empty(tang, hob):
    data.contact(tang, received=mar(2), outcome=MashDecision.Outcome.TARGETED)

    assert figure_for(figures("g"), hob.pk) == Figure()
    assert value(INDICATORS["c"], figure_for(figures("c"), hob.pk)) is None


QUERIES_PER_MONTH = 40  # two per indicator (by team, then the city), four for h and step_up_rate


def test_compute_runs_in_the_same_number_of_queries_for_2_and_20_families(tang, hob, django_assert_num_queries):
    for n in range(2):
        data.family_with_everything(tang if n % 2 else hob, n=n)
    with django_assert_num_queries(QUERIES_PER_MONTH):
        few = compute(MARCH)
    for n in range(2, 20):
        data.family_with_everything(tang if n % 2 else hob, n=n)
    with django_assert_num_queries(QUERIES_PER_MONTH):
        many = compute(MARCH)

    assert set(few) == set(many) == set(INDICATORS)
    assert few["a"][CITY] == count(2) and many["a"][CITY] == count(20)
    assert many["a"][tang.pk] == count(10) and many["k"][CITY] == count(20)
    assert all(many[code][CITY] != Figure() for code in INDICATORS), "every indicator has a figure in the data"


def test_compute_runs_only_the_indicators_asked_for(tang):
    assert list(compute(MARCH, ["g", "a"])) == ["a", "g"]
    assert compute(MARCH.following(), ["g"]) == {"g": {CITY: count(0)}}
    assert MARCH.following().start - timedelta(days=1) == MARCH.end
