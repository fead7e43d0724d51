"""Bad input through every episode form, posted to the real views as the persona who uses it.

Hypothesis builds a plausible post for each form (starting early help, asking to close, deciding a closure, reopening,
stepping up, recording children's social care's reference, recording a step-down) and swaps some fields for something
hostile: markup, quotes, names such as O'Brien, Zoë and Nguyễn, NUL, very long text, made-up choices and primary keys,
and impossible dates. Whatever arrives, the answer is the form again (200 with a GOV.UK error summary, nothing saved)
or a redirect after a save; never a server error. Saved text is shown escaped on the episode page.

Each example works on its own family, since a family holds one open episode at a time.
"""

import os
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cases.models import Closure, Episode, Transfer
from cases.services.episodes import closure_request
from tests.factories import AllocatedEpisodeFactory, EpisodeFactory, FamilyFactory

pytestmark = pytest.mark.django_db

fuzz = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "20")),  # FUZZ_EXAMPLES=500 for a deeper run
    deadline=None,
    database=None,  # write nothing outside tests/fuzz (no .hypothesis directory)
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)

ERROR_SUMMARY = 'class="govuk-error-summary"'
XSS = "<script>alert(1)</script>"
HOSTILE = [
    "",
    " ",
    "\x00",
    "\t\r\n",
    "\u202eevil",
    "O'Brien",
    "Zoë",
    "Nguyễn",
    XSS,
    '"><img src=x onerror=alert(1)>',
    "{{ 7|add:7 }}{% now 'Y' %}",
    "' OR 1=1 --",
    "a" * 51,
    "a" * 8001,
]
any_text = st.one_of(st.text(max_size=40), st.sampled_from(HOSTILE))
prose = st.sampled_from(
    [
        "Mornings are calm and Zoë is in school every day.",
        'Mum (Ms O\'Brien) said the "routine chart" helped & bedtimes are easier.',
        "Nguyễn children settled; <b>dad</b> back at work.",
        XSS,
        '"><img src=x onerror=alert(1)>',
        "Line one\r\nLine two",
    ]
)
pk_garbage = st.sampled_from(["", "0", "-1", "abc", "\x00", "99999999999999999999", "1 OR 1=1"])


def choice_input(values) -> st.SearchStrategy[str]:
    values = [str(v) for v in values]
    return st.one_of(st.sampled_from(values), st.sampled_from(["", "\x00", "nonsense", f" {values[0]}"]), any_text)


def _date(days: int) -> tuple[str, str, str]:
    day = timezone.localdate() + timedelta(days=days)
    return str(day.day), str(day.month), str(day.year)


date_input = st.one_of(
    st.integers(min_value=-30, max_value=60).map(_date),
    st.sampled_from([("29", "2", "2023"), ("31", "4", "2030"), ("0", "0", "0"), ("1", "1", "9999"), ("", "3", "")]),
    st.tuples(any_text, any_text, any_text),
)


@st.composite
def form_post(draw, *, plain: dict, bad: dict) -> dict:
    """A plausible post drawn from `plain`, with up to three fields swapped for values drawn from `bad`."""
    data = {name: draw(strategy) for name, strategy in plain.items()}
    for name in draw(st.sets(st.sampled_from(sorted(bad)), max_size=3)):
        data[name] = draw(bad[name])
    return data


def _resolve(data: dict, tokens: dict) -> dict:
    resolved = {}
    for key, value in data.items():
        if isinstance(value, tuple):
            resolved |= {f"{key}_{i}": part for i, part in enumerate(value)}
        else:
            resolved[key] = str(tokens.get(value, value))
    return resolved


def assert_answered(response, *, saved: bool) -> None:
    """A redirect after a save, or the form again with a GOV.UK error summary naming every problem."""
    assert response.status_code in (200, 302), f"status {response.status_code}"
    if response.status_code == 302:
        assert saved, "redirected but nothing was saved"
        return
    assert not saved, "saved but answered with the form"
    html = response.content.decode()
    assert ERROR_SUMMARY in html
    for messages in response.context["form"].errors.values():
        for message in messages:
            assert escape(message) in html, f"error not shown: {message!r}"


