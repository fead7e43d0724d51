"""Bad input through the case note, amendment and chronology filter forms, posted to the real views.

Hypothesis builds a plausible note (or amendment), then swaps a few fields for something hostile: markup, quotes,
names such as O'Brien, Zoë and Nguyễn, NUL, very long text, made-up choices and people, impossible dates (29 February
in a common year, day 0, the year 1999 or 9999, missing parts) and a child "seen alone" but not seen. Whatever
arrives, the page answers with the form again (200, a GOV.UK error summary naming every problem, nothing saved) or a
redirect; never a server error. Text that was saved is shown escaped on the note's page.
"""

import os
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cases.models import CaseNote, CaseNoteAmendment
from cases.selectors.chronology import EntryType
from tests.factories import CaseNoteFactory, FamilyMemberFactory, PersonFactory

pytestmark = pytest.mark.django_db

fuzz = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "20")),
    deadline=None,
    database=None,
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
    "a" * 301,
    "a" * 20_000,
]
any_text = st.one_of(st.text(max_size=40), st.sampled_from(SPECIAL_TEXT))
prose = st.sampled_from(
    [
        'Home visit: Zoë showed me her room; mum (Ms O\'Brien) said "things are better".',
        "Nguyễn children at school every day this week & settled.",
        XSS,
        '"><img src=x onerror=alert(1)>',
        "{{ 7|add:7 }} {% now 'Y' %}",
        "Line one\r\nLine two\n\tindented",
        "A long note. " * 2000,
    ]
)
checkbox = st.sampled_from(["", "on", "true", "false", "0", "1", "\x00"])
date_part = st.one_of(
    st.integers(min_value=-5, max_value=10_000).map(str),
    st.sampled_from(["", "0", "00", "29", "1999", "2000", "9999", "9" * 30, "\x00", "٢٠١٦"]),
    st.text(max_size=5),
)
ODD_DATES = [("29", "2", "2023"), ("29", "2", "2024"), ("31", "12", "1999"), ("1", "1", "2000"), ("0", "0", "0")]


def _parts(day: date) -> tuple[str, str, str]:
    return str(day.day), str(day.month), str(day.year)


@st.composite
def date_input(draw) -> tuple[str, str, str]:
    kind = draw(st.sampled_from(["near", "odd", "garbage"]))
    if kind == "near":
        return _parts(timezone.localdate() + timedelta(days=draw(st.integers(min_value=-4000, max_value=30))))
    if kind == "odd":
        return draw(st.sampled_from(ODD_DATES))
    return draw(date_part), draw(date_part), draw(date_part)


@st.composite
def note_post(draw) -> dict:
    data = {
        "kind": draw(st.sampled_from(CaseNote.Kind.values)),
        "happened_on": _parts(timezone.localdate() - timedelta(days=draw(st.integers(min_value=0, max_value=3000)))),
        "people": draw(st.lists(st.sampled_from(["CHILD", "PARENT"]), max_size=2, unique=True)),
        "child_seen": draw(st.sampled_from(["", "on"])),
        "child_seen_alone": "",
        "text": draw(prose),
        "significant": draw(st.sampled_from(["", "on"])),
    }
    bad = {
        "kind": st.one_of(st.sampled_from(["", "HOME_VISIT", "nonsense"]), any_text),
        "happened_on": date_input(),
        "people": st.lists(
            st.one_of(
                st.sampled_from(["CHILD", "HIDDEN", "STRANGER"]),
                st.sampled_from(["", "0", "-1", "abc", "\x00", "99999999999999999999999"]),
            ),
            max_size=3,
        ),
        "child_seen": checkbox,
        "child_seen_alone": checkbox,
        "text": any_text,
        "significant": checkbox,
    }
    for name in draw(st.sets(st.sampled_from(sorted(bad)), max_size=3)):
        data[name] = draw(bad[name])
    return data


@pytest.fixture
def family_world(own_family, other_family):
    child = FamilyMemberFactory(family=own_family, person=PersonFactory(first_name="Zoë", last_name="O'Brien")).person
    parent = FamilyMemberFactory(family=own_family, role="parent", person=PersonFactory(last_name="Nguyễn")).person
    hidden = FamilyMemberFactory(family=own_family, person=PersonFactory(restricted=True)).person
    stranger = FamilyMemberFactory(family=other_family).person
    tokens = {"CHILD": child.pk, "PARENT": parent.pk, "HIDDEN": hidden.pk, "STRANGER": stranger.pk}
    tokens |= {"CHILD_UUID": str(child.uuid), "HIDDEN_UUID": str(hidden.uuid)}
    return {"family": own_family, "tokens": tokens}


