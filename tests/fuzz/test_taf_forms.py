"""Bad input through the Team Around the Family's forms, posted to the real views as a Child and Family Support
worker: inviting a practitioner, planning a meeting and recording it.

Hypothesis builds a plausible post for each form, then swaps a few fields for something hostile: markup, quotes,
names such as O'Brien, Zoë and Nguyễn, NUL, very long text, made-up choices and primary keys, scores off the
0 to 10 scale, and impossible or far-off dates. Whatever arrives, the page answers with the form again (200, a GOV.UK
error summary naming every problem, nothing saved) or a redirect after a save; never a server error. What was
saved is shown escaped, and the issue's rules hold: no invite outside consent, no meeting held in the future, every
open goal scaled, a next review after the meeting unless it decided to close or step up.
"""

import os
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.text import normalize_newlines
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

from cases.models import Episode, GoalScore, TafAttendance, TafMeeting, TafMember
from cases.services.taf import meeting_cancel, taf_member_remove
from consent.models import ConsentRecord, DisclosureLog
from earlyhelp.core import perms
from locality.models import Agency
from tests.conftest import _persona
from tests.factories import (
    AgencyFactory,
    AllocatedEpisodeFactory,
    ConsentRecordFactory,
    ConsentShareFactory,
    FamilyMemberFactory,
    FamilyPlanFactory,
    GoalFactory,
    PersonFactory,
    TafMeetingFactory,
    TafMemberFactory,
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
    "a" * 151,
    "a" * 8001,
]
any_text = st.one_of(st.text(max_size=40), st.sampled_from(SPECIAL_TEXT))
prose = st.sampled_from(
    [
        "Mornings are calmer and Zoë is in school by 8:50.",
        'Mum (Ms O\'Brien) said "bedtimes" are still hard & asked for help.',
        "Nguyễn family: <b>dad</b> works nights.",
        XSS,
        "Line one\r\nLine two\n\tindented",
    ]
)
pk_garbage = st.sampled_from(["", "0", "-1", "1.5", "abc", "\x00", "99999999999999999999999", "1 OR 1=1"])


def choice_input(values) -> st.SearchStrategy[str]:
    """A real choice most of the time; otherwise blank, NUL, a near miss or any text."""
    values = [str(v) for v in values]
    return st.one_of(
        st.sampled_from(values), st.sampled_from(["", "\x00", values[0].upper(), f" {values[0]}"]), any_text
    )


def _parts(day: date) -> tuple[str, str, str]:
    return str(day.day), str(day.month), str(day.year)


ODD_DATES = [("29", "2", "2027"), ("29", "2", "2028"), ("31", "4", "2026"), ("1", "1", "1"), ("31", "12", "9999")]
ODD_DATES += [("0", "0", "0"), ("32", "13", "2026"), ("", "6", "2026"), ("1e3", "\x00", "٢٠٢٦")]


def date_input(*, low: int, high: int) -> st.SearchStrategy[tuple[str, str, str]]:
    """A real date `low` to `high` days from today (drawn when the example runs), or an odd or broken one."""
    near = st.integers(min_value=low, max_value=high).map(lambda n: _parts(timezone.localdate() + timedelta(days=n)))
    return st.one_of(near, near, st.sampled_from(ODD_DATES))


@st.composite
def _post(draw, plain: dict, bad: dict, max_swaps: int = 3) -> dict:
    data = {name: draw(strategy) for name, strategy in plain.items()}
    for name in draw(st.sets(st.sampled_from(sorted(bad)), max_size=max_swaps)):
        data[name] = draw(bad[name])
    return data