def assert_page_escapes(client, episode: Episode, *values: str) -> None:
    html = client.get(reverse("cases:episode_detail", kwargs={"uuid": episode.uuid})).content.decode()
    for value in values:
        if value and "<" in value and len(value) >= 8:
            assert value not in html, f"shown unescaped: {value[:80]!r}"
            assert escape(value.strip()) in html


def _family(lats):
    return FamilyFactory(local_area_team=lats["tang-hall"])


@fuzz
@given(
    data=form_post(
        plain={"pathway": st.sampled_from(Episode.Pathway.values), "level": st.sampled_from(["2", "3"])},
        bad={"pathway": choice_input(Episode.Pathway.values), "level": choice_input([1, 2, 3, 4])},
    )
)
def test_episode_start_never_errors(cfs_worker_client, lats, data):
    family = _family(lats)
    response = cfs_worker_client.post(reverse("cases:episode_start", kwargs={"uuid": family.uuid}), _resolve(data, {}))
    episode = Episode.objects.filter(family=family).first()
    assert_answered(response, saved=episode is not None)
    if episode is not None:
        assert episode.level in (2, 3) and episode.route == "partner"


@fuzz
@given(
    data=form_post(
        plain={
            "reason": st.sampled_from(Closure.Reason.values),
            "reason_detail": prose,
            "summary": prose,
            "satisfaction": st.sampled_from(["1", "2", "3", "4", "5", "not_said"]),
            "made_difference": st.sampled_from(Closure.Difference.values),
            "family_comments": prose,
            "meeting": st.just(""),
        },
        bad={
            "reason": choice_input(Closure.Reason.values),
            "reason_detail": any_text,
            "summary": any_text,
            "satisfaction": choice_input(["0", "1", "5", "6", "not_said"]),
            "made_difference": choice_input(Closure.Difference.values),
            "family_comments": any_text,
            "meeting": pk_garbage,
        },
    )
)
def test_closure_request_never_errors(cfs_worker_client, cfs_worker_user, lats, data):
    episode = AllocatedEpisodeFactory(family=_family(lats), lead_practitioner=cfs_worker_user)
    response = cfs_worker_client.post(
        reverse("cases:closure_request", kwargs={"uuid": episode.uuid}), _resolve(data, {})
    )
    closure = Closure.objects.filter(episode=episode).first()
    assert_answered(response, saved=closure is not None)
    if closure is not None:
        assert closure.satisfaction is None or 1 <= closure.satisfaction <= 5
        assert closure.summary.strip()
        assert_page_escapes(cfs_worker_client, episode, closure.summary, closure.family_comments)


@fuzz
@given(
    data=form_post(
        plain={"decision": st.sampled_from(["approve", "refuse"]), "refusal_reason": prose},
        bad={"decision": choice_input(["approve", "refuse"]), "refusal_reason": any_text},
    )
)
def test_closure_decide_never_errors(lat_manager_client, cfs_worker_user, lats, data):
    episode = AllocatedEpisodeFactory(family=_family(lats), lead_practitioner=cfs_worker_user)
    closure = closure_request(user=cfs_worker_user, episode=episode, reason="disengaged", summary="Stopped answering")
    response = lat_manager_client.post(
        reverse("cases:closure_decide", kwargs={"uuid": closure.uuid}), _resolve(data, {})
    )
    closure.refresh_from_db()
    assert_answered(response, saved=closure.status != Closure.Status.AWAITING_APPROVAL)
    if closure.status == Closure.Status.REFUSED:
        assert closure.refusal_reason.strip()
        assert_page_escapes(lat_manager_client, episode, closure.refusal_reason)


