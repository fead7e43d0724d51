"""Bad input through every form, posted to the real views with the Django test client.

Hypothesis throws random text (any Unicode, control characters, NUL, very long strings), impossible
dates and made-up choices at each form. Whatever arrives, the service must answer with the form
again (200, with a GOV.UK error summary naming every problem) or a redirect after saving, never a
server error; a refused form must leave nothing half-saved; stored text must be escaped when shown.

Symbolic tokens ("SCHOOL", "MEMBER", "OUTSIDER"...) stand for rows the fixtures create; `_resolve`
swaps them for real primary keys or UUIDs, so the strategies can be built before the database is.
"""

import os
import uuid
from datetime import date, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from axes.utils import reset as axes_reset
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.http import url_has_allowed_host_and_scheme
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from cases.codes import Ethnicity, SenStatus, Sex
from cases.models import Family, FamilyMember, Person, PersonAddress, ProfessionalInvolvement, Relationship
from locality.models import Agency
from tests.factories import (
    PASSWORD,
    AgencyFactory,
    FamilyFactory,
    FamilyMemberFactory,
    PersonFactory,
    PostcodeSectorFactory,
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

# ---------------------------------------------------------------------------------------------
# Strategies
# ---------------------------------------------------------------------------------------------

SPECIAL_TEXT = [
    "",
    " ",
    "\x00",
    "Smith\x00",
    "\x00\x00\x00",
    "\t\r\n",
    "\x1b[31mred",
    "\u202eevil",
    "\ufeffBOM",
    "\u200b",
    "İ" * 60,
    "ß" * 40,
    "\U0001d518\U0001d52b\U0001d526 \U0001f600",  # astral plane: Fraktur letters and an emoji
    "O'Brien",
    "Zoë",
    "Nguyễn",
    "D'Arcy-Smith",
    XSS,
    '"><img src=x onerror=alert(1)>',
    "{{ 7|add:7 }}{% now 'Y' %}",
    "' OR 1=1 --",
    "%_%",
    "\\",
    "a" * 100,
    "a" * 101,
    "a" * 5000,
]

long_text = st.builds(lambda ch, n: ch * n, st.characters(), st.integers(min_value=90, max_value=3000))
any_text = st.one_of(st.text(max_size=40), st.sampled_from(SPECIAL_TEXT), long_text)

today = date.today()
date_part = st.one_of(
    st.integers(min_value=-5, max_value=10_000).map(str),
    st.sampled_from(["", " 7 ", "02", "29", "2016", "0", "00", "1e3", "0x1F", "٢٠١٦", "9" * 5000, "\x00", "-1"]),
    st.text(max_size=6),
)
good_dates = st.dates(min_value=date(1950, 1, 1), max_value=today - timedelta(days=1))


def _date_fields(prefix: str, day: date | None) -> dict[str, str]:
    if day is None:
        return {f"{prefix}_0": "", f"{prefix}_1": "", f"{prefix}_2": ""}
    return {f"{prefix}_0": str(day.day), f"{prefix}_1": str(day.month), f"{prefix}_2": str(day.year)}


def _nhs_number(nine: int) -> str | None:
    digits = f"{nine:09d}"
    check = 11 - sum(int(d) * w for d, w in zip(digits, range(10, 1, -1), strict=True)) % 11
    check = 0 if check == 11 else check
    return None if check == 10 else digits + str(check)


valid_nhs = st.integers(min_value=0, max_value=999_999_999).map(_nhs_number).filter(bool)
nhs_input = st.one_of(valid_nhs, valid_nhs.map(lambda n: f"{n[:3]} {n[3:6]} {n[6:]}"), st.text(max_size=14))
valid_upn = st.from_regex(r"\A[A-Z][0-9]{11}[0-9A-Z]\Z")
upn_input = st.one_of(valid_upn, valid_upn.map(str.lower), st.text(max_size=15))
valid_postcode = st.sampled_from(["YO31 1AA", "yo311aa", " YO31 0AB ", "YO31 9ZZ", "YO24 1AB"])
postcode_input = st.one_of(
    valid_postcode,
    st.sampled_from(["SW1A 1AA", "YO31  1AA", "YO3 11AA", "ZZ99 9ZZ", "Y031 1AA"]),
    st.from_regex(r"\A[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}\Z"),
    any_text,
)
checkbox = st.sampled_from(["", "on", "true", "false", "False", "0", "1", "yes", "\x00"])
pk_garbage = st.one_of(
    st.sampled_from(["", "0", "-1", "1.5", "abc", "\x00", "99999999999999999999999", "1 OR 1=1"]),
    st.text(max_size=8),
)


def choice_input(values) -> st.SearchStrategy[str]:
    """A real choice half the time; otherwise blank, NUL, a near miss or any text."""
    values = list(values)
    bad = st.one_of(st.sampled_from(["", "\x00", "nonsense", values[0].upper(), f" {values[0]}"]), any_text)
    return st.one_of(st.sampled_from(values), bad)


plain_name = st.sampled_from(["Alex", "Sam", "Zoë", "O'Brien", "Nguyễn", "D'Arcy-Smith", "Kowalska", "Ní Bhriain"])

PERSON_BAD = {
    "first_name": any_text,
    "middle_names": any_text,
    "last_name": any_text,
    "other_names": any_text,
    "date_of_birth_0": date_part,
    "date_of_birth_1": date_part,
    "date_of_birth_2": date_part,
    "expected_date_of_birth_0": date_part,
    "expected_date_of_birth_1": date_part,
    "expected_date_of_birth_2": date_part,
    "sex": choice_input(Sex.values),
    "ethnicity": choice_input(Ethnicity.values),
    "first_language": any_text,
    "interpreter_needed": checkbox,
    "disability": checkbox,
    "sen_status": choice_input(SenStatus.values),
    "school": st.one_of(st.sampled_from(["SCHOOL", "GP", "COUNCIL"]), pk_garbage),
    "gp_practice": st.one_of(st.sampled_from(["SCHOOL", "GP", "COUNCIL"]), pk_garbage),
    "nhs_number": nhs_input,
    "upn": upn_input,
}
MEMBER_BAD = PERSON_BAD | {
    "role": choice_input(FamilyMember.Role.values),
    "in_household": checkbox,
    "parental_responsibility": checkbox,
    "main_carer": checkbox,
    "duplicates_checked": checkbox,
}


@st.composite
def person_post(draw, *, member: bool) -> dict[str, str]:
    """Plausible person details, with up to five fields swapped for something hostile."""
    unborn = draw(st.booleans()) and draw(st.booleans())
    born = None if unborn else draw(st.one_of(good_dates, st.none()))
    expected = today + timedelta(days=draw(st.integers(min_value=-30, max_value=250))) if unborn else None
    data = {
        "first_name": draw(plain_name),
        "middle_names": draw(st.sampled_from(["", "Jo"])),
        "last_name": draw(plain_name),
        "other_names": "",
        **_date_fields("date_of_birth", born),
        **_date_fields("expected_date_of_birth", expected),
        "sex": draw(st.sampled_from(Sex.values)),
        "ethnicity": draw(st.sampled_from(Ethnicity.values)),
        "first_language": draw(st.sampled_from(["", "English", "Polski", "العربية"])),
        "interpreter_needed": draw(st.sampled_from(["", "on"])),
        "disability": draw(st.sampled_from(["", "on"])),
        "sen_status": draw(st.sampled_from(SenStatus.values)),
        "school": draw(st.sampled_from(["", "SCHOOL"])),
        "gp_practice": draw(st.sampled_from(["", "GP"])),
        "nhs_number": draw(st.one_of(st.just(""), valid_nhs)),
        "upn": draw(st.one_of(st.just(""), valid_upn)),
    }
    bad = MEMBER_BAD if member else PERSON_BAD
    if member:
        role = draw(st.sampled_from(FamilyMember.Role.values))
        data |= {
            "role": role,
            "in_household": draw(st.sampled_from(["", "on"])),
            "parental_responsibility": "on" if role != "child" and draw(st.booleans()) else "",
            "main_carer": draw(st.sampled_from(["", "on"])),
            "duplicates_checked": draw(st.sampled_from(["", "True"])),
        }
    for name in draw(st.sets(st.sampled_from(sorted(bad)), max_size=5)):
        data[name] = draw(bad[name])
    return data


@st.composite
def family_post(draw) -> dict[str, str]:
    data = {
        "name": draw(plain_name),
        "address_line_1": "1 Example Street",
        "address_line_2": "",
        "town": "York",
        "postcode": draw(valid_postcode),
        "local_area_team": draw(st.sampled_from(["", "", "TANG_HALL"])),
    }
    bad = {
        "name": any_text,
        "address_line_1": any_text,
        "address_line_2": any_text,
        "town": any_text,
        "postcode": postcode_input,
        "local_area_team": st.one_of(st.sampled_from(["TANG_HALL", "HOB_MOOR", "CLIFTON"]), pk_garbage),
    }
    for name in draw(st.sets(st.sampled_from(sorted(bad)), max_size=3)):
        data[name] = draw(bad[name])
    return data


# ---------------------------------------------------------------------------------------------
# Fixtures and helpers
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def world(lats, own_family, other_family):
    """Postcode sectors, agencies and people: the rows the symbolic tokens stand for."""
    PostcodeSectorFactory(code="YO31", local_area_team=lats["tang-hall"])
    PostcodeSectorFactory(code="YO24", local_area_team=lats["hob-moor"])
    school = AgencyFactory(name="Fuzz Primary", type=Agency.Type.SCHOOL)
    gp = AgencyFactory(name="Fuzz Surgery", type=Agency.Type.GP)
    council = AgencyFactory(name="Fuzz Council", type=Agency.Type.LOCAL_AUTHORITY)
    parent = FamilyMemberFactory(
        family=own_family, role="parent", person=PersonFactory(first_name="Pat", last_name="Ownteam")
    )
    child = FamilyMemberFactory(
        family=own_family, role="child", person=PersonFactory(first_name="Kit", last_name="Ownteam")
    )
    carer = FamilyMemberFactory(
        family=own_family, role="carer", person=PersonFactory(first_name="Cal", last_name="Ownteam")
    )
    neighbour_family = FamilyFactory(name="Neighbour", local_area_team=lats["tang-hall"])
    neighbour = FamilyMemberFactory(family=neighbour_family, role="parent").person
    outsider = FamilyMemberFactory(family=other_family, role="parent").person
    tokens = {
        "SCHOOL": school.pk,
        "GP": gp.pk,
        "COUNCIL": council.pk,
        "TANG_HALL": lats["tang-hall"].pk,
        "HOB_MOOR": lats["hob-moor"].pk,
        "CLIFTON": lats["clifton"].pk,
        "A": parent.person.pk,
        "B": child.person.pk,
        "C": carer.person.pk,
        "OUTSIDER": outsider.pk,
        "MEMBER": parent.person.uuid,
        "NEIGHBOUR": neighbour.uuid,
        "HIDDEN": outsider.uuid,
        "RANDOM_UUID": uuid.UUID(int=12345),
    }
    return {"tokens": tokens, "family": own_family, "person": parent.person, "member": child, "lats": lats}


def _resolve(data: dict[str, str], tokens: dict) -> dict[str, str]:
    return {key: str(tokens.get(value, value)) for key, value in data.items()}


def _html(response) -> str:
    return response.content.decode()


def assert_refused_with_summary(response) -> None:
    """A refused form: 200, a GOV.UK error summary, and every error's message on the page."""
    assert response.status_code == 200
    html = _html(response)
    assert ERROR_SUMMARY in html
    form = response.context["form"]
    assert form.errors, "a 200 after a POST must be a form with errors"
    for messages in form.errors.values():
        for message in messages:
            assert escape(message) in html, f"error not shown: {message!r}"


def assert_shown_escaped(html: str, value: str) -> None:
    assert escape(value) in html
    if "<" in value:
        assert value not in html


def _counts() -> dict[str, int]:
    models = (Family, Person, FamilyMember, PersonAddress, Relationship, ProfessionalInvolvement)
    return {model.__name__: model.objects.count() for model in models}


def _row(instance) -> dict:
    instance.refresh_from_db()
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


# ---------------------------------------------------------------------------------------------
# Never a server error, never half-saved
# ---------------------------------------------------------------------------------------------


@fuzz
@given(
    username=st.one_of(any_text, st.sampled_from(["REAL", " REAL ", "REAL_UPPER"])),
    password=st.one_of(any_text, st.just("REAL")),
    next_url=st.one_of(
        st.just(""),
        st.sampled_from(["/families/", "//evil.example/", "https://evil.example/", "javascript:alert(1)"]),
        any_text,
    ),
)
def test_sign_in_never_errors_on_arbitrary_credentials(cfs_worker_user, username, password, next_url):
    axes_reset()  # each example starts unlocked; lockout has its own tests
    real = cfs_worker_user.email
    username = {"REAL": real, " REAL ": f" {real} ", "REAL_UPPER": real.upper()}.get(username, username)
    password = PASSWORD if password == "REAL" else password
    response = Client().post(reverse("accounts:login"), {"username": username, "password": password, "next": next_url})
    event(f"status {response.status_code}")
    if response.status_code == 302:
        assert username.strip().lower() == real and password == PASSWORD
        # The password is the first step: the worker has no authenticator app yet, so they set one up next.
        assert response["Location"].startswith(reverse("accounts:two_factor_enrol"))
        # On this site, and passing on only a destination on this site (a long one can make the whole address too
        # long for url_has_allowed_host_and_scheme, which refuses anything over 2,048 characters).
        location = urlsplit(response["Location"])
        assert not (location.scheme or location.netloc)
        forwarded = parse_qs(location.query).get("next", [""])[0]
        assert not forwarded or url_has_allowed_host_and_scheme(forwarded, allowed_hosts={"testserver"})
    else:
        assert_refused_with_summary(response)


@pytest.mark.parametrize("next_url", ["", "/families/", "//evil.example/", "https://evil.example/x"])
def test_sign_in_accepts_the_right_password_and_never_redirects_off_site(cfs_worker_user, next_url):
    data = {"username": f"  {cfs_worker_user.email.upper()} ", "password": PASSWORD, "next": next_url}
    response = Client().post(reverse("accounts:login"), data)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:two_factor_enrol"))
    assert url_has_allowed_host_and_scheme(response["Location"], allowed_hosts={"testserver"})
    assert "evil.example" not in response["Location"]
    assert ("next=%2Ffamilies%2F" in response["Location"]) == (next_url == "/families/")


@fuzz
@given(code=st.one_of(any_text, st.sampled_from(["000000", "12345", "1234567", "abcdefgh", "ABCD-EFGH", "١٢٣٤٥٦"])))
def test_two_factor_code_never_errors_on_arbitrary_text(cfs_worker_user, code):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from earlyhelp.accounts.otp import totp_code_now

    device, _ = TOTPDevice.objects.get_or_create(user=cfs_worker_user, defaults={"name": "App", "confirmed": True})
    assume(code.strip() != totp_code_now(key=device.key))
    client = Client()
    client.post(reverse("accounts:login"), {"username": cfs_worker_user.email, "password": PASSWORD})
    response = client.post(reverse("accounts:two_factor_code"), {"code": code, "next": "/families/"})
    event(f"status {response.status_code}")
    assert_refused_with_summary(response)
    assert client.get(reverse("core:home")).status_code == 302


@fuzz
@given(code=st.one_of(any_text, st.sampled_from(["000000", "12345", "9" * 30])))
def test_two_factor_set_up_never_errors_on_arbitrary_text(partner_user, code):
    client = Client()
    client.post(reverse("accounts:login"), {"username": partner_user.email, "password": PASSWORD})
    client.get(reverse("accounts:two_factor_enrol"))
    response = client.post(reverse("accounts:two_factor_enrol"), {"code": code})
    assume(response.status_code != 302)  # the one code in a million that is the new app's
    assert_refused_with_summary(response)


@st.composite
def search_query(draw) -> dict[str, str]:
    """Plausible criteria (any may be blank), with up to two fields swapped for something hostile."""
    born = draw(st.one_of(st.none(), st.just(date(2015, 3, 2)), good_dates))
    query = {
        "name": draw(st.sampled_from(["", "Ownteam", "pat ownteam", "Owntaem", "Zoë", "%", "_"])),
        **_date_fields("date_of_birth", born),
        "nhs_number": draw(st.one_of(st.just(""), valid_nhs)),
        "postcode": draw(st.sampled_from(["", "YO31 1AA", "yo311aa"])),
        "page": draw(st.sampled_from(["", "1", "2"])),
    }
    bad = {
        "name": any_text,
        "date_of_birth_0": date_part,
        "date_of_birth_1": date_part,
        "date_of_birth_2": date_part,
        "nhs_number": nhs_input,
        "postcode": postcode_input,
        "page": st.one_of(st.integers(min_value=-2, max_value=10**30).map(str), any_text),
    }
    for name in draw(st.sets(st.sampled_from(sorted(bad)), max_size=2)):
        query[name] = draw(bad[name])
    return query


@fuzz
@given(query=search_query())
def test_search_never_errors_on_arbitrary_criteria(world, cfs_worker_client, query):
    response = cfs_worker_client.post(reverse("cases:search"), query, follow=True)
    event(f"status {response.status_code}")
    assert response.status_code == 200
    event("search refused" if response.context["form"].errors else "search ran")
    if response.context["form"].errors:
        assert_refused_with_summary(response)
    else:
        assert ERROR_SUMMARY not in _html(response)
        assert response.context["page"] is not None


@fuzz
@given(data=family_post())
def test_family_create_never_errors_on_arbitrary_text(world, cfs_worker_client, data):
    before = _counts()
    response = cfs_worker_client.post(reverse("cases:family_create"), _resolve(data, world["tokens"]))
    event(f"status {response.status_code}")
    if response.status_code == 302:
        assert _counts() == before | {"Family": before["Family"] + 1}
        family = Family.objects.latest("id")
        page = cfs_worker_client.get(response["Location"])
        assert page.status_code == 200
        assert_shown_escaped(_html(page), family.name)
    else:
        assert_refused_with_summary(response)
        assert _counts() == before


@fuzz
@given(data=family_post())
def test_family_edit_never_errors_and_never_half_saves(world, cfs_worker_client, data):
    family = world["family"]
    Family.objects.filter(pk=family.pk).update(
        name="Ownteam", postcode="YO31 1AA", local_area_team=world["lats"]["tang-hall"], team_overridden=False
    )
    before = _row(family)
    response = cfs_worker_client.post(reverse("cases:family_edit", args=[family.uuid]), _resolve(data, world["tokens"]))
    event(f"status {response.status_code}")
    if response.status_code == 302:
        after = _row(family)
        if after["local_area_team_id"] == world["lats"]["tang-hall"].pk:
            page = cfs_worker_client.get(response["Location"])
            assert page.status_code == 200
            assert_shown_escaped(_html(page), after["name"])
    else:
        assert_refused_with_summary(response)
        assert _row(family) == before


@fuzz
@given(
    data=person_post(member=True),
    existing=st.sampled_from(["", "", "", "MEMBER", "NEIGHBOUR", "HIDDEN", "RANDOM_UUID", "not-a-uuid", "\x00"]),
)
def test_family_member_add_never_errors_and_never_half_saves(world, cfs_worker_client, data, existing):
    family = world["family"]
    post = _resolve(data, world["tokens"])
    if existing:
        post["existing_person"] = str(world["tokens"].get(existing, existing))
    before = _counts()
    response = cfs_worker_client.post(reverse("cases:family_member_add", args=[family.uuid]), post)
    event(f"status {response.status_code}")
    after = _counts()
    if response.status_code == 404:
        assert existing in ("HIDDEN", "RANDOM_UUID")
        assert after == before
    elif response.status_code == 302:
        added = 0 if existing else 1
        assert after["Person"] == before["Person"] + added
        assert after["FamilyMember"] == before["FamilyMember"] + 1
        member = FamilyMember.objects.filter(family=family).latest("id")
        for url in (response["Location"], reverse("cases:person_detail", args=[member.person.uuid])):
            page = cfs_worker_client.get(url)
            assert page.status_code == 200
            assert_shown_escaped(_html(page), member.person.full_name)
    else:
        assert response.status_code == 200
        assert after == before, "a refused add-member POST must save nothing"
        if response.context["form"].errors:
            assert_refused_with_summary(response)
        else:  # the duplicate check: possible matches shown, nothing saved yet
            assert 'id="possible-matches"' in _html(response)
            assert not existing


@fuzz
@given(data=person_post(member=False))
def test_person_edit_never_errors_and_never_half_saves(world, cfs_worker_client, data):
    person = world["person"]
    before = _row(person)
    response = cfs_worker_client.post(reverse("cases:person_edit", args=[person.uuid]), _resolve(data, world["tokens"]))
    event(f"status {response.status_code}")
    if response.status_code == 302:
        page = cfs_worker_client.get(response["Location"])
        assert page.status_code == 200
        assert_shown_escaped(_html(page), Person.objects.get(pk=person.pk).full_name)
    else:
        assert_refused_with_summary(response)
        assert _row(person) == before


@fuzz
@given(
    role=choice_input(FamilyMember.Role.values),
    in_household=checkbox,
    parental_responsibility=checkbox,
    main_carer=checkbox,
)
def test_family_member_role_edit_never_errors_and_never_half_saves(
    world, cfs_worker_client, role, in_household, parental_responsibility, main_carer
):
    member = world["member"]
    before = _row(member)
    post = {
        "role": role,
        "in_household": in_household,
        "parental_responsibility": parental_responsibility,
        "main_carer": main_carer,
    }
    response = cfs_worker_client.post(
        reverse("cases:family_member_edit", args=[world["family"].uuid, member.uuid]), post
    )
    event(f"status {response.status_code}")
    if response.status_code == 302:
        assert _row(member)["role"] == role
    else:
        assert_refused_with_summary(response)
        assert _row(member) == before


@st.composite
def relationship_post(draw) -> dict[str, str]:
    """Two different members and a real kind, with up to two fields swapped for something hostile."""
    person, relative = draw(st.permutations(["A", "B", "C"]))[:2]
    data = {"person": person, "kind": draw(st.sampled_from(Relationship.Kind.values)), "relative": relative}
    bad = {
        "person": st.one_of(st.sampled_from(["A", "OUTSIDER"]), pk_garbage),
        "kind": choice_input(Relationship.Kind.values),
        "relative": st.one_of(st.sampled_from(["A", "OUTSIDER"]), pk_garbage),
    }
    for name in draw(st.sets(st.sampled_from(sorted(bad)), max_size=2)):
        data[name] = draw(bad[name])
    return data


@fuzz
@given(data=relationship_post())
def test_relationship_add_never_errors_on_arbitrary_choices(world, cfs_worker_client, data):
    person, relative = data["person"], data["relative"]
    family = world["family"]
    post = _resolve(data, world["tokens"])
    before = _counts()
    response = cfs_worker_client.post(reverse("cases:relationship_add", args=[family.uuid]), post)
    event(f"status {response.status_code}")
    if response.status_code == 302:
        assert _counts() == before | {"Relationship": before["Relationship"] + 1}
        assert person in ("A", "B", "C") and relative in ("A", "B", "C") and person != relative
        page = cfs_worker_client.get(response["Location"])
        assert page.status_code == 200
    else:
        assert_refused_with_summary(response)
        assert _counts() == before


@st.composite
def involvement_post(draw) -> dict[str, str]:
    """A plausible involvement, with up to three fields swapped for something hostile."""
    started = draw(st.one_of(st.none(), good_dates))
    ended = draw(st.one_of(st.none(), st.dates(min_value=started or date(1950, 1, 1), max_value=today)))
    data = {
        "agency": draw(st.sampled_from(["SCHOOL", "GP", "COUNCIL"])),
        "person": draw(st.sampled_from(["", "A", "B"])),
        "practitioner_name": draw(st.one_of(st.just(""), plain_name)),
        "practitioner_role": draw(st.sampled_from(["", "Health visitor", "SENCO"])),
        "contact_details": draw(st.sampled_from(["", "01904 000000", "pat@example.org"])),
        **_date_fields("started_on", started),
        **_date_fields("ended_on", ended),
    }
    bad = {
        "agency": pk_garbage,
        "person": st.one_of(st.just("OUTSIDER"), pk_garbage),
        "practitioner_name": any_text,
        "practitioner_role": any_text,
        "contact_details": any_text,
        **{f"{prefix}_{i}": date_part for prefix in ("started_on", "ended_on") for i in range(3)},
    }
    for name in draw(st.sets(st.sampled_from(sorted(bad)), max_size=3)):
        data[name] = draw(bad[name])
    return data


@fuzz
@given(data=involvement_post())
def test_involvement_add_never_errors_on_arbitrary_input(world, cfs_worker_client, data):
    family = world["family"]
    before = _counts()
    response = cfs_worker_client.post(
        reverse("cases:involvement_add", args=[family.uuid]), _resolve(data, world["tokens"])
    )
    event(f"status {response.status_code}")
    if response.status_code == 302:
        assert _counts() == before | {"ProfessionalInvolvement": before["ProfessionalInvolvement"] + 1}
        involvement = ProfessionalInvolvement.objects.latest("id")
        page = cfs_worker_client.get(response["Location"])
        assert page.status_code == 200
        for value in (involvement.practitioner_name, involvement.practitioner_role, involvement.contact_details):
            if value:
                assert_shown_escaped(_html(page), value)
    else:
        assert_refused_with_summary(response)
        assert _counts() == before


# ---------------------------------------------------------------------------------------------
# Stored text is escaped wherever it is shown
# ---------------------------------------------------------------------------------------------

ESCAPED_XSS = "&lt;script&gt;alert(1)&lt;/script&gt;"


def _member_post(**overrides) -> dict[str, str]:
    data = {
        "role": "parent",
        "first_name": "Alex",
        "middle_names": "",
        "last_name": "Example",
        "other_names": "",
        **_date_fields("date_of_birth", date(1990, 5, 17)),
        **_date_fields("expected_date_of_birth", None),
        "sex": "female",
        "ethnicity": "NOBT",
        "first_language": "",
        "sen_status": "none",
        "school": "",
        "gp_practice": "",
        "nhs_number": "",
        "upn": "",
        "in_household": "on",
    }
    return data | overrides


def _add_member(client, family, **overrides):
    return client.post(reverse("cases:family_member_add", args=[family.uuid]), _member_post(**overrides))


def _family_post(**overrides) -> dict[str, str]:
    return {"name": "Example", "address_line_1": "1 Example Street", "town": "York", "postcode": "YO31 1AA"} | overrides


def test_family_name_markup_is_escaped_wherever_it_is_shown(world, cfs_worker_client):
    response = cfs_worker_client.post(
        reverse("cases:family_create"), _family_post(name=XSS, address_line_1=f"1 {XSS} Street")
    )
    assert response.status_code == 302
    family = Family.objects.get(name=XSS)
    for url in (
        reverse("cases:family_detail", args=[family.uuid]),
        reverse("cases:family_list"),
        reverse("cases:family_edit", args=[family.uuid]),
        reverse("cases:family_history", args=[family.uuid]),
        reverse("cases:family_member_add", args=[family.uuid]),
        reverse("cases:involvement_add", args=[family.uuid]),
    ):
        html = _html(cfs_worker_client.get(url))
        assert XSS not in html, url
        assert ESCAPED_XSS in html, url


def test_person_name_markup_is_escaped_wherever_it_is_shown(world, cfs_worker_client):
    family = world["family"]
    response = _add_member(cfs_worker_client, family, first_name=XSS, other_names=XSS, first_language=XSS)
    assert response.status_code == 302
    person = Person.objects.get(first_name=XSS)
    pages = {
        "family page with success banner": cfs_worker_client.get(response["Location"]),
        "person page": cfs_worker_client.get(reverse("cases:person_detail", args=[person.uuid])),
        "person edit": cfs_worker_client.get(reverse("cases:person_edit", args=[person.uuid])),
        "person history": cfs_worker_client.get(reverse("cases:person_history", args=[person.uuid])),
        "family history": cfs_worker_client.get(reverse("cases:family_history", args=[family.uuid])),
        "relationship form": cfs_worker_client.get(reverse("cases:relationship_add", args=[family.uuid])),
        "search results": cfs_worker_client.post(reverse("cases:search"), {"name": "script"}, follow=True),
        "duplicate check": _add_member(cfs_worker_client, family, first_name=XSS),
    }
    for label, page in pages.items():
        assert page.status_code == 200, label
        html = _html(page)
        assert XSS not in html, label
        assert ESCAPED_XSS in html, label
    assert 'id="possible-matches"' in _html(pages["duplicate check"])


@fuzz
@given(
    text=st.builds(
        lambda a, b: a + b,
        st.sampled_from(["<b>", "<script>", '"><svg onload=alert(1)>', "</textarea><i>", "<!--", "&amp;<"]),
        st.text(alphabet=st.characters(exclude_categories=["Cs", "Cc"]), max_size=30),
    ).filter(lambda t: len(t.strip()) <= 100)
)
def test_any_stored_markup_is_shown_escaped(world, cfs_worker_client, text):
    person = world["person"]
    response = cfs_worker_client.post(
        reverse("cases:person_edit", args=[person.uuid]),
        _member_post(first_name=text, last_name="Ownteam", other_names=text),
    )
    assert response.status_code == 302
    stored = Person.objects.get(pk=person.pk)
    html = _html(cfs_worker_client.get(reverse("cases:person_detail", args=[person.uuid])))
    assert_shown_escaped(html, stored.first_name)
    assert_shown_escaped(html, stored.other_names)


# ---------------------------------------------------------------------------------------------
# Real names and real dates are accepted; impossible ones refused with a clear message
# ---------------------------------------------------------------------------------------------

REAL_NAMES = ["O'Brien", "Zoë", "Nguyễn", "D'Arcy-Smith", "Ní Bhriain", "Müller-Lüdenscheidt", "李", "İbrahim", "Ó Sé"]


@pytest.mark.parametrize("name", REAL_NAMES)
def test_names_with_apostrophes_accents_and_hyphens_are_accepted(world, cfs_worker_client, name):
    response = _add_member(cfs_worker_client, world["family"], first_name=name, last_name=name)
    assert response.status_code == 302
    person = Person.objects.get(first_name=name, last_name=name)
    html = _html(cfs_worker_client.get(reverse("cases:person_detail", args=[person.uuid])))
    assert escape(f"{name} {name}") in html

    response = cfs_worker_client.post(reverse("cases:family_create"), _family_post(name=name))
    assert response.status_code == 302
    assert Family.objects.filter(name=name).exists()


def test_29_february_in_a_leap_year_is_accepted(world, cfs_worker_client):
    response = _add_member(cfs_worker_client, world["family"], **_date_fields("date_of_birth", date(2016, 2, 29)))
    assert response.status_code == 302
    assert Person.objects.filter(date_of_birth=date(2016, 2, 29)).exists()


@pytest.mark.parametrize(
    ("day", "month", "year"),
    [("29", "2", "2015"), ("31", "4", "2016"), ("0", "1", "2016"), ("1", "13", "2016"), ("1", "1", "0")],
)
def test_impossible_date_of_birth_is_refused_as_not_a_real_date(world, cfs_worker_client, day, month, year):
    before = _counts()
    response = _add_member(
        cfs_worker_client, world["family"], date_of_birth_0=day, date_of_birth_1=month, date_of_birth_2=year
    )
    assert_refused_with_summary(response)
    assert "The date of birth must be a real date" in _html(response)
    assert _counts() == before


@pytest.mark.parametrize("days_ahead", [1, 365, 365 * 50])
def test_date_of_birth_in_the_future_is_refused(world, cfs_worker_client, days_ahead):
    before = _counts()
    born = timezone.localdate() + timedelta(days=days_ahead)
    response = _add_member(cfs_worker_client, world["family"], **_date_fields("date_of_birth", born))
    assert_refused_with_summary(response)
    assert "Date of birth must be today or in the past" in _html(response)
    assert _counts() == before


def test_date_of_birth_in_the_future_is_refused_on_edit_too(world, cfs_worker_client):
    person = world["person"]
    before = _row(person)
    born = timezone.localdate() + timedelta(days=1)
    response = cfs_worker_client.post(
        reverse("cases:person_edit", args=[person.uuid]),
        _member_post(first_name="Pat", last_name="Ownteam", **_date_fields("date_of_birth", born)),
    )
    assert_refused_with_summary(response)
    assert "Date of birth must be today or in the past" in _html(response)
    assert _row(person) == before


@pytest.mark.parametrize("field", ["first_name", "middle_names", "last_name"])
def test_person_names_over_100_characters_are_refused_with_the_limit(world, cfs_worker_client, field):
    before = _counts()
    response = _add_member(cfs_worker_client, world["family"], **{field: "a" * 101})
    assert_refused_with_summary(response)
    assert "must be 100 characters or fewer" in _html(response)
    assert _counts() == before

    response = _add_member(cfs_worker_client, world["family"], **{field: "b" * 100})
    assert response.status_code == 302


def test_family_name_over_100_characters_is_refused_with_the_limit(world, cfs_worker_client):
    before = _counts()
    response = cfs_worker_client.post(reverse("cases:family_create"), _family_post(name="a" * 101))
    assert_refused_with_summary(response)
    assert "Family name must be 100 characters or fewer" in _html(response)
    assert _counts() == before


@fuzz
@given(
    first=st.text(
        alphabet=st.one_of(st.characters(categories=["L"]), st.sampled_from("İ'- ")), min_size=1, max_size=100
    ),
    last=st.text(
        alphabet=st.one_of(st.characters(categories=["L"]), st.sampled_from("İ'- ")), min_size=1, max_size=100
    ),
)
def test_any_name_of_letters_within_the_limit_is_accepted(world, cfs_worker_client, first, last):
    assume(first.strip() and last.strip())
    response = cfs_worker_client.post(
        reverse("cases:person_edit", args=[world["person"].uuid]), _member_post(first_name=first, last_name=last)
    )
    assert response.status_code == 302
    person = Person.objects.get(pk=world["person"].pk)
    assert (person.first_name, person.last_name) == (first.strip(), last.strip())


@pytest.mark.parametrize("path", ["add", "edit"])
def test_longest_names_with_a_turkish_dotted_capital_i_are_accepted(world, cfs_worker_client, path):
    """Two names within their limits must save, even when lower-casing makes the search name longer."""
    first, last = "İ" + "a" * 99, "b" * 100
    if path == "add":
        response = _add_member(cfs_worker_client, world["family"], first_name=first, last_name=last)
    else:
        response = cfs_worker_client.post(
            reverse("cases:person_edit", args=[world["person"].uuid]), _member_post(first_name=first, last_name=last)
        )
    assert response.status_code == 302
    assert Person.objects.filter(first_name=first, last_name=last).exists()


# ---------------------------------------------------------------------------------------------
# NUL characters: refused by the form, so PostgreSQL never sees them
# ---------------------------------------------------------------------------------------------

MEMBER_TEXT_FIELDS = ["first_name", "middle_names", "last_name", "other_names", "first_language", "nhs_number", "upn"]
FAMILY_TEXT_FIELDS = ["name", "address_line_1", "address_line_2", "town", "postcode"]


@pytest.mark.parametrize("field", [*MEMBER_TEXT_FIELDS, "date_of_birth_0", "date_of_birth_2", "role", "sex"])
def test_nul_character_in_a_new_member_is_refused_and_nothing_saved(world, cfs_worker_client, field):
    before = _counts()
    value = _member_post().get(field, "") + "\x00"
    response = _add_member(cfs_worker_client, world["family"], **{field: value})
    assert_refused_with_summary(response)
    assert _counts() == before


@pytest.mark.parametrize("field", FAMILY_TEXT_FIELDS)
def test_nul_character_in_a_family_is_refused_and_nothing_saved(world, cfs_worker_client, field):
    before = _counts()
    value = _family_post().get(field, "") + "\x00"
    response = cfs_worker_client.post(reverse("cases:family_create"), _family_post(**{field: value}))
    assert_refused_with_summary(response)
    assert _counts() == before
    family = world["family"]
    before_row = _row(family)
    response = cfs_worker_client.post(reverse("cases:family_edit", args=[family.uuid]), _family_post(**{field: value}))
    assert_refused_with_summary(response)
    assert _row(family) == before_row


@pytest.mark.parametrize("field", ["name", "nhs_number", "postcode", "date_of_birth_2"])
def test_nul_character_in_a_search_is_refused(world, cfs_worker_client, field):
    response = cfs_worker_client.post(reverse("cases:search"), {field: "Own\x00"}, follow=True)
    assert_refused_with_summary(response)


@pytest.mark.parametrize("field", ["username", "password"])
def test_nul_character_in_sign_in_is_refused(cfs_worker_user, field):
    data = {"username": cfs_worker_user.email, "password": PASSWORD} | {field: "a\x00b"}
    response = Client().post(reverse("accounts:login"), data)
    assert_refused_with_summary(response)
