"""Bad input through every intervention form, posted to the real views as the persona who uses it.

Hypothesis builds a plausible post for each form, then swaps a few fields for something hostile: markup, quotes,
names such as O'Brien, Zoë and Nguyễn, NUL, very long text, made-up choices and primary keys, lengths such as 0,
13 or 10**30 weeks, and impossible dates (29 February in a common year, day 0, year 0001 or 9999, missing parts).
Whatever arrives, the page answers with the form again (200, a GOV.UK error summary naming every problem, nothing
saved) or a redirect after saving; never a server error. Whatever was saved obeys the rules (6 to 12 weeks, at most
16 with an extension, no future sessions or endings) and is shown escaped on the intervention's page.
"""

import os
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from cases.models import Episode, FamilyMember, Intervention, InterventionExtension, InterventionSession, Task
from cases.services.interventions import EXTENSION_MAX_WEEKS
from earlyhelp.core.working_time import is_working_day
from tests.factories import (
    AllocatedEpisodeFactory,
    FamilyFactory,
    FamilyMemberFactory,
    InterventionExtensionFactory,
    InterventionFactory,
    PersonFactory,
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
    "\t\r\n",
    "\u202eevil",
    "\u200b",
    "O'Brien",
    "Zoë",
    "Nguyễn",
    XSS,
    '"><img src=x onerror=alert(1)>',
    "{{ 7|add:7 }}{% now 'Y' %}",
    "' OR 1=1 --",
    "a" * 8001,
]
any_text = st.one_of(st.text(max_size=40), st.sampled_from(SPECIAL_TEXT))
prose = st.sampled_from(
    [
        "Zoë and her mum (Ms O'Brien) agreed a bedtime chart & a morning routine.",
        "Nguyễn children <b>settled</b>; dad works nights.",
        XSS,
        '"><img src=x onerror=alert(1)>',
        "{{ 7|add:7 }} {% now 'Y' %}",
        "Line one\r\nLine two\n\tindented",
    ]
)
checkbox = st.sampled_from(["", "on", "true", "false", "0", "1", "\x00"])
pk_garbage = st.one_of(
    st.sampled_from(["", "0", "-1", "1.5", "abc", "\x00", "99999999999999999999999", "1 OR 1=1"]), st.text(max_size=8)
)
date_part = st.one_of(
    st.integers(min_value=-5, max_value=10_000).map(str),
    st.sampled_from(["", " 7 ", "02", "29", "0", "0001", "9999", "1e3", "٢٠١٦", "9" * 50, "\x00"]),
    st.text(max_size=6),
)
ODD_DATES = st.sampled_from(
    [
        ("29", "2", "2024"),
        ("29", "2", "2027"),
        ("31", "4", "2026"),
        ("1", "1", "0001"),
        ("31", "12", "9999"),
        ("0", "0", "0"),
    ]
)


def _parts(day: date) -> tuple[str, str, str]:
    return str(day.day), str(day.month), str(day.year)


def days_from_today(low: int, high: int) -> st.SearchStrategy[tuple[str, str, str]]:
    return st.integers(min_value=low, max_value=high).map(lambda n: _parts(timezone.localdate() + timedelta(days=n)))


@st.composite
def date_input(draw, *, low: int, high: int) -> tuple[str, str, str]:
    """Real dates near today, odd dates, a part missing, or garbage in each part."""
    kind = draw(st.sampled_from(["near", "odd", "missing", "garbage"]))
    if kind == "near":
        return draw(days_from_today(low, high))
    if kind == "odd":
        return draw(ODD_DATES)
    if kind == "missing":
        parts = list(draw(days_from_today(low, high)))
        for index in draw(st.sets(st.sampled_from([0, 1, 2]), min_size=1, max_size=3)):
            parts[index] = ""
        return tuple(parts)
    return draw(date_part), draw(date_part), draw(date_part)