invite_post = _post(
    {
        "practitioner": st.sampled_from(["PARTNER", "PARTNER", "OUTSIDER", "COLLEAGUE"]),
        "role": st.sampled_from(["Class teacher", "School nurse", "O'Brien's key worker", XSS]),
    },
    {
        "practitioner": st.one_of(st.sampled_from(["SCREENER", "LEAD", "OUTSIDER"]), pk_garbage),
        "role": any_text,
    },
)
plan_post = _post(
    {"kind": st.sampled_from(TafMeeting.Kind.values), "due_on": date_input(low=-10, high=120)},
    {"kind": choice_input(TafMeeting.Kind.values), "due_on": date_input(low=-4000, high=4000)},
)
ATTENDANCE = list(TafAttendance.Attended.values)
SCORES = [str(n) for n in range(11)]


@st.composite
def record_post(draw) -> dict:
    """A meeting recorded: the tokens PRACTITIONER_n, PERSON_n and GOAL_n name the fields the form asks for."""
    decision = draw(st.sampled_from(TafMeeting.Decision.values))
    held = draw(st.integers(min_value=-60, max_value=0))
    plain = {
        "held_on": st.just(_parts(timezone.localdate() + timedelta(days=held))),
        "PRACTITIONER_0": st.sampled_from(ATTENDANCE),
        "PRACTITIONER_1": st.sampled_from(ATTENDANCE),
        "PERSON_0": st.sampled_from(ATTENDANCE),
        "GOAL_0": st.sampled_from(SCORES),
        "GOAL_1": st.sampled_from(SCORES),
        "family_present": st.sampled_from(["", "on"]),
        "others": st.sampled_from(["", "Gran Smith", "Zoë O'Brien\r\nAn interpreter", XSS]),
        "result": st.sampled_from(TafMeeting.Result.values),
        "decision": st.just(decision),
        "notes": prose,
        "next_review_due": st.just(_parts(timezone.localdate() + timedelta(days=held + 42))),
    }
    bad = {
        "held_on": date_input(low=-4000, high=400),
        "PRACTITIONER_0": choice_input(ATTENDANCE),
        "PERSON_0": choice_input(ATTENDANCE),
        "GOAL_0": st.one_of(choice_input(SCORES), st.sampled_from(["11", "-1", "5.5", "10 ", "\u0661"])),
        "family_present": st.sampled_from(["true", "false", "0", "\x00"]),
        "others": st.one_of(any_text, st.just("\n".join(["Someone"] * 25)), st.just("x" * 200)),
        "result": choice_input(TafMeeting.Result.values),
        "decision": choice_input(TafMeeting.Decision.values),
        "notes": any_text,
        "next_review_due": st.one_of(date_input(low=-4000, high=4000), st.just(("", "", ""))),
    }
    return draw(_post(plain, bad, max_swaps=4))


# ---------------------------------------------------------------------------------------------
# The world and helpers
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def team(lats, council, own_family, cfs_worker_user, partner_user, mash_screener_user):
    """A Tang Hall episode led by the worker, consent to share with schools (not the police), a partner in the team,
    two family members, and an agreed plan with two open goals."""
    episode = AllocatedEpisodeFactory(
        family=own_family,
        lead_practitioner=cfs_worker_user,
        requested_at=timezone.now() - timedelta(days=400),
    )
    consent = ConsentRecordFactory(family=own_family, status=ConsentRecord.Status.GIVEN)
    ConsentShareFactory(consent=consent, agency=None, agency_type=Agency.Type.SCHOOL)
    police = AgencyFactory(name="Fuzz Police", type=Agency.Type.POLICE)
    outsider = _persona(perms.PARTNER_PRACTITIONER, agency=police, name="Olu O'Officer")
    colleague = _persona(perms.LEAD_PRACTITIONER, lat=lats["tang-hall"], agency=council, name="Zoë Colleague")
    nurse = _persona(perms.PARTNER_PRACTITIONER, agency=partner_user.agency, name="Nguyễn Nurse")
    TafMemberFactory(episode=episode, family=own_family, user=nurse, agency=nurse.agency)
    mother = FamilyMemberFactory(family=own_family, person=PersonFactory(first_name="Siobhán", last_name="O'Brien"))
    plan = FamilyPlanFactory(episode=episode, family=own_family, status="agreed", created_by=cfs_worker_user)
    goals = [GoalFactory(plan=plan, position=1), GoalFactory(plan=plan, text="Bedtime by 8 <pm> every night")]
    tokens = {
        "PARTNER": partner_user.pk,
        "OUTSIDER": outsider.pk,
        "COLLEAGUE": colleague.pk,
        "SCREENER": mash_screener_user.pk,
        "LEAD": cfs_worker_user.pk,
    }
    fields = {
        "PRACTITIONER_0": f"practitioner_{cfs_worker_user.pk}",
        "PRACTITIONER_1": f"practitioner_{nurse.pk}",
        "PERSON_0": f"person_{mother.person.pk}",
        "GOAL_0": f"goal_{goals[0].pk}",
        "GOAL_1": f"goal_{goals[1].pk}",
    }
    return {"episode": episode, "tokens": tokens, "fields": fields, "goals": goals, "outsider": outsider}