def _resolve(data: dict, tokens: dict) -> dict:
    resolved = {}
    for key, value in data.items():
        if isinstance(value, tuple):
            resolved |= {f"{key}_{i}": part for i, part in enumerate(value)}
        elif isinstance(value, list):
            resolved[key] = [str(tokens.get(item, item)) for item in value]
        else:
            resolved[key] = str(tokens.get(value, value))
    return resolved


def _assert_refused_with_summary(response) -> None:
    assert response.status_code == 200
    html = response.content.decode()
    assert ERROR_SUMMARY in html
    form = response.context["form"]
    assert form.errors
    for messages in form.errors.values():
        for message in messages:
            assert escape(message) in html, f"error not shown: {message!r}"


def _assert_shown_escaped(html: str, value: str) -> None:
    assert escape(value) in html or escape(value).replace("\n", "<br>") in html, f"not shown: {value[:80]!r}"
    if "<" in value and len(value) >= 8:
        assert value not in html, f"shown unescaped: {value[:80]!r}"


@fuzz
@given(data=note_post())
def test_note_add_never_errors_on_arbitrary_input(family_world, cfs_worker_client, data):
    family = family_world["family"]
    before = CaseNote.objects.count()
    response = cfs_worker_client.post(
        reverse("cases:note_add", kwargs={"uuid": family.uuid}), _resolve(data, family_world["tokens"])
    )
    assert response.status_code in (200, 302)
    if response.status_code == 200:
        _assert_refused_with_summary(response)
        assert CaseNote.objects.count() == before
        return
    note = CaseNote.objects.latest("id")
    assert note.happened_on <= timezone.localdate() and note.happened_on >= date(2000, 1, 1)
    assert note.child_seen or not note.child_seen_alone
    assert note.text.strip()
    assert set(note.people.values_list("pk", flat=True)) <= {
        family_world["tokens"]["CHILD"],
        family_world["tokens"]["PARENT"],
    }
    page = cfs_worker_client.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    first_line = note.text.splitlines()[0] if note.text.splitlines() else note.text
    _assert_shown_escaped(html, first_line)


@fuzz
@given(data=note_post())
def test_note_edit_never_errors_on_arbitrary_input(family_world, cfs_worker_client, cfs_worker_user, data):
    note = CaseNoteFactory(family=family_world["family"], author=cfs_worker_user, text="The original")
    post = _resolve(data, family_world["tokens"]) | {"lock_version": str(note.lock_version)}
    response = cfs_worker_client.post(reverse("cases:note_edit", kwargs={"uuid": note.uuid}), post)
    assert response.status_code in (200, 302)
    note.refresh_from_db()
    if response.status_code == 200:
        _assert_refused_with_summary(response)
        assert note.text == "The original"


@fuzz
@given(text=st.one_of(prose, any_text), reason=any_text)
def test_note_amend_never_errors_on_arbitrary_input(family_world, lat_manager_client, text, reason):
    note = CaseNoteFactory(family=family_world["family"], text="The original")
    CaseNote.objects.filter(pk=note.pk).update(created_at=timezone.now() - timedelta(days=2))
    before = CaseNoteAmendment.objects.count()
    response = lat_manager_client.post(
        reverse("cases:note_amend", kwargs={"uuid": note.uuid}), {"text": text, "reason": reason}
    )
    assert response.status_code in (200, 302)
    if response.status_code == 200:
        _assert_refused_with_summary(response)
        assert CaseNoteAmendment.objects.count() == before
        return
    amendment = CaseNoteAmendment.objects.latest("id")
    assert amendment.text.strip() and amendment.reason.strip()
    html = lat_manager_client.get(response["Location"]).content.decode()
    _assert_shown_escaped(html, amendment.reason)
    note.refresh_from_db()
    assert note.text == "The original"


@fuzz
@given(
    types=st.lists(st.one_of(st.sampled_from(EntryType.values), any_text), max_size=3),
    person=st.one_of(st.sampled_from(["", "CHILD_UUID", "HIDDEN_UUID"]), any_text),
    order=st.one_of(st.sampled_from(["", "oldest", "newest"]), any_text),
    page=st.one_of(st.sampled_from(["", "1", "2", "-1", "last", "9" * 30]), any_text),
)
def test_chronology_filters_never_error(family_world, cfs_worker_client, types, person, order, page):
    family = family_world["family"]
    query = {"types": types, "person": family_world["tokens"].get(person, person), "order": order, "page": page}
    response = cfs_worker_client.get(reverse("cases:chronology", kwargs={"uuid": family.uuid}), query)
    assert response.status_code == 200