def choice_input(values) -> st.SearchStrategy[str]:
    values = [str(v) for v in values]
    return st.one_of(st.sampled_from(values), st.sampled_from(["", "\x00", "nonsense", values[0].upper()]), any_text)


@st.composite
def form_post(draw, *, plain: dict, bad: dict, max_size: int = 3) -> dict:
    """A plausible post drawn from `plain`, with up to `max_size` fields swapped for values drawn from `bad`."""
    data = {name: draw(strategy) for name, strategy in plain.items()}
    for name in draw(st.sets(st.sampled_from(sorted(bad)), max_size=max_size)):
        data[name] = draw(bad[name])
    return data


def _resolve(data: dict, tokens: dict) -> dict:
    """Swap tokens for primary keys, and spread (day, month, year) tuples over a date input's three fields."""
    resolved = {}
    for key, value in data.items():
        if isinstance(value, tuple):
            resolved |= {f"{key}_{i}": part for i, part in enumerate(value)}
        elif isinstance(value, list):
            resolved[key] = [str(tokens.get(item, item)) for item in value]
        else:
            resolved[key] = str(tokens.get(value, value))
    return resolved


def _counts() -> dict[str, int]:
    models = (Intervention, InterventionSession, InterventionExtension, Task)
    return {model.__name__: model.objects.count() for model in models}


def assert_answered(response) -> None:
    event(f"status {response.status_code}")
    assert response.status_code in (200, 302), f"status {response.status_code}"


def assert_refused_with_summary(response) -> None:
    html = response.content.decode()
    assert ERROR_SUMMARY in html
    form = response.context["form"]
    assert form.errors, "a 200 after a POST must be a form with errors"
    event(f"refused: {', '.join(sorted(form.errors))}")
    for messages in form.errors.values():
        for message in messages:
            assert escape(message) in html, f"error not shown: {message!r}"


def assert_shown_escaped(html: str, value: str) -> None:
    """Each line of `value` is on the page, escaped (long text keeps its line breaks as <br>)."""
    for line in value.splitlines():
        assert escape(line.strip()) in html, f"not shown: {line[:80]!r}"
    if "<" in value and len(value) >= 8:
        assert value not in html, f"shown unescaped: {value[:80]!r}"


def _page(client, intervention) -> str:
    response = client.get(reverse("cases:intervention_detail", kwargs={"uuid": intervention.uuid}))
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def world(lats, own_family, other_family, cfs_worker_user, lat_manager_user, second_manager_user, other_lat_user):
    """The Tang Hall family's members (a child, a parent, a restricted child) and the people the tokens name."""

    def member(role, **fields):
        return FamilyMemberFactory(family=own_family, role=role, person=PersonFactory(**fields)).person

    tokens = {
        "CHILD": member(FamilyMember.Role.CHILD, first_name="Zoë", last_name="O'Brien").pk,
        "PARENT": member(FamilyMember.Role.PARENT, first_name="Minh", last_name="Nguyễn").pk,
        "HIDDEN": member(FamilyMember.Role.CHILD, first_name="Hidden", restricted=True).pk,
        "STRANGER": FamilyMemberFactory(family=other_family).person.pk,
        "WORKER": cfs_worker_user.pk,
        "MANAGER": lat_manager_user.pk,
        "OTHER_WORKER": other_lat_user.pk,
    }
    return {"tokens": tokens, "family": own_family, "lats": lats, "worker": cfs_worker_user}


def _episode(world, family=None):
    return AllocatedEpisodeFactory(
        family=family or world["family"],
        lead_practitioner=world["worker"],
        allocated_at=timezone.now() - timedelta(days=60),
    )


def _intervention(world):
    """A fresh active intervention, three weeks in, on the Tang Hall family's one open episode."""
    today = timezone.localdate()
    episode = Episode.objects.filter(family=world["family"], status__in=Episode.OPEN).first() or _episode(world)
    return InterventionFactory(
        episode=episode,
        family=world["family"],
        worker=world["worker"],
        started_on=today - timedelta(weeks=3),
        planned_end_on=today + timedelta(weeks=5),
    )