def _resolve(data: dict, team: dict) -> dict:
    """Swap tokens for primary keys and field names, and spread (day, month, year) over a date's three inputs."""
    resolved = {}
    for key, value in data.items():
        key = team["fields"].get(key, key)
        if isinstance(value, tuple):
            resolved |= {f"{key}_{i}": part for i, part in enumerate(value)}
        else:
            resolved[key] = str(team["tokens"].get(value, value))
    return resolved


def _counts() -> dict[str, int]:
    models = (TafMember, TafMeeting, TafAttendance, GoalScore, DisclosureLog)
    return {model.__name__: model.objects.count() for model in models} | {
        "held": TafMeeting.objects.filter(status="held").count(),
        "active": TafMember.objects.filter(status="active").count(),
    }


def assert_refused_with_summary(response) -> None:
    """A refused form: 200, a GOV.UK error summary, and every error's message on the page."""
    assert response.status_code == 200, f"status {response.status_code}"
    html = response.content.decode()
    assert ERROR_SUMMARY in html
    form = response.context["form"]
    assert form.errors, "a 200 after a POST must be a form with errors"
    if currently_in_test_context():
        event(f"refused: {', '.join(sorted(form.errors))}")
    for messages in form.errors.values():
        for message in messages:
            assert escape(message) in html, f"error not shown: {message!r}"


def assert_shown_escaped(html: str, value: str) -> None:
    assert escape(value) in html, f"not shown: {value[:80]!r}"
    if "<" in value and len(value) >= 8:
        assert value not in html, f"shown unescaped: {value[:80]!r}"


# ---------------------------------------------------------------------------------------------
# The forms
# ---------------------------------------------------------------------------------------------


@fuzz
@given(data=invite_post)
def test_taf_invite_never_errors_on_arbitrary_input(team, cfs_worker_client, cfs_worker_user, data):
    episode = team["episode"]
    before = _counts()
    response = cfs_worker_client.post(reverse("cases:taf_invite", kwargs={"uuid": episode.uuid}), _resolve(data, team))
    assert response.status_code in (200, 302), f"status {response.status_code}"
    if response.status_code == 200:
        assert_refused_with_summary(response)
        assert _counts() == before
        if data["practitioner"] == "OUTSIDER" and response.context["form"].errors.keys() == {"practitioner"}:
            assert "consent does not cover sharing with Fuzz Police (police)" in response.content.decode()
        return
    event("invited")
    member = TafMember.objects.filter(status="active").latest("id")
    assert member.user != team["outsider"]
    assert _counts()["active"] == before["active"] + 1
    page = cfs_worker_client.get(reverse("cases:taf", kwargs={"uuid": episode.uuid}))
    assert_shown_escaped(page.content.decode(), member.role)
    taf_member_remove(user=cfs_worker_user, member=member)  # so the next example can invite them again


