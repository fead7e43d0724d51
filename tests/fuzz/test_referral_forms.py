"""Bad input through every form of the MASH front door, posted to the real views as the persona who uses it.

Hypothesis builds a plausible post for each form, then swaps a few fields for something hostile: markup,
quotes, names such as O'Brien, Zoë and Nguyễn, NUL, very long text, made-up choices and primary keys,
impossible dates (29 February in a common year, day 0, year 0001 or 9999, missing parts) and times such
as 25:61. Whatever arrives, the service answers with the form again (200, with a GOV.UK error summary
naming every problem, nothing saved) or a redirect; never a server error. Text that was saved is shown
escaped on the page that displays it.

Symbolic tokens ("CHILD", "APPROVER", "SERVICE"...) stand for rows the fixture creates; `_resolve` swaps
them for primary keys or references, so the strategies can be built before the database is.

The rules the front door must enforce (no child, no concern, a received time in the future, a decision
without rationale, early help without a Local Area Team, a child outside York) have their own tests below.
"""

import os
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

from assessments.models import EarlyHelpAssessment
from cases.models import Episode, Family, FamilyMember, Person, Transfer
from consent.models import ConsentRecord, DisclosureLog
from earlyhelp.core.codes import LevelOfNeed
from referrals.models import ConcernFlag, Contact, ContactChild, ContactSource, MashDecision, Rag, RagRating
from referrals.services import OUTSIDE_AUTHORITY_NOTE
from tests.factories import (
    AssessmentFactory,
    ContactChildFactory,
    ContactFactory,
    EpisodeFactory,
    FamilyFactory,
    FamilyMemberFactory,
    PersonFactory,
    PostcodeSectorFactory,
    ServiceFactory,
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
Status = Contact.Status
Outcome = MashDecision.Outcome
Basis = MashDecision.ConsentBasis

# ---------------------------------------------------------------------------------------------
# Strategies
# ---------------------------------------------------------------------------------------------

SPECIAL_TEXT = [
    "",
    " ",
    "\x00",
    "Smith\x00",
    "\t\r\n",
    "\u202eevil",
    "\ufeffBOM",
    "\u200b",
    "\U0001d518\U0001d52b\U0001d526 \U0001f600",
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
    "a" * 151,
    "a" * 8001,
]
long_text = st.builds(lambda ch, n: ch * n, st.characters(), st.integers(min_value=90, max_value=9000))
any_text = st.one_of(st.text(max_size=40), st.sampled_from(SPECIAL_TEXT), long_text)

# What a practitioner might really type, markup and all: what is saved must come back escaped.
prose = st.sampled_from(
    [
        "Attendance has fallen to 70% and Zoë says there is no food at home.",
        'Mum (Ms O\'Brien) asked for help with "routines" & bedtimes.',
        "Nguyễn children arrive hungry; <b>dad</b> works nights.",
        XSS,
        '"><img src=x onerror=alert(1)>',
        "{{ 7|add:7 }} {% now 'Y' %}",
        "Line one\r\nLine two\n\tindented",
    ]
)
plain_name = st.sampled_from(["Alex", "Sam", "Zoë", "O'Brien", "Nguyễn", "D'Arcy-Smith", "Ní Bhriain", XSS])
checkbox = st.sampled_from(["", "on", "true", "false", "False", "0", "1", "yes", "\x00"])
pk_garbage = st.one_of(
    st.sampled_from(["", "0", "-1", "1.5", "abc", "\x00", "99999999999999999999999", "1 OR 1=1"]),
    st.text(max_size=8),
)
date_part = st.one_of(
    st.integers(min_value=-5, max_value=10_000).map(str),
    st.sampled_from(["", " 7 ", "02", "29", "2016", "0", "00", "0001", "9999", "1e3", "٢٠١٦", "9" * 50, "\x00", "-1"]),
    st.text(max_size=6),
)
time_input = st.one_of(
    st.sampled_from(
        [
            *("09:30", "0:05", "9.45", "23:59", "24:00", "25:61", "12:60", "-1:00", "", " ", "12", "1230"),
            *("12:3", "12:30:00", "١٢:٣٠", "\x00", "noon", "9:30am"),
        ]
    ),
    st.from_regex(r"\A[0-9]{1,2}[:.][0-9]{2}\Z"),
    st.text(max_size=6),
)


def choice_input(values) -> st.SearchStrategy[str]:
    """A real choice half the time; otherwise blank, NUL, a near miss or any text."""
    values = [str(v) for v in values]
    bad = st.one_of(st.sampled_from(["", "\x00", "nonsense", values[0].upper(), f" {values[0]}"]), any_text)
    return st.one_of(st.sampled_from(values), bad)


def _parts(day: date) -> tuple[str, str, str]:
    return str(day.day), str(day.month), str(day.year)


def days_from_today(low: int, high: int) -> st.SearchStrategy[tuple[str, str, str]]:
    """A real date `low` to `high` days from today (drawn when the example runs, so never stale)."""
    return st.integers(min_value=low, max_value=high).map(lambda n: _parts(timezone.localdate() + timedelta(days=n)))


# Dates no form should choke on: 29 February in a leap and a common year, 31 April, the first and last
# days Python can hold, the far future, day and month 0.
ODD_DATES = st.sampled_from(
    [
        ("29", "2", "2024"),
        ("29", "2", "2028"),
        ("29", "2", "2023"),
        ("30", "2", "2024"),
        ("31", "4", "2025"),
        ("1", "1", "0001"),
        ("1", "1", "1"),
        ("31", "12", "9999"),
        ("1", "1", "2999"),
        ("0", "0", "0"),
        ("32", "13", "2024"),
    ]
)


@st.composite
def date_input(draw, *, low: int, high: int) -> tuple[str, str, str]:
    """Any date input: real dates near today, odd dates, a part missing, or garbage in each part."""
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


def _swap_some(draw, data: dict, bad: dict, max_size: int = 4) -> dict:
    """Swap up to `max_size` fields of a plausible post for hostile values."""
    for name in draw(st.sets(st.sampled_from(sorted(bad)), max_size=max_size)):
        data[name] = draw(bad[name])
    return data


@st.composite
def form_post(draw, *, plain: dict, bad: dict) -> dict:
    """A plausible post drawn from `plain`, with some fields swapped for values drawn from `bad`."""
    return _swap_some(draw, {name: draw(strategy) for name, strategy in plain.items()}, bad)


@st.composite
def contact_post(draw, *, mash: bool, new_family: bool = False, children=("CHILD", "SIBLING")) -> dict:
    """A contact or referral: the family page's form, or the MASH's, about a known or a new family."""
    consent_status = draw(st.sampled_from(Contact.ConsentStatus.values))
    data = {
        "concern": draw(prose),
        "source": draw(st.sampled_from(ContactSource.values)),
        "family_aware": draw(st.sampled_from(Contact.FamilyAware.values)),
        "consent_status": consent_status,
        "consent_reason": "" if consent_status == "given" else draw(prose),
        "requested_level": draw(st.sampled_from(["", *map(str, LevelOfNeed.values)])),
        "referrer_role": draw(st.sampled_from(["", "Class teacher", "Health visitor", XSS])),
        "referrer_telephone": draw(st.sampled_from(["", "01904 000000", "+44 7700 900123"])),
    }
    bad = {
        "concern": any_text,
        "source": choice_input(ContactSource.values),
        "family_aware": choice_input(Contact.FamilyAware.values),
        "consent_status": choice_input(Contact.ConsentStatus.values),
        "consent_reason": any_text,
        "requested_level": choice_input(LevelOfNeed.values),
        "referrer_role": any_text,
        "referrer_telephone": any_text,
    }
    if not new_family:
        data["children"] = draw(st.lists(st.sampled_from(children), min_size=1, max_size=2, unique=True))
        data["assessment"] = draw(st.sampled_from(["", "ASSESSMENT"]))
        bad["children"] = st.lists(
            st.one_of(st.sampled_from([*children, "PARENT", "HIDDEN_CHILD", "STRANGER"]), pk_garbage), max_size=3
        )
        bad["assessment"] = st.one_of(st.just("OTHER_ASSESSMENT"), pk_garbage)
    if mash:
        kind = draw(st.sampled_from(Contact.ReferrerKind.values[1:]))
        data |= {
            "received_on": draw(days_from_today(-30, -1)),
            "received_time": draw(st.sampled_from(["00:00", "08:15", "9.30", "16:45"])),
            "channel": draw(st.sampled_from(Contact.Channel.values)),
            "referrer_kind": kind,
            "referrer_name": draw(plain_name),
            "referrer_organisation": draw(st.sampled_from(["", "Tang Hall Primary", "St Mary's <Surgery>"])),
            "referrer_email": draw(st.sampled_from(["", "pat@example.org", "o'brien@example.org"])),
        }
        bad |= {
            "received_on": date_input(low=-800, high=800),
            "received_time": time_input,
            "channel": choice_input(Contact.Channel.values),
            "referrer_kind": choice_input(Contact.ReferrerKind.values),
            "referrer_name": any_text,
            "referrer_organisation": any_text,
            "referrer_email": st.one_of(any_text, st.just("a@" + "b" * 300 + ".org")),
        }
    if new_family:
        data |= {
            "family_name": draw(plain_name),
            "address_line_1": draw(st.sampled_from(["", "1 Example Street", "Flat 2 <b>", "12 O'Connell Way"])),
            "postcode": draw(st.sampled_from(["YO31 1AA", "yo301aa", " YO24 1AB ", "LS1 4AP", "SW1A 1AA"])),
            "confirm_new": draw(st.sampled_from(["", "on"])),
        }
        bad |= {
            "family_name": any_text,
            "address_line_1": any_text,
            "postcode": st.one_of(st.sampled_from(["ZZ99 9ZZ", "YO31  1AA", "Y031 1AA", "YO3 11AA"]), any_text),
            "confirm_new": checkbox,
        }
        rows = draw(st.integers(min_value=1, max_value=3))
        for row in range(1, 4):
            filled = row <= rows
            data |= {
                f"child_{row}_first_name": draw(plain_name) if filled else "",
                f"child_{row}_last_name": draw(plain_name) if filled else "",
                f"child_{row}_date_of_birth": draw(days_from_today(-6000, -1)) if filled else ("", "", ""),
            }
            bad |= {
                f"child_{row}_first_name": any_text,
                f"child_{row}_last_name": any_text,
                f"child_{row}_date_of_birth": date_input(low=-8000, high=400),
            }
    return _swap_some(draw, data, bad)


@st.composite
def decision_post(draw) -> dict:
    """A MASH manager's decision whose consent basis, team, services and override fit its outcome."""
    outcome = draw(st.sampled_from(Outcome.values))
    basis = draw(
        st.sampled_from(
            [Basis.NOT_NEEDED, Basis.HELD] if outcome in MashDecision.NO_SHARING else [Basis.HELD, Basis.DISPENSED]
        )
    )
    dispensed = basis == Basis.DISPENSED
    data = {
        "level": draw(st.sampled_from([str(v) for v in LevelOfNeed.values])),
        "outcome": outcome,
        "local_area_team": "TANG_HALL"
        if outcome in MashDecision.EARLY_HELP
        else draw(st.sampled_from(["", "HOB_MOOR"])),
        "services": ["SERVICE"] if outcome == Outcome.SIGNPOSTING else draw(st.lists(st.just("SERVICE"), max_size=1)),
        "rationale": draw(prose),
        "next_steps": draw(prose),
        "consent_basis": basis,
        "override_reason": draw(st.sampled_from(ConsentRecord.OverrideReason.values)) if dispensed else "",
        "override_detail": draw(prose) if dispensed else "",
        "override_approver": "APPROVER" if dispensed else "",
        "override_review_on": draw(days_from_today(1, 90)) if dispensed else ("", "", ""),
    }
    bad = {
        "level": choice_input(LevelOfNeed.values),
        "outcome": choice_input(Outcome.values),
        "local_area_team": st.one_of(st.sampled_from(["TANG_HALL", "HOB_MOOR", "CLIFTON"]), pk_garbage),
        "services": st.lists(
            st.one_of(st.sampled_from(["SERVICE", "OTHER_SERVICE", "CLOSED_SERVICE"]), pk_garbage), max_size=3
        ),
        "rationale": any_text,
        "next_steps": any_text,
        "consent_basis": choice_input(Basis.values),
        "override_reason": choice_input(ConsentRecord.OverrideReason.values),
        "override_detail": any_text,
        "override_approver": st.one_of(st.sampled_from(["APPROVER", "SELF", "SCREENER"]), pk_garbage),
        "override_review_on": date_input(low=-30, high=4000),
    }
    return _swap_some(draw, data, bad, max_size=3)


# ---------------------------------------------------------------------------------------------
# Fixtures and helpers
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def front_door(
    lats,
    own_family,
    other_family,
    granted_family,
    partner_user,
    mash_screener_user,
    mash_manager_user,
    second_mash_manager_user,
    cfs_worker_user,
    lat_manager_user,
    other_lat_user,
):
    """Postcode sectors, children, services and assessments: the rows the symbolic tokens stand for."""
    PostcodeSectorFactory(code="YO31", local_area_team=lats["tang-hall"])
    PostcodeSectorFactory(code="YO30", local_area_team=lats["clifton"])
    PostcodeSectorFactory(code="YO24", local_area_team=lats["hob-moor"])

    def member(family, first, last, **fields):
        return FamilyMemberFactory(family=family, person=PersonFactory(first_name=first, last_name=last, **fields))

    child = member(own_family, "Zoë", "O'Brien").person
    sibling = member(own_family, "Minh", "Nguyễn", date_of_birth=date(2016, 2, 29)).person
    parent = FamilyMemberFactory(
        family=own_family, role=FamilyMember.Role.PARENT, person=PersonFactory(date_of_birth=date(1988, 6, 1))
    ).person
    hidden = member(own_family, "Hidden", "Child", restricted=True).person
    granted_child = member(granted_family, "Siobhán", "D'Arcy").person
    stranger = member(other_family, "Sam", "Stranger").person
    service = ServiceFactory(name="Fuzz Family Hub", local_area_teams=[lats["tang-hall"]])
    other_service = ServiceFactory(name="Fuzz Hob Moor Hub", local_area_teams=[lats["hob-moor"]])
    closed_service = ServiceFactory(name="Fuzz Closed Hub", active=False, local_area_teams=[lats["tang-hall"]])
    assessment = AssessmentFactory(family=granted_family, status=EarlyHelpAssessment.Status.DRAFT)
    own_assessment = AssessmentFactory(family=own_family, status=EarlyHelpAssessment.Status.DRAFT)
    tokens = {
        "CHILD": child.pk,
        "SIBLING": sibling.pk,
        "PARENT": parent.pk,
        "HIDDEN_CHILD": hidden.pk,
        "GRANTED_CHILD": granted_child.pk,
        "STRANGER": stranger.pk,
        "TANG_HALL": lats["tang-hall"].pk,
        "HOB_MOOR": lats["hob-moor"].pk,
        "CLIFTON": lats["clifton"].pk,
        "SERVICE": service.pk,
        "OTHER_SERVICE": other_service.pk,
        "CLOSED_SERVICE": closed_service.pk,
        "APPROVER": second_mash_manager_user.pk,
        "SELF": mash_manager_user.pk,
        "SCREENER": mash_screener_user.pk,
        "WORKER": cfs_worker_user.pk,
        "MANAGER": lat_manager_user.pk,
        "OTHER_WORKER": other_lat_user.pk,
        "PARTNER": partner_user.pk,
    }
    return {
        "tokens": tokens,
        "family": own_family,
        "granted_family": granted_family,
        "child": child,
        "sibling": sibling,
        "granted_child": granted_child,
        "stranger": stranger,
        "partner": partner_user,
        "assessments": {"granted": assessment, "own": own_assessment},
    }


def _tokens(world, **extra) -> dict:
    return world["tokens"] | extra


def _resolve(data: dict, tokens: dict) -> dict:
    """Swap tokens for real values, and spread (day, month, year) tuples over a date input's three fields."""
    resolved = {}
    for key, value in data.items():
        if isinstance(value, tuple):
            resolved |= {f"{key}_{i}": part for i, part in enumerate(value)}
        elif isinstance(value, list):
            resolved[key] = [str(tokens.get(item, item)) for item in value]
        else:
            resolved[key] = str(tokens.get(value, value))
    return resolved


def _html(response) -> str:
    return response.content.decode()


def _counts() -> dict[str, int]:
    models = (
        Family,
        Person,
        FamilyMember,
        Contact,
        ContactChild,
        RagRating,
        MashDecision,
        ConsentRecord,
        DisclosureLog,
        Episode,
        Transfer,
        ConcernFlag,
    )
    return {model.__name__: model.objects.count() for model in models}


def assert_answered(response) -> None:
    event(f"status {response.status_code}")
    assert response.status_code in (200, 302), f"status {response.status_code}"


def assert_refused_with_summary(response) -> None:
    """A refused form: 200, a GOV.UK error summary, and every error's message on the page."""
    assert response.status_code == 200
    html = _html(response)
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
    if "<" in value and len(value) >= 8:  # a shorter one ("<", "</", "<a") is in every page's own markup
        assert value not in html, f"shown unescaped: {value[:80]!r}"


def _contact(world, *, status=Status.RECEIVED, rag="", outside=False, family=None, child=None, **fields) -> Contact:
    """A contact about the Tang Hall child (or a child outside York), referred by the partner practitioner."""
    family = family or world["family"]
    place = {"family": None, "postcode": "LS1 4AP", "local_area_team": None} if outside else {"family": family}
    contact = ContactFactory(
        referrer_user=world["partner"],
        status=status,
        rag=rag,
        information_gathered="Known to school; no police concerns." if status == Status.AWAITING_DECISION else "",
        **place,
        **fields,
    )
    ContactChildFactory(contact=contact, person=child or world["child"])
    return contact


any_status = st.sampled_from(
    [
        *(Status.RECEIVED, Status.SCREENING, Status.AWAITING_DECISION, Status.AWAITING_DECISION),
        *(Status.DECIDED, Status.WITHDRAWN, Status.DUPLICATE),
    ]
)


def _detail(client, contact: Contact) -> str:
    page = client.get(reverse("referrals:contact_detail", kwargs={"uuid": contact.uuid}))
    assert page.status_code == 200
    return _html(page)


# ---------------------------------------------------------------------------------------------
# Recording a contact: never a server error, never half-saved, shown escaped
# ---------------------------------------------------------------------------------------------


@fuzz
@given(data=contact_post(mash=False, children=("GRANTED_CHILD",)))
def test_refer_never_errors_on_arbitrary_input(front_door, partner_client, data):
    family = front_door["granted_family"]
    tokens = _tokens(
        front_door,
        ASSESSMENT=front_door["assessments"]["granted"].pk,
        OTHER_ASSESSMENT=front_door["assessments"]["own"].pk,
    )
    before = _counts()
    response = partner_client.post(reverse("referrals:refer", kwargs={"uuid": family.uuid}), _resolve(data, tokens))
    assert_answered(response)
    if response.status_code == 200:
        assert_refused_with_summary(response)
        assert _counts() == before
        return
    contact = Contact.objects.latest("id")
    assert _counts()["Contact"] == before["Contact"] + 1
    assert contact.family == family and contact.referrer_user == front_door["partner"]
    page = partner_client.get(response["Location"])
    assert page.status_code == 200
    html = _html(page)
    assert_shown_escaped(html, contact.concern)
    for child in contact.children.select_related("person"):
        assert_shown_escaped(html, child.person.full_name)


@fuzz
@given(data=contact_post(mash=True))
def test_contact_new_never_errors_on_arbitrary_input(front_door, mash_screener_client, data):
    family = front_door["family"]
    tokens = _tokens(
        front_door,
        ASSESSMENT=front_door["assessments"]["own"].pk,
        OTHER_ASSESSMENT=front_door["assessments"]["granted"].pk,
    )
    before = _counts()
    url = reverse("referrals:contact_new", kwargs={"uuid": family.uuid})
    response = mash_screener_client.post(url, _resolve(data, tokens))
    assert_answered(response)
    if response.status_code == 200:
        assert_refused_with_summary(response)
        assert _counts() == before
        return
    contact = Contact.objects.latest("id")
    assert _counts()["Contact"] == before["Contact"] + 1
    assert contact.received_at <= timezone.now() + timedelta(minutes=1)
    html = _detail(mash_screener_client, contact)
    for value in (
        contact.concern,
        contact.consent_reason,
        contact.referrer_name,
        contact.referrer_organisation,
        contact.referrer_role,
        contact.referrer_telephone,
        contact.referrer_email,
    ):
        assert_shown_escaped(html, value)
    for child in contact.children.select_related("person"):
        assert child.person.memberships.filter(family=family).exists()
        assert not child.person.restricted
        assert_shown_escaped(html, child.person.full_name)


@fuzz
@given(data=contact_post(mash=True, new_family=True))
def test_contact_new_family_never_errors_on_arbitrary_input(front_door, mash_screener_client, data):
    before = _counts()
    response = mash_screener_client.post(reverse("referrals:contact_new_family"), _resolve(data, front_door["tokens"]))
    assert_answered(response)
    if response.status_code == 200:
        assert_refused_with_summary(response)
        assert _counts() == before
        return
    contact = Contact.objects.latest("id")
    after = _counts()
    assert after["Contact"] == before["Contact"] + 1
    assert after["Family"] == before["Family"] + (0 if contact.outside_authority else 1)
    html = _detail(mash_screener_client, contact)
    event("outside York" if contact.outside_authority else "in York")
    if contact.outside_authority:
        assert contact.family is None
        assert escape(OUTSIDE_AUTHORITY_NOTE.format(postcode=contact.postcode)) in html
    else:
        assert_shown_escaped(html, contact.family.name)
    assert_shown_escaped(html, contact.concern)
    assert_shown_escaped(html, contact.postcode)
    for child in contact.children.select_related("person"):
        assert_shown_escaped(html, child.person.full_name)


# ---------------------------------------------------------------------------------------------
# Screening: RAG rating, checks, duplicates and withdrawals
# ---------------------------------------------------------------------------------------------


@fuzz
@given(
    status=any_status,
    rag=st.sampled_from(["", *Rag.values]),
    data=form_post(
        plain={"rag": st.sampled_from(Rag.values), "reason": st.one_of(prose, st.just(""))},
        bad={"rag": choice_input(Rag.values), "reason": any_text},
    ),
)
def test_contact_rate_never_errors_on_arbitrary_input(front_door, mash_screener_client, status, rag, data):
    contact = _contact(front_door, status=status, rag=rag)
    before = _counts()
    response = mash_screener_client.post(reverse("referrals:contact_rate", kwargs={"uuid": contact.uuid}), data)
    assert_answered(response)
    if response.status_code == 200:
        assert_refused_with_summary(response)
        assert _counts() == before
        return
    contact.refresh_from_db()
    rating = contact.ratings.first()
    if rating is None:  # refused because the contact is closed: said on the contact page
        assert not contact.is_open
        return
    assert contact.rag == rating.rag == data["rag"] and rating.rag != rag
    assert_shown_escaped(_detail(mash_screener_client, contact), rating.reason)


@fuzz
@given(
    status=any_status,
    rag=st.sampled_from(["", *Rag.values]),
    data=form_post(
        plain={
            "checks": st.lists(st.sampled_from(Contact.CHECKS), unique=True),
            "information_gathered": prose,
            "ready": st.sampled_from(["", "on"]),
        },
        bad={
            "checks": st.lists(choice_input(Contact.CHECKS), max_size=4),
            "information_gathered": any_text,
            "ready": checkbox,
        },
    ),
)
def test_contact_screen_never_errors_on_arbitrary_input(front_door, mash_screener_client, status, rag, data):
    contact = _contact(front_door, status=status, rag=rag)
    gathered = contact.information_gathered
    before = _counts()
    response = mash_screener_client.post(reverse("referrals:contact_screen", kwargs={"uuid": contact.uuid}), data)
    assert_answered(response)
    contact.refresh_from_db()
    if response.status_code == 200:
        assert_refused_with_summary(response)
        assert contact.status == status and contact.information_gathered == gathered
        return
    assert _counts() == before
    if contact.status == Status.AWAITING_DECISION:
        assert contact.rag and contact.information_gathered
    assert_shown_escaped(_detail(mash_screener_client, contact), contact.information_gathered)


@fuzz
@given(
    status=any_status,
    original=st.one_of(
        st.sampled_from(["ORIGINAL", "ORIGINAL_LOWER"]),
        st.sampled_from(["SELF", "A_DUPLICATE", "UNRELATED", "MC-XXXXXXXX"]),
        any_text,
    ),
    reason=st.one_of(prose, any_text),
)
def test_contact_duplicate_never_errors_on_arbitrary_input(front_door, mash_screener_client, status, original, reason):
    earlier = _contact(front_door)
    duplicate = _contact(front_door, status=Status.DUPLICATE)
    unrelated = ContactFactory(family=front_door["family"], referrer_user=front_door["partner"])
    ContactChildFactory(contact=unrelated, person=front_door["sibling"])
    contact = _contact(front_door, status=status)
    tokens = {
        "ORIGINAL": earlier.reference,
        "ORIGINAL_LOWER": f" {earlier.reference.lower()} ",
        "SELF": contact.reference,
        "A_DUPLICATE": duplicate.reference,
        "UNRELATED": unrelated.reference,
    }
    data = {"original_reference": tokens.get(original, original), "reason": reason}
    response = mash_screener_client.post(reverse("referrals:contact_duplicate", kwargs={"uuid": contact.uuid}), data)
    assert_answered(response)
    contact.refresh_from_db()
    if response.status_code == 200:
        assert_refused_with_summary(response)
        assert contact.status == status and contact.duplicate_of is None
        return
    if contact.status != Status.DUPLICATE or status == Status.DUPLICATE:
        return  # the contact could no longer change: said on the contact page
    event("closed as a duplicate")
    assert contact.duplicate_of == earlier
    assert_shown_escaped(_detail(mash_screener_client, contact), contact.ended_reason)


@fuzz
@given(status=any_status, reason=st.one_of(prose, any_text))
def test_contact_withdraw_never_errors_on_arbitrary_input(front_door, mash_screener_client, status, reason):
    contact = _contact(front_door, status=status)
    url = reverse("referrals:contact_withdraw", kwargs={"uuid": contact.uuid})
    response = mash_screener_client.post(url, {"reason": reason})
    assert_answered(response)
    contact.refresh_from_db()
    if response.status_code == 200:
        assert_refused_with_summary(response)
        assert contact.status == status
        return
    if status == Status.WITHDRAWN or contact.status != Status.WITHDRAWN:
        return
    event("withdrawn")
    assert reason.strip() and status in Contact.OPEN
    assert_shown_escaped(_detail(mash_screener_client, contact), contact.ended_reason)


# ---------------------------------------------------------------------------------------------
# Deciding, recording the social care reference, flagging a concern, allocating
# ---------------------------------------------------------------------------------------------


@fuzz
@given(
    status=st.sampled_from([Status.AWAITING_DECISION] * 4 + [Status.SCREENING, Status.DECIDED]),
    outside=st.sampled_from([False, False, False, True]),
    data=decision_post(),
)
def test_contact_decide_never_errors_on_arbitrary_input(
    front_door, mash_manager_client, partner_client, status, outside, data
):
    # A family of its own each time: one with early help already open may only be passed to the open case.
    family = FamilyFactory(name="Decide", local_area_team=front_door["family"].local_area_team)
    child = FamilyMemberFactory(family=family, person=PersonFactory(first_name="Zoë", last_name="O'Brien")).person
    contact = _contact(front_door, status=status, rag=Rag.AMBER, outside=outside, family=family, child=child)
    before = _counts()
    url = reverse("referrals:contact_decide", kwargs={"uuid": contact.uuid})
    response = mash_manager_client.post(url, _resolve(data, front_door["tokens"]))
    assert_answered(response)
    if response.status_code == 200:
        assert_refused_with_summary(response)
        assert _counts() == before
        return
    decision = MashDecision.objects.filter(contact=contact).first()
    if decision is None:
        assert status != Status.AWAITING_DECISION
        assert _counts() == before
        return
    event(f"decided: {decision.outcome}")
    assert status == Status.AWAITING_DECISION
    if decision.outcome in MashDecision.EARLY_HELP:
        assert decision.local_area_team is not None
    html = _detail(mash_manager_client, contact)
    assert_shown_escaped(html, decision.rationale)
    assert_shown_escaped(html, decision.next_steps)
    told = partner_client.get(reverse("referrals:referral_detail", kwargs={"uuid": contact.uuid}))
    assert told.status_code == 200
    assert_shown_escaped(_html(told), decision.next_steps)


@fuzz
@given(with_transfer=st.sampled_from([True, True, True, False]), reference=st.one_of(any_text, st.just("CSC-12345")))
def test_transfer_reference_never_errors_on_arbitrary_input(
    front_door, mash_manager_user, mash_manager_client, with_transfer, reference
):
    contact = _contact(front_door, status=Status.DECIDED, rag=Rag.RED)
    MashDecision.objects.create(
        contact=contact,
        level=4,
        outcome=Outcome.SOCIAL_CARE,
        rationale="Risk of significant harm.",
        next_steps="Children's social care will assess.",
        consent_basis=Basis.HELD,
        decided_by=mash_manager_user,
    )
    if with_transfer:
        Transfer.objects.create(
            family=contact.family,
            direction=Transfer.Direction.STEP_UP,
            kind=Transfer.Kind.SOCIAL_CARE,
            contact=contact,
            created_by=mash_manager_user,
        )
    url = reverse("referrals:transfer_reference", kwargs={"uuid": contact.uuid})
    response = mash_manager_client.post(url, {"external_reference": reference})
    assert_answered(response)
    contact.refresh_from_db()
    if response.status_code == 200:
        assert_refused_with_summary(response)
        assert contact.status == Status.DECIDED
        assert not Transfer.objects.filter(contact=contact).exclude(external_reference="").exists()
        return
    transfer = Transfer.objects.filter(contact=contact).first()
    if transfer is None or not transfer.external_reference:
        assert not with_transfer or not reference.strip()
        return
    event("reference recorded")
    assert contact.status == Status.CLOSED
    assert_shown_escaped(_detail(mash_manager_client, contact), transfer.external_reference)


@fuzz
@given(category=choice_input(ConcernFlag.Category.values), raised_on=date_input(low=-400, high=5))
def test_concern_flag_add_never_errors_on_arbitrary_input(front_door, partner_client, category, raised_on):
    person = front_door["granted_child"]
    before = _counts()
    url = reverse("referrals:concern_flag_add", kwargs={"uuid": person.uuid})
    response = partner_client.post(url, _resolve({"category": category, "raised_on": raised_on}, {}))
    assert_answered(response)
    if response.status_code == 200:
        assert_refused_with_summary(response)
        assert _counts() == before
        return
    flag = ConcernFlag.objects.latest("id")
    assert _counts()["ConcernFlag"] == before["ConcernFlag"] + 1
    assert flag.person == person and flag.category == category
    assert timezone.localdate() - timedelta(days=366) <= flag.raised_on <= timezone.localdate()
    page = partner_client.get(response["Location"])
    assert page.status_code == 200
    assert_shown_escaped(_html(page), person.full_name)


@fuzz
@given(
    worker=st.one_of(st.sampled_from(["WORKER", "MANAGER", "OTHER_WORKER", "PARTNER", "APPROVER"]), pk_garbage),
    requested=st.sampled_from([True, True, True, False]),
)
def test_episode_allocate_never_errors_on_arbitrary_input(front_door, lat_manager_client, worker, requested):
    contact = _contact(front_door, status=Status.DECIDED)
    episode = EpisodeFactory(
        # A family of its own each time: a family has at most one open episode.
        family=FamilyFactory(local_area_team=front_door["family"].local_area_team),
        contact=contact,
        status=Episode.Status.REQUESTED if requested else Episode.Status.DECLINED,
    )
    url = reverse("cases:episode_allocate", kwargs={"uuid": episode.uuid})
    response = lat_manager_client.post(url, _resolve({"worker": worker}, front_door["tokens"]))
    if not requested:
        assert response.status_code == 404  # not in the queue: nothing to allocate
        return
    assert_answered(response)
    episode.refresh_from_db()
    contact.refresh_from_db()
    if response.status_code == 200:
        assert_refused_with_summary(response)
        assert episode.status == Episode.Status.REQUESTED and contact.status == Status.DECIDED
        return
    event(f"allocated to {worker}")
    assert episode.status == Episode.Status.ALLOCATED and contact.status == Status.CLOSED
    assert episode.lead_practitioner_id in (front_door["tokens"]["WORKER"], front_door["tokens"]["MANAGER"])
    assert lat_manager_client.get(response["Location"]).status_code == 200


# ---------------------------------------------------------------------------------------------
# The rules the front door must enforce, with the messages a user sees
# ---------------------------------------------------------------------------------------------


def _mash_contact(child: Person | None, **overrides) -> dict:
    """A MASH contact that would be accepted as it is: about `child`, or (without one) about a new family."""
    received = timezone.localdate() - timedelta(days=1)
    data = {
        "children": [child.pk] if child else None,
        "concern": "Zoë O'Brien has missed school for a fortnight.",
        "source": ContactSource.SCHOOLS,
        "family_aware": Contact.FamilyAware.YES,
        "consent_status": Contact.ConsentStatus.GIVEN,
        "received_on_0": str(received.day),
        "received_on_1": str(received.month),
        "received_on_2": str(received.year),
        "received_time": "10:00",
        "channel": Contact.Channel.PHONE,
        "referrer_kind": Contact.ReferrerKind.OTHER,
        "referrer_name": "Niamh O'Brien",
        "referrer_organisation": "Tang Hall Primary",
    }
    return {key: value for key, value in (data | overrides).items() if value is not None}


def _new_family_contact(**overrides) -> dict:
    data = _mash_contact(None) | {
        "family_name": "Nguyễn",
        "address_line_1": "1 Example Street",
        "postcode": "YO31 1AA",
        "child_1_first_name": "Lan",
        "child_1_last_name": "Nguyễn",
        "child_1_date_of_birth_0": "29",
        "child_1_date_of_birth_1": "2",
        "child_1_date_of_birth_2": "2020",
    }
    return {key: value for key, value in (data | overrides).items() if value is not None}


def assert_refused_with(response, message: str) -> None:
    assert_refused_with_summary(response)
    assert escape(message) in _html(response), f"missing message: {message}"


def test_the_mash_contact_that_would_be_refused_below_is_otherwise_accepted(front_door, mash_screener_client):
    url = reverse("referrals:contact_new", kwargs={"uuid": front_door["family"].uuid})
    response = mash_screener_client.post(url, _mash_contact(front_door["child"]))
    assert response.status_code == 302
    assert Contact.objects.get().referrer_name == "Niamh O'Brien"


def test_a_contact_with_no_child_is_refused(front_door, mash_screener_client, partner_client):
    url = reverse("referrals:contact_new", kwargs={"uuid": front_door["family"].uuid})
    response = mash_screener_client.post(url, _mash_contact(None))
    assert_refused_with(response, "Choose at least one child the concern is about")

    family = front_door["granted_family"]
    response = partner_client.post(reverse("referrals:refer", kwargs={"uuid": family.uuid}), _mash_contact(None))
    assert_refused_with(response, "Choose at least one child the concern is about")

    blank_child = {"child_1_first_name": "", "child_1_last_name": "", "child_1_date_of_birth_0": ""}
    blank_child |= {"child_1_date_of_birth_1": "", "child_1_date_of_birth_2": ""}
    response = mash_screener_client.post(reverse("referrals:contact_new_family"), _new_family_contact(**blank_child))
    assert_refused_with(response, "Enter at least one child the concern is about")
    assert not Contact.objects.exists() and not DisclosureLog.objects.exists()


@pytest.mark.parametrize("concern", ["", "   ", "\r\n\t"])
def test_a_contact_with_no_concern_is_refused(front_door, mash_screener_client, partner_client, concern):
    url = reverse("referrals:contact_new", kwargs={"uuid": front_door["family"].uuid})
    response = mash_screener_client.post(url, _mash_contact(front_door["child"], concern=concern))
    assert_refused_with(response, "Describe the concern")
    family = front_door["granted_family"]
    referral = _mash_contact(front_door["granted_child"], concern=concern)
    response = partner_client.post(reverse("referrals:refer", kwargs={"uuid": family.uuid}), referral)
    assert_refused_with(response, "Describe the concern")
    response = mash_screener_client.post(reverse("referrals:contact_new_family"), _new_family_contact(concern=concern))
    assert_refused_with(response, "Describe the concern")
    assert not Contact.objects.exists()


def test_a_contact_received_in_the_future_is_refused(front_door, mash_screener_client):
    url = reverse("referrals:contact_new", kwargs={"uuid": front_door["family"].uuid})
    tomorrow = timezone.localdate() + timedelta(days=1)
    future = {"received_on_0": tomorrow.day, "received_on_1": tomorrow.month, "received_on_2": tomorrow.year}
    response = mash_screener_client.post(url, _mash_contact(front_door["child"], **future))
    assert_refused_with(response, "The time the contact was received must be now or in the past")
    response = mash_screener_client.post(reverse("referrals:contact_new_family"), _new_family_contact(**future))
    assert_refused_with(response, "The time the contact was received must be now or in the past")
    assert not Contact.objects.exists() and not Family.objects.filter(name="Nguyễn").exists()


@pytest.mark.parametrize(
    ("received_time", "message"),
    [
        ("25:61", "Enter the time like 09:30 or 14:45"),
        ("24:00", "Enter the time like 09:30 or 14:45"),
        ("", "Enter the time the contact was received"),
    ],
)
def test_a_contact_received_at_an_impossible_time_is_refused(front_door, mash_screener_client, received_time, message):
    url = reverse("referrals:contact_new", kwargs={"uuid": front_door["family"].uuid})
    response = mash_screener_client.post(url, _mash_contact(front_door["child"], received_time=received_time))
    assert_refused_with(response, message)
    assert not Contact.objects.exists()


@pytest.mark.parametrize(
    ("day", "month", "year"),
    [("29", "2", "2023"), ("1", "1", "0001"), ("31", "12", "9999"), ("", "2", "2024")],
)
def test_a_contact_received_on_an_impossible_date_is_refused(front_door, mash_screener_client, day, month, year):
    url = reverse("referrals:contact_new", kwargs={"uuid": front_door["family"].uuid})
    received = {"received_on_0": day, "received_on_1": month, "received_on_2": year}
    response = mash_screener_client.post(url, _mash_contact(front_door["child"], **received))
    assert_refused_with_summary(response)
    assert not Contact.objects.exists()


def _decision(**overrides) -> dict:
    data = {
        "level": "3",
        "outcome": Outcome.TARGETED,
        "local_area_team": "",
        "rationale": "Needs across the family; consent given; no risk of significant harm.",
        "next_steps": "The Local Area Team will contact the family within 5 working days.",
        "consent_basis": Basis.HELD,
    }
    return data | overrides


def test_a_decision_without_rationale_is_refused(front_door, mash_manager_client):
    contact = _contact(front_door, status=Status.AWAITING_DECISION, rag=Rag.AMBER)
    url = reverse("referrals:contact_decide", kwargs={"uuid": contact.uuid})
    team = str(front_door["tokens"]["TANG_HALL"])
    for rationale in ("", "   "):
        response = mash_manager_client.post(url, _decision(rationale=rationale, local_area_team=team))
        assert_refused_with(response, "Give the rationale for the decision")
    contact.refresh_from_db()
    assert contact.status == Status.AWAITING_DECISION
    assert not MashDecision.objects.exists() and not Episode.objects.exists()


@pytest.mark.parametrize("outcome", [Outcome.TARGETED, Outcome.PARTNER_LED])
def test_early_help_without_a_local_area_team_is_refused(front_door, mash_manager_client, outcome):
    contact = _contact(front_door, status=Status.AWAITING_DECISION, rag=Rag.AMBER)
    url = reverse("referrals:contact_decide", kwargs={"uuid": contact.uuid})
    response = mash_manager_client.post(url, _decision(outcome=outcome))
    assert_refused_with(response, "Choose the Local Area Team that will provide early help")
    assert not MashDecision.objects.exists() and not Episode.objects.exists()
    # The same decision with a team is accepted, and the request waits in that team's queue.
    team = str(front_door["tokens"]["TANG_HALL"])
    assert mash_manager_client.post(url, _decision(outcome=outcome, local_area_team=team)).status_code == 302
    assert Episode.objects.get(contact=contact).local_area_team_id == front_door["tokens"]["TANG_HALL"]


def test_a_child_outside_the_authority_is_accepted_with_a_note(front_door, mash_screener_client):
    data = _new_family_contact(postcode="ls14ap", family_name="O'Brien", child_1_last_name="O'Brien")
    response = mash_screener_client.post(reverse("referrals:contact_new_family"), data, follow=True)
    assert response.status_code == 200
    contact = Contact.objects.get()
    assert contact.postcode == "LS1 4AP" and contact.family is None and contact.outside_authority
    assert not Family.objects.filter(name="O'Brien").exists()
    html = _html(response)
    assert "outside the areas York&#x27;s Local Area Teams cover" in html
    assert escape(OUTSIDE_AUTHORITY_NOTE.format(postcode="LS1 4AP")) in html
    assert escape("Lan O'Brien") in html