# ---------------------------------------------------------------------------------------------
# Starting an intervention
# ---------------------------------------------------------------------------------------------


@st.composite
def intervention_post(draw) -> dict:
    by_weeks = draw(st.booleans())
    return draw(
        form_post(
            plain={
                "worker": st.sampled_from(["WORKER", "MANAGER"]),
                "kind": st.sampled_from(Intervention.Kind.values),
                "aims": prose,
                "started_on": days_from_today(-14, 28),
                "weeks": st.integers(min_value=6, max_value=12).map(str) if by_weeks else st.just(""),
                "planned_end_on": days_from_today(45, 110) if not by_weeks else st.just(("", "", "")),
            },
            bad={
                "worker": st.one_of(st.sampled_from(["OTHER_WORKER", "CHILD"]), pk_garbage),
                "kind": choice_input(Intervention.Kind.values),
                "aims": any_text,
                "started_on": date_input(low=-60, high=60),
                "weeks": st.one_of(
                    st.sampled_from(["0", "5", "13", "-8", "8.5", "eight", "1" + "0" * 30, " 8 ", "\x00"]),
                    st.integers().map(str),
                ),
                "planned_end_on": date_input(low=-10, high=200),
            },
        )
    )


@fuzz
@given(data=intervention_post())
def test_intervention_new_never_errors_on_arbitrary_input(world, cfs_worker_client, data):
    family = FamilyFactory(local_area_team=world["lats"]["tang-hall"])
    episode = _episode(world, family=family)
    before = _counts()
    url = reverse("cases:intervention_new", kwargs={"uuid": episode.uuid})
    response = cfs_worker_client.post(url, _resolve(data, world["tokens"]))
    assert_answered(response)
    if response.status_code == 200:
        assert_refused_with_summary(response)
        assert _counts() == before
        return
    intervention = Intervention.objects.get(episode=episode)
    weeks = (intervention.planned_end_on - intervention.started_on).days / 7
    assert 5 < weeks <= 12 and is_working_day(intervention.planned_end_on)
    assert intervention.worker_id in (world["tokens"]["WORKER"], world["tokens"]["MANAGER"])
    html = _page(cfs_worker_client, intervention)
    assert_shown_escaped(html, intervention.aims)


# ---------------------------------------------------------------------------------------------
# Sessions
# ---------------------------------------------------------------------------------------------


def _session_post() -> st.SearchStrategy[dict]:
    return form_post(
        plain={
            "held_on": days_from_today(-21, 0),
            "kind": st.sampled_from(InterventionSession.Kind.values),
            "people_seen": st.lists(st.sampled_from(["CHILD", "PARENT"]), max_size=2, unique=True),
            "child_seen_alone": checkbox,
            "notes": prose,
        },
        bad={
            "held_on": date_input(low=-60, high=30),
            "kind": choice_input(InterventionSession.Kind.values),
            "people_seen": st.lists(
                st.one_of(st.sampled_from(["CHILD", "PARENT", "HIDDEN", "STRANGER"]), pk_garbage), max_size=3
            ),
            "child_seen_alone": checkbox,
            "notes": any_text,
        },
    )


@fuzz
@given(data=_session_post())
def test_session_add_never_errors_on_arbitrary_input(world, cfs_worker_client, data):
    intervention = _intervention(world)
    before = _counts()
    url = reverse("cases:session_add", kwargs={"uuid": intervention.uuid})
    response = cfs_worker_client.post(url, _resolve(data, world["tokens"]))
    assert_answered(response)
    if response.status_code == 200:
        assert_refused_with_summary(response)
        assert _counts() == before
        return
    session = InterventionSession.objects.latest("id")
    assert intervention.started_on <= session.held_on <= timezone.localdate()
    seen = set(session.people_seen.values_list("pk", flat=True))
    assert seen <= {world["tokens"]["CHILD"], world["tokens"]["PARENT"]}
    if session.child_seen_alone:
        assert world["tokens"]["CHILD"] in seen
    html = _page(cfs_worker_client, intervention)
    assert_shown_escaped(html, session.notes)
    assert "Hidden" not in html