@fuzz
@given(data=plan_post)
def test_meeting_new_never_errors_on_arbitrary_input(team, cfs_worker_client, cfs_worker_user, data):
    episode = team["episode"]
    before = _counts()
    response = cfs_worker_client.post(reverse("cases:meeting_new", kwargs={"uuid": episode.uuid}), _resolve(data, team))
    assert response.status_code in (200, 302), f"status {response.status_code}"
    if response.status_code == 200:
        assert_refused_with_summary(response)
        assert _counts() == before
        return
    event("planned")
    meeting = TafMeeting.objects.latest("id")
    assert meeting.status == TafMeeting.Status.PLANNED and meeting.due_on is not None
    assert cfs_worker_client.get(response["Location"]).status_code == 200
    meeting_cancel(user=cfs_worker_user, meeting=meeting)  # so the next example can plan the same kind again
    episode.refresh_from_db()
    assert episode.status == Episode.Status.PLAN_ACTIVE


@fuzz
@given(data=record_post())
def test_meeting_record_never_errors_on_arbitrary_input(team, cfs_worker_client, data):
    meeting = TafMeetingFactory(episode=team["episode"], kind=TafMeeting.Kind.REVIEW)
    before = _counts()
    response = cfs_worker_client.post(
        reverse("cases:meeting_record", kwargs={"uuid": meeting.uuid}), _resolve(data, team)
    )
    assert response.status_code in (200, 302), f"status {response.status_code}"
    if response.status_code == 200:
        assert_refused_with_summary(response)
        assert _counts() == before
        return
    event(f"recorded: {data['decision']}")
    meeting.refresh_from_db()
    assert meeting.status == TafMeeting.Status.HELD
    assert meeting.held_on <= timezone.localdate()
    if meeting.decision in (TafMeeting.Decision.CLOSE, TafMeeting.Decision.STEP_UP):
        assert meeting.next_review_due is None
    else:
        assert meeting.next_review_due > meeting.held_on
    scores = GoalScore.objects.filter(meeting=meeting)
    assert sorted(s.goal_id for s in scores) == sorted(g.pk for g in team["goals"])
    assert all(0 <= s.score <= 10 for s in scores)
    assert TafAttendance.objects.filter(meeting=meeting, user__isnull=False).count() == 2
    html = cfs_worker_client.get(response["Location"]).content.decode()
    assert_shown_escaped(html, normalize_newlines(meeting.notes).split("\n")[0])
    for row in TafAttendance.objects.filter(meeting=meeting, name__gt=""):
        assert_shown_escaped(html, row.name)
    assert_shown_escaped(html, "Bedtime by 8 <pm> every night")


def test_taf_fuzz_world_refuses_the_police_outside_consent(team, cfs_worker_client):
    """The rule the invite fuzz test leans on, checked once for certain."""
    url = reverse("cases:taf_invite", kwargs={"uuid": team["episode"].uuid})
    response = cfs_worker_client.post(url, {"practitioner": team["outsider"].pk, "role": "Police officer"})
    assert_refused_with_summary(response)
    assert "consent does not cover sharing with Fuzz Police (police)" in response.content.decode()


def test_taf_fuzz_world_refuses_a_meeting_held_tomorrow(team, cfs_worker_client):
    meeting = TafMeetingFactory(episode=team["episode"])
    tomorrow = _parts(timezone.localdate() + timedelta(days=1))
    data = {
        "held_on": tomorrow,
        "PRACTITIONER_0": "attended",
        "PRACTITIONER_1": "attended",
        "PERSON_0": "attended",
        "GOAL_0": "5",
        "GOAL_1": "5",
        "result": "improved",
        "decision": "close",
    }
    response = cfs_worker_client.post(
        reverse("cases:meeting_record", kwargs={"uuid": meeting.uuid}), _resolve(data, team)
    )
    assert_refused_with_summary(response)
    assert "A meeting cannot be recorded as held on a date in the future" in response.content.decode()