@fuzz
@given(data=form_post(plain={"reason": prose}, bad={"reason": any_text}))
def test_episode_reopen_never_errors(lat_manager_client, lats, data):
    episode = EpisodeFactory(family=_family(lats), status="closed", closed_at=timezone.now() - timedelta(days=3))
    response = lat_manager_client.post(
        reverse("cases:episode_reopen", kwargs={"uuid": episode.uuid}), _resolve(data, {})
    )
    episode.refresh_from_db()
    assert_answered(response, saved=episode.status == "plan_active")
    if episode.status == "plan_active":
        assert_page_escapes(lat_manager_client, episode, episode.reopen_reason)


STEP_UP_KINDS = ["social_care", "strategy", "immediate_protection"]


@fuzz
@given(
    data=form_post(
        plain={
            "kind": st.sampled_from(STEP_UP_KINDS),
            "reason": prose,
            "external_reference": st.sampled_from(["", "CSC-1", "O'Brien/2"]),
        },
        bad={"kind": choice_input([*STEP_UP_KINDS, "step_down"]), "reason": any_text, "external_reference": any_text},
    )
)
def test_step_up_never_errors(cfs_worker_client, cfs_worker_user, lats, data):
    episode = AllocatedEpisodeFactory(family=_family(lats), lead_practitioner=cfs_worker_user)
    response = cfs_worker_client.post(reverse("cases:step_up", kwargs={"uuid": episode.uuid}), _resolve(data, {}))
    transfer = Transfer.objects.filter(episode=episode).first()
    assert_answered(response, saved=transfer is not None)
    if transfer is not None:
        assert transfer.kind in STEP_UP_KINDS and len(transfer.external_reference) <= 50
        assert_page_escapes(cfs_worker_client, episode, transfer.reason, transfer.external_reference)


@fuzz
@given(data=form_post(plain={"external_reference": st.just("CSC-77")}, bad={"external_reference": any_text}))
def test_step_up_reference_never_errors(cfs_worker_client, cfs_worker_user, lats, data):
    episode = AllocatedEpisodeFactory(family=_family(lats), lead_practitioner=cfs_worker_user, status="stepped_up")
    transfer = Transfer.objects.create(
        family=episode.family, episode=episode, direction="step_up", kind="social_care", created_by=cfs_worker_user
    )
    response = cfs_worker_client.post(
        reverse("cases:step_up_reference", kwargs={"uuid": episode.uuid}), _resolve(data, {})
    )
    transfer.refresh_from_db()
    assert_answered(response, saved=bool(transfer.external_reference))
    if transfer.external_reference:
        assert_page_escapes(cfs_worker_client, episode, transfer.external_reference)


@fuzz
@given(
    data=form_post(
        plain={
            "external_reference": st.sampled_from(["CSC-9", "Zoë/11"]),
            "reason": prose,
            "lead_practitioner": st.just("WORKER"),
            "level": st.sampled_from(["2", "3"]),
            "handover_on": st.integers(min_value=0, max_value=30).map(_date),
        },
        bad={
            "external_reference": any_text,
            "reason": any_text,
            "lead_practitioner": st.one_of(st.sampled_from(["OTHER_WORKER", "MANAGER"]), pk_garbage),
            "level": choice_input([1, 2, 3, 4]),
            "handover_on": date_input,
        },
    )
)
def test_step_down_never_errors(lat_manager_client, lat_manager_user, cfs_worker_user, other_lat_user, lats, data):
    family = _family(lats)
    tokens = {"WORKER": cfs_worker_user.pk, "OTHER_WORKER": other_lat_user.pk, "MANAGER": lat_manager_user.pk}
    response = lat_manager_client.post(reverse("cases:step_down", kwargs={"uuid": family.uuid}), _resolve(data, tokens))
    episode = Episode.objects.filter(family=family).first()
    assert_answered(response, saved=episode is not None)
    if episode is not None:
        assert episode.lead_practitioner in (cfs_worker_user, lat_manager_user)
        assert episode.meetings.get().due_on >= timezone.localdate()
        transfer = Transfer.objects.get(episode=episode)
        assert_page_escapes(lat_manager_client, episode, transfer.reason)