# ---------------------------------------------------------------------------------------------
# Extensions
# ---------------------------------------------------------------------------------------------


@fuzz
@given(
    data=form_post(
        plain={"new_end_on": days_from_today(64, 91), "reason": prose},
        bad={"new_end_on": date_input(low=-30, high=400), "reason": any_text},
    )
)
def test_extension_request_never_errors_on_arbitrary_input(world, cfs_worker_client, data):
    intervention = _intervention(world)
    before = _counts()
    url = reverse("cases:extension_request", kwargs={"uuid": intervention.uuid})
    response = cfs_worker_client.post(url, _resolve(data, world["tokens"]))
    assert_answered(response)
    if response.status_code == 200:
        assert_refused_with_summary(response)
        assert _counts() == before
        return
    extension = InterventionExtension.objects.latest("id")
    assert extension.intervention == intervention
    assert intervention.started_on + timedelta(weeks=12) < extension.new_end_on
    assert extension.new_end_on <= intervention.started_on + timedelta(weeks=EXTENSION_MAX_WEEKS)
    assert Task.objects.filter(key=f"extension:{extension.uuid}").exists()
    assert_shown_escaped(_page(cfs_worker_client, intervention), extension.reason)


@fuzz
@given(
    data=form_post(
        plain={"decision": st.sampled_from(["approve", "refuse"]), "reason": prose},
        bad={"decision": choice_input(["approve", "refuse"]), "reason": any_text},
    )
)
def test_extension_decide_never_errors_on_arbitrary_input(world, lat_manager_client, data):
    intervention = _intervention(world)
    extension = InterventionExtensionFactory(intervention=intervention, requested_by=world["worker"])
    end = intervention.planned_end_on
    url = reverse("cases:extension_decide", kwargs={"uuid": extension.uuid})
    response = lat_manager_client.post(url, _resolve(data, world["tokens"]))
    assert_answered(response)
    extension.refresh_from_db()
    intervention.refresh_from_db()
    if response.status_code == 200:
        assert_refused_with_summary(response)
        assert extension.status == InterventionExtension.Status.REQUESTED and intervention.planned_end_on == end
        return
    if extension.status == InterventionExtension.Status.APPROVED:
        assert intervention.planned_end_on == extension.new_end_on
    else:
        assert extension.decision_reason and intervention.planned_end_on == end
    html = _page(lat_manager_client, intervention)
    if extension.decision_reason:
        assert_shown_escaped(html, extension.decision_reason)


# ---------------------------------------------------------------------------------------------
# Ending
# ---------------------------------------------------------------------------------------------


@fuzz
@given(
    data=form_post(
        plain={
            "status": st.sampled_from(["completed", "ended_early"]),
            "ended_on": days_from_today(-21, 0),
            "outcome": prose,
        },
        bad={
            "status": choice_input(["completed", "ended_early", "active"]),
            "ended_on": date_input(low=-60, high=30),
            "outcome": any_text,
        },
    )
)
def test_intervention_end_never_errors_on_arbitrary_input(world, cfs_worker_client, data):
    intervention = _intervention(world)
    url = reverse("cases:intervention_end", kwargs={"uuid": intervention.uuid})
    response = cfs_worker_client.post(url, _resolve(data, world["tokens"]))
    assert_answered(response)
    intervention.refresh_from_db()
    if response.status_code == 200:
        assert_refused_with_summary(response)
        assert intervention.status == Intervention.Status.ACTIVE
        return
    assert intervention.status in (Intervention.Status.COMPLETED, Intervention.Status.ENDED_EARLY)
    assert intervention.started_on <= intervention.ended_on <= timezone.localdate()
    assert_shown_escaped(_page(cfs_worker_client, intervention), intervention.outcome)
