"""The MASH front door: recording, screening, RAG rating and deciding contacts, what a decision sets off,
telling the referrer, the overdue sweep, allocation, and concern flags."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from cases.models import Episode, Family, FamilyMember, FamilyUserObjectPermission, Task, Transfer
from cases.selectors import allocation_queue, families_visible_to
from cases.services import FamilyError, episode_allocate, family_restricted_allow, transfer_reference_record
from consent.models import ConsentRecord, ConsentSubject, DisclosureLog
from earlyhelp.accounts.models import Notification
from earlyhelp.core import perms
from earlyhelp.core.states import status_move
from earlyhelp.core.working_time import decision_due
from locality.services import membership_add
from referrals import selectors, services
from referrals.models import (
    ConcernFlag,
    Contact,
    ContactSource,
    MashDecision,
    Rag,
    RagRating,
    SignpostedService,
)
from referrals.services import ContactError
from referrals.tasks import contacts_overdue_task
from tests.factories import (
    AgencyFactory,
    ConsentRecordFactory,
    ContactChildFactory,
    ContactFactory,
    EpisodeFactory,
    FamilyMemberFactory,
    PersonFactory,
    PostcodeSectorFactory,
    ServiceFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
Status = Contact.Status
Outcome = MashDecision.Outcome
Basis = MashDecision.ConsentBasis

FRIDAY_3PM = datetime(2026, 3, 6, 15, 0, tzinfo=LONDON)
MONDAY = datetime(2026, 3, 9, tzinfo=LONDON).date()


def at(day, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=LONDON)


@pytest.fixture(autouse=True)
def _documented_working_time(settings):
    """The documented defaults, whatever a developer's .env says, so due times can be written down."""
    settings.WORKING_DAY_START = time(9)
    settings.WORKING_DAY_END = time(17)
    settings.MASH_DECISION_HOURS = {"red": 4.0, "amber": 8.0, "green": 24.0}


@pytest.fixture
def child(own_family):
    person = PersonFactory(first_name="Xanthe", last_name="Quigley")
    return FamilyMemberFactory(family=own_family, person=person).person


@pytest.fixture
def sibling(own_family):
    return FamilyMemberFactory(family=own_family, person=PersonFactory(first_name="Yusuf", last_name="Quigley")).person


def _awaiting(family, children, referrer, **fields) -> Contact:
    """A screened contact waiting for a manager's decision."""
    contact = ContactFactory(
        family=family,
        referrer_user=referrer,
        status=Status.AWAITING_DECISION,
        rag=Rag.AMBER,
        information_gathered="Known to school; no police or health concerns.",
        **fields,
    )
    for person in children:
        ContactChildFactory(contact=contact, person=person)
    return contact


@pytest.fixture
def awaiting(own_family, child, partner_user):
    return _awaiting(own_family, [child], partner_user)


def _refer(user, family, children, **overrides) -> Contact:
    fields = {
        "concern": "Attendance has fallen to 70% and the children say there is no food at home.",
        "source": ContactSource.SCHOOLS,
        "family_aware": Contact.FamilyAware.YES,
        "consent_status": Contact.ConsentStatus.GIVEN,
    } | overrides
    return services.contact_record(user=user, family=family, children=children, **fields)


def _decide(user, contact, outcome=Outcome.TARGETED, **overrides) -> MashDecision:
    fields = {
        "level": 3,
        "outcome": outcome,
        "rationale": "Several needs across the family; consent given; no risk of significant harm.",
        "next_steps": "The Local Area Team will contact the family within 5 working days.",
        "consent_basis": Basis.HELD,
        "local_area_team": contact.local_area_team,
    } | overrides
    return services.contact_decide(user=user, contact=contact, **fields)


def _lat_manager(lat, name: str):
    user = UserFactory(full_name=name)
    team = TeamFactory(agency=AgencyFactory(), name=f"Managers {lat.slug}", local_area_team=lat)
    membership_add(user=user, team=team, role=perms.LAT_MANAGER)
    return user


def _error_fields(excinfo) -> set[str]:
    return set(excinfo.value.message_dict)


# --- contact_record ------------------------------------------------------------------------------


def test_contact_record_refuses_no_child_and_a_blank_concern(own_family, partner_user):
    with pytest.raises(ValidationError) as excinfo:
        _refer(partner_user, own_family, [], concern="   ")
    assert _error_fields(excinfo) == {"children", "concern"}
    assert not Contact.objects.exists()


def test_contact_record_refuses_a_received_time_in_the_future(own_family, child, partner_user):
    with pytest.raises(ValidationError) as excinfo:
        _refer(partner_user, own_family, [child], received_at=timezone.now() + timedelta(hours=1))
    assert _error_fields(excinfo) == {"received_at"}
    assert not Contact.objects.exists()


def test_contact_record_refuses_children_not_in_the_family(own_family, child, partner_user):
    stranger = PersonFactory()
    with pytest.raises(ValidationError) as excinfo:
        _refer(partner_user, own_family, [child, stranger])
    assert _error_fields(excinfo) == {"children"}
    assert not Contact.objects.exists()


def test_contact_record_copies_the_practitioner_referrer_from_the_user(own_family, child, partner_user):
    contact = _refer(partner_user, own_family, [child], referrer={"referrer_role": " Class teacher "})
    assert contact.referrer_user == partner_user
    assert contact.referrer_name == "Pat Partner"
    assert contact.referrer_organisation == "Test Primary School"
    assert contact.referrer_email == partner_user.email
    assert contact.referrer_role == "Class teacher"
    assert contact.recorded_by == partner_user
    assert contact.source == ContactSource.SCHOOLS
    assert contact.status == Status.RECEIVED
    assert contact.local_area_team == own_family.local_area_team and contact.postcode == own_family.postcode
    assert contact.reference.startswith("MC-") and len(contact.reference) == 11
    assert [c.person for c in contact.children.all()] == [child]


def test_contact_record_logs_the_disclosure_on_the_referral_basis_without_consent(own_family, child, partner_user):
    contact = _refer(
        partner_user,
        own_family,
        [child],
        consent_status=Contact.ConsentStatus.NOT_SOUGHT,
        consent_reason="Asking would alert the person causing harm",
    )
    log = DisclosureLog.objects.get(family=own_family)
    assert log.basis == DisclosureLog.Basis.REFERRAL
    assert log.consent is None
    assert log.disclosed_by == partner_user
    assert contact.reference in log.what and "not sought" in log.what


def test_contact_record_logs_the_disclosure_on_consent_when_it_is_held(own_family, child, partner_user):
    consent = ConsentRecordFactory(family=own_family, status=ConsentRecord.Status.GIVEN)
    _refer(partner_user, own_family, [child])
    log = DisclosureLog.objects.get(family=own_family)
    assert log.basis == DisclosureLog.Basis.CONSENT
    assert log.consent == consent


def test_contact_record_anonymous_gets_source_9_no_referrer_and_no_disclosure(own_family, child, mash_screener_user):
    contact = _refer(
        mash_screener_user,
        own_family,
        [child],
        channel=Contact.Channel.PHONE,
        referrer_kind=Contact.ReferrerKind.ANONYMOUS,
        referrer={"referrer_name": "Someone who gave a name anyway"},
        source=ContactSource.ACQUAINTANCE,
    )
    assert contact.source == ContactSource.ANONYMOUS == "9"
    assert contact.referrer_user is None
    assert contact.referrer_name == contact.referrer_email == ""
    assert contact.recorded_by == mash_screener_user
    assert not DisclosureLog.objects.exists()


def test_contact_record_other_referrer_needs_a_name(own_family, child, mash_screener_user):
    with pytest.raises(ValidationError) as excinfo:
        _refer(mash_screener_user, own_family, [child], referrer_kind=Contact.ReferrerKind.OTHER, referrer={})
    assert "referrer_name" in _error_fields(excinfo)


def test_contact_record_is_due_on_the_amber_allowance_until_rated(own_family, child, partner_user):
    received = timezone.now() - timedelta(minutes=5)
    contact = _refer(partner_user, own_family, [child], received_at=received)
    assert contact.rag == ""
    assert contact.due_at == decision_due(received_at=received, rag="")
    assert contact.due_at == decision_due(received_at=received, rag=Rag.AMBER)


# --- contact_record_new_family -------------------------------------------------------------------


def _new_family_contact(user, postcode: str) -> Contact:
    return services.contact_record_new_family(
        user=user,
        family_name="Okafor",
        address_line_1="12 Example Road",
        postcode=postcode,
        new_children=[
            {"first_name": "Ada", "last_name": "Okafor", "date_of_birth": datetime(2017, 2, 28).date()},
            {"first_name": "Zoë", "last_name": "O'Brien", "date_of_birth": datetime(2020, 2, 29).date()},
        ],
        concern="A neighbour hears shouting most nights and the children are often outside late.",
        source=ContactSource.ACQUAINTANCE,
        family_aware=Contact.FamilyAware.NOT_KNOWN,
        consent_status=Contact.ConsentStatus.NOT_SOUGHT,
        consent_reason="A member of the public",
        channel=Contact.Channel.PHONE,
        referrer_kind=Contact.ReferrerKind.OTHER,
        referrer={"referrer_name": "Dee Neighbour", "referrer_telephone": "01904 000 111"},
    )


def test_contact_record_new_family_in_york_creates_the_family_in_the_postcode_team(lats, mash_screener_user):
    PostcodeSectorFactory(code="YO31", local_area_team=lats["tang-hall"])
    contact = _new_family_contact(mash_screener_user, "yo31 7ab")
    family = contact.family
    assert family.local_area_team == lats["tang-hall"] and not family.team_overridden
    assert family.postcode == "YO31 7AB" == contact.postcode
    assert contact.local_area_team == lats["tang-hall"] and not contact.outside_authority
    members = family.members.select_related("person")
    assert {(m.person.first_name, m.role) for m in members} == {
        ("Ada", FamilyMember.Role.CHILD),
        ("Zoë", FamilyMember.Role.CHILD),
    }
    assert {c.person for c in contact.children.all()} == {m.person for m in members}
    assert contact.referrer_name == "Dee Neighbour" and contact.referrer_user is None


def test_contact_record_new_family_grants_nothing_but_the_mash_sees_it_while_working(lats, mash_screener_user):
    PostcodeSectorFactory(code="YO31", local_area_team=lats["tang-hall"])
    contact = _new_family_contact(mash_screener_user, "YO31 7AB")
    assert not FamilyUserObjectPermission.objects.filter(user=mash_screener_user).exists()
    assert contact.family in families_visible_to(mash_screener_user), "rule 3: an open contact"


def test_contact_record_new_family_outside_york_is_accepted_without_a_family(lats, mash_screener_user):
    families_before = Family.objects.count()
    contact = _new_family_contact(mash_screener_user, "ls1 4ap")
    assert contact.family is None and contact.local_area_team is None
    assert contact.outside_authority
    assert contact.postcode == "LS1 4AP"
    assert Family.objects.count() == families_before
    children = [c.person for c in contact.children.all()]
    assert sorted(p.first_name for p in children) == ["Ada", "Zoë"]
    assert not FamilyMember.objects.filter(person__in=children).exists()


def test_contact_record_new_family_needs_a_child(lats, mash_screener_user):
    with pytest.raises(ValidationError) as excinfo:
        services.contact_record_new_family(
            user=mash_screener_user,
            family_name="Okafor",
            address_line_1="12 Example Road",
            postcode="YO31 7AB",
            new_children=[],
        )
    assert _error_fields(excinfo) == {"children"}
    assert not Family.objects.filter(name="Okafor").exists()


# --- RAG rating and the decision clock -----------------------------------------------------------


@pytest.mark.parametrize(
    ("rag", "due"),
    [
        (Rag.RED, at(MONDAY, 11)),  # 2 hours on Friday, 2 on Monday
        (Rag.AMBER, at(MONDAY, 15)),  # 2 hours on Friday, 6 on Monday
        (Rag.GREEN, at(MONDAY + timedelta(days=2), 15)),  # 2 + 8 + 8 + 6
    ],
)
def test_contact_rate_sets_the_due_time_in_working_hours(own_family, child, partner_user, mash_screener_user, rag, due):
    contact = _refer(partner_user, own_family, [child], received_at=FRIDAY_3PM)
    contact = services.contact_rate(user=mash_screener_user, contact=contact, rag=rag)
    assert contact.due_at == due
    contact.refresh_from_db()
    assert contact.due_at == due
    assert contact.rag == rag
    assert contact.priority == {Rag.RED: 0, Rag.AMBER: 1, Rag.GREEN: 2}[rag]


def test_contact_rate_starts_screening_and_assigns_the_rater(own_family, child, partner_user, mash_screener_user):
    contact = _refer(partner_user, own_family, [child], received_at=FRIDAY_3PM)
    contact = services.contact_rate(user=mash_screener_user, contact=contact, rag=Rag.GREEN)
    assert contact.status == Status.SCREENING
    assert contact.assigned_to == mash_screener_user
    rating = RagRating.objects.get(contact=contact)
    assert (rating.rag, rating.reason, rating.rated_by) == (Rag.GREEN, "", mash_screener_user)


def test_contact_record_on_a_friday_afternoon_is_due_on_monday(own_family, child, partner_user):
    contact = _refer(partner_user, own_family, [child], received_at=FRIDAY_3PM)
    assert contact.due_at == at(MONDAY, 15)


@pytest.mark.parametrize(
    ("received", "rag", "due"),
    [
        (at(MONDAY - timedelta(days=2), 22), Rag.RED, at(MONDAY, 13)),  # Saturday night
        (at(MONDAY - timedelta(days=2), 22), Rag.AMBER, at(MONDAY, 17)),
        (at(MONDAY - timedelta(days=4), 18, 30), Rag.RED, at(MONDAY - timedelta(days=3), 13)),  # Thursday evening
        (at(MONDAY, 7, 45), Rag.RED, at(MONDAY, 13)),  # before the day starts
    ],
)
def test_contact_rate_out_of_hours_receipt_starts_the_clock_next_working_morning(
    own_family, child, partner_user, mash_screener_user, received, rag, due
):
    contact = _refer(partner_user, own_family, [child], received_at=received)
    contact = services.contact_rate(user=mash_screener_user, contact=contact, rag=rag)
    assert contact.due_at == due


def test_contact_rate_change_needs_a_reason_and_keeps_every_rating(own_family, child, partner_user, mash_screener_user):
    contact = _refer(partner_user, own_family, [child], received_at=FRIDAY_3PM)
    services.contact_rate(user=mash_screener_user, contact=contact, rag=Rag.AMBER)
    with pytest.raises(ValidationError) as excinfo:
        services.contact_rate(user=mash_screener_user, contact=contact, rag=Rag.RED, reason="  ")
    assert _error_fields(excinfo) == {"reason"}
    contact.refresh_from_db()
    assert contact.rag == Rag.AMBER and contact.due_at == at(MONDAY, 15)

    contact = services.contact_rate(
        user=mash_screener_user, contact=contact, rag=Rag.RED, reason="Police report of a domestic incident"
    )
    assert contact.rag == Rag.RED and contact.due_at == at(MONDAY, 11) and contact.priority == 0
    ratings = list(contact.ratings.values_list("rag", "reason"))
    assert ratings == [(Rag.RED, "Police report of a domestic incident"), (Rag.AMBER, "")]


def test_contact_rate_refuses_the_same_rating_again(own_family, child, partner_user, mash_screener_user):
    contact = _refer(partner_user, own_family, [child], received_at=FRIDAY_3PM)
    services.contact_rate(user=mash_screener_user, contact=contact, rag=Rag.RED)
    with pytest.raises(ValidationError) as excinfo:
        services.contact_rate(user=mash_screener_user, contact=contact, rag=Rag.RED, reason="Still worried")
    assert _error_fields(excinfo) == {"rag"}
    assert RagRating.objects.filter(contact=contact).count() == 1


def test_contact_rate_clears_the_overdue_flag_when_the_new_time_is_ahead(own_family, child, mash_screener_user):
    now = timezone.now()
    contact = ContactFactory(
        family=own_family, received_at=now - timedelta(minutes=30), rag=Rag.RED, overdue_flagged_at=now
    )
    contact = services.contact_rate(user=mash_screener_user, contact=contact, rag=Rag.GREEN, reason="Less urgent")
    assert contact.due_at > now
    assert contact.overdue_flagged_at is None


# --- the state machine ---------------------------------------------------------------------------

ALLOWED = {
    (Status.RECEIVED, Status.SCREENING),
    (Status.RECEIVED, Status.DUPLICATE),
    (Status.RECEIVED, Status.WITHDRAWN),
    (Status.SCREENING, Status.AWAITING_DECISION),
    (Status.SCREENING, Status.DUPLICATE),
    (Status.SCREENING, Status.WITHDRAWN),
    (Status.AWAITING_DECISION, Status.DECIDED),
    (Status.AWAITING_DECISION, Status.SCREENING),
    (Status.AWAITING_DECISION, Status.DUPLICATE),
    (Status.AWAITING_DECISION, Status.WITHDRAWN),
    (Status.DECIDED, Status.CLOSED),
}


@pytest.mark.parametrize("start", Status.values)
@pytest.mark.parametrize("end", Status.values)
def test_contact_state_machine_allows_only_the_listed_transitions(start, end):
    contact = Contact(status=start)
    if (start, end) in ALLOWED:
        status_move(contact, end, error=ContactError, noun="A contact")
        assert contact.status == end
    else:
        with pytest.raises(ContactError, match="cannot become"):
            status_move(contact, end, error=ContactError, noun="A contact")
        assert contact.status == start


def test_contact_assign_takes_a_received_contact_into_screening(own_family, child, partner_user, mash_screener_user):
    contact = _refer(partner_user, own_family, [child])
    contact = services.contact_assign(user=mash_screener_user, contact=contact)
    assert contact.status == Status.SCREENING and contact.assigned_to == mash_screener_user


def test_contact_screen_ready_needs_a_rag_rating(own_family, child, partner_user, mash_screener_user):
    contact = _refer(partner_user, own_family, [child])
    with pytest.raises(ValidationError) as excinfo:
        services.contact_screen(
            user=mash_screener_user,
            contact=contact,
            checks={"police": True},
            information_gathered="No police record",
            ready=True,
        )
    assert _error_fields(excinfo) == {"ready"}
    contact.refresh_from_db()
    assert contact.status == Status.RECEIVED and not contact.checked_police


def test_contact_screen_ready_needs_the_information_gathered(own_family, child, partner_user, mash_screener_user):
    contact = _refer(partner_user, own_family, [child])
    services.contact_rate(user=mash_screener_user, contact=contact, rag=Rag.AMBER)
    with pytest.raises(ValidationError) as excinfo:
        services.contact_screen(
            user=mash_screener_user, contact=contact, checks={}, information_gathered="   ", ready=True
        )
    assert _error_fields(excinfo) == {"information_gathered"}
    contact.refresh_from_db()
    assert contact.status == Status.SCREENING


def test_contact_screen_sends_for_a_decision_and_back(own_family, child, partner_user, mash_screener_user):
    contact = _refer(partner_user, own_family, [child])
    services.contact_rate(user=mash_screener_user, contact=contact, rag=Rag.AMBER)
    contact = services.contact_screen(
        user=mash_screener_user,
        contact=contact,
        checks={"police": True, "health": True, "education": False},
        information_gathered=" Known to the school nurse. ",
        ready=True,
    )
    assert contact.status == Status.AWAITING_DECISION
    assert contact.checked_police and contact.checked_health and not contact.checked_education
    assert contact.information_gathered == "Known to the school nurse."
    contact = services.contact_screen(
        user=mash_screener_user, contact=contact, checks={}, information_gathered="More to check", ready=False
    )
    assert contact.status == Status.SCREENING


@pytest.mark.parametrize("status", [Status.RECEIVED, Status.SCREENING, Status.WITHDRAWN, Status.DUPLICATE])
def test_contact_decide_refused_unless_awaiting_decision(own_family, child, mash_manager_user, status):
    contact = ContactFactory(family=own_family, status=status, rag=Rag.AMBER)
    ContactChildFactory(contact=contact, person=child)
    with pytest.raises(ContactError, match="Screening must finish"):
        _decide(mash_manager_user, contact)
    assert not MashDecision.objects.exists()
    contact.refresh_from_db()
    assert contact.status == status


@pytest.mark.parametrize("status", [Status.DECIDED, Status.CLOSED, Status.WITHDRAWN, Status.DUPLICATE])
def test_contact_withdraw_refused_once_decided_or_ended(own_family, mash_screener_user, status):
    contact = ContactFactory(family=own_family, status=status)
    with pytest.raises(ContactError, match="cannot become withdrawn"):
        services.contact_withdraw(user=mash_screener_user, contact=contact, reason="Referrer withdrew it")
    contact.refresh_from_db()
    assert contact.status == status


def test_contact_withdraw_needs_a_reason_and_records_it(own_family, mash_screener_user):
    contact = ContactFactory(family=own_family)
    with pytest.raises(ValidationError) as excinfo:
        services.contact_withdraw(user=mash_screener_user, contact=contact, reason=" ")
    assert _error_fields(excinfo) == {"reason"}
    contact = services.contact_withdraw(user=mash_screener_user, contact=contact, reason=" Referrer withdrew it ")
    contact.refresh_from_db()
    assert contact.status == Status.WITHDRAWN and contact.ended_reason == "Referrer withdrew it"


def test_contact_rate_and_screen_refused_on_a_closed_contact(own_family, mash_screener_user):
    contact = ContactFactory(family=own_family, status=Status.CLOSED)
    with pytest.raises(ContactError, match="closed"):
        services.contact_rate(user=mash_screener_user, contact=contact, rag=Rag.RED)
    with pytest.raises(ContactError, match="closed"):
        services.contact_screen(
            user=mash_screener_user, contact=contact, checks={}, information_gathered="", ready=False
        )


@pytest.fixture
def original(own_family, child):
    contact = ContactFactory(family=own_family)
    ContactChildFactory(contact=contact, person=child)
    return contact


@pytest.fixture
def repeat(own_family, child):
    contact = ContactFactory(family=own_family)
    ContactChildFactory(contact=contact, person=child)
    return contact


def test_contact_mark_duplicate_links_to_the_original(original, repeat, mash_screener_user):
    reference = f"  {original.reference.lower()} "
    services.contact_mark_duplicate(
        user=mash_screener_user, contact=repeat, original_reference=reference, reason=" Same concern by e-mail "
    )
    repeat.refresh_from_db()
    assert repeat.status == Status.DUPLICATE
    assert repeat.duplicate_of == original and repeat.ended_reason == "Same concern by e-mail"


@pytest.mark.parametrize("status", [Status.CLOSED, Status.DECIDED, Status.WITHDRAWN])
def test_contact_mark_duplicate_refused_once_decided_or_ended(original, repeat, mash_screener_user, status):
    Contact.objects.filter(pk=repeat.pk).update(status=status)
    repeat.refresh_from_db()
    with pytest.raises(ContactError, match="cannot become duplicate"):
        services.contact_mark_duplicate(
            user=mash_screener_user, contact=repeat, original_reference=original.reference, reason="Same"
        )
    repeat.refresh_from_db()
    assert repeat.status == status and repeat.duplicate_of is None


def test_contact_mark_duplicate_refuses_itself(repeat, mash_screener_user):
    with pytest.raises(ValidationError, match="itself"):
        services.contact_mark_duplicate(
            user=mash_screener_user, contact=repeat, original_reference=repeat.reference, reason="Same"
        )


def test_contact_mark_duplicate_refuses_an_unknown_reference(repeat, mash_screener_user):
    with pytest.raises(ValidationError) as excinfo:
        services.contact_mark_duplicate(
            user=mash_screener_user, contact=repeat, original_reference="MC-NOSUCH99", reason="Same"
        )
    assert _error_fields(excinfo) == {"original_reference"}
    repeat.refresh_from_db()
    assert repeat.status == Status.RECEIVED


def test_contact_mark_duplicate_refuses_a_contact_about_other_children(repeat, other_family, mash_screener_user):
    unrelated = ContactFactory(family=other_family)
    ContactChildFactory(contact=unrelated, person=FamilyMemberFactory(family=other_family).person)
    with pytest.raises(ValidationError, match="not about any of the same children"):
        services.contact_mark_duplicate(
            user=mash_screener_user, contact=repeat, original_reference=unrelated.reference, reason="Same"
        )


def test_contact_mark_duplicate_refuses_an_original_that_is_itself_a_duplicate(original, repeat, mash_screener_user):
    Contact.objects.filter(pk=original.pk).update(status=Status.DUPLICATE)
    with pytest.raises(ValidationError, match="itself a duplicate"):
        services.contact_mark_duplicate(
            user=mash_screener_user, contact=repeat, original_reference=original.reference, reason="Same"
        )


# --- re-referrals --------------------------------------------------------------------------------


def test_contact_record_flags_a_child_referred_six_months_before(
    own_family, child, sibling, partner_user, mash_screener_user
):
    earlier = _refer(partner_user, own_family, [child], received_at=timezone.now() - timedelta(days=182))
    contact = _refer(partner_user, own_family, [child, sibling])
    assert contact.re_referral is True
    flags = {row.person: row.re_referral for row in contact.children.all()}
    assert flags == {child: True, sibling: False}
    assert earlier.re_referral is False
    assert selectors.contacts_previous(user=mash_screener_user, contact=contact) == [earlier]


def test_contact_record_ignores_a_contact_thirteen_months_before(own_family, child, partner_user, mash_screener_user):
    _refer(partner_user, own_family, [child], received_at=timezone.now() - timedelta(days=395))
    contact = _refer(partner_user, own_family, [child])
    assert contact.re_referral is False
    assert not contact.children.filter(re_referral=True).exists()
    assert selectors.contacts_previous(user=mash_screener_user, contact=contact) == []


@pytest.mark.parametrize("status", [Status.WITHDRAWN, Status.DUPLICATE])
def test_contact_record_ignores_earlier_withdrawn_or_duplicate_contacts(
    own_family, child, partner_user, status, mash_screener_user
):
    earlier = ContactFactory(family=own_family, status=status, received_at=timezone.now() - timedelta(days=30))
    ContactChildFactory(contact=earlier, person=child)
    contact = _refer(partner_user, own_family, [child])
    assert contact.re_referral is False
    assert selectors.contacts_previous(user=mash_screener_user, contact=contact) == []


# --- contact_decide ------------------------------------------------------------------------------

EFFECTS = [
    # outcome, consent basis, episodes, transfers, contact status afterwards
    (Outcome.TARGETED, Basis.HELD, 1, 0, Status.DECIDED),
    (Outcome.PARTNER_LED, Basis.HELD, 1, 0, Status.DECIDED),
    (Outcome.SOCIAL_CARE, Basis.HELD, 0, 1, Status.DECIDED),
    (Outcome.STRATEGY, Basis.HELD, 0, 1, Status.DECIDED),
    (Outcome.IMMEDIATE_PROTECTION, Basis.HELD, 0, 1, Status.DECIDED),
    (Outcome.NO_FURTHER_ACTION, Basis.NOT_NEEDED, 0, 0, Status.CLOSED),
    (Outcome.SIGNPOSTING, Basis.NOT_NEEDED, 0, 0, Status.CLOSED),
    (Outcome.ANOTHER_AUTHORITY, Basis.NOT_NEEDED, 0, 0, Status.CLOSED),
    (Outcome.OPEN_CASE, Basis.HELD, 0, 0, Status.CLOSED),
]


@pytest.mark.parametrize(("outcome", "basis", "episodes", "transfers", "status"), EFFECTS)
def test_contact_decide_creates_exactly_what_the_outcome_implies(
    awaiting, mash_manager_user, outcome, basis, episodes, transfers, status
):
    service = ServiceFactory()
    if outcome == Outcome.OPEN_CASE:
        EpisodeFactory(family=awaiting.family, status=Episode.Status.ALLOCATED)
    decision = _decide(mash_manager_user, awaiting, outcome, consent_basis=basis, services=[service])
    assert MashDecision.objects.get(contact=awaiting) == decision
    assert decision.decided_by == mash_manager_user and decision.outcome == outcome
    assert Episode.objects.filter(contact=awaiting).count() == episodes
    assert Transfer.objects.filter(contact=awaiting).count() == transfers
    assert SignpostedService.objects.filter(decision=decision).count() == (outcome == Outcome.SIGNPOSTING)
    awaiting.refresh_from_db()
    assert awaiting.status == status


@pytest.mark.parametrize(
    ("outcome", "pathway"),
    [(Outcome.TARGETED, Episode.Pathway.TARGETED), (Outcome.PARTNER_LED, Episode.Pathway.PARTNER_LED)],
)
def test_contact_decide_early_help_requests_an_episode_for_the_team(
    awaiting, lats, mash_manager_user, lat_manager_user, outcome, pathway
):
    decision = _decide(mash_manager_user, awaiting, outcome, level=2, local_area_team=lats["tang-hall"])
    episode = Episode.objects.get(contact=awaiting)
    assert episode.status == Episode.Status.REQUESTED
    assert episode.family == awaiting.family and episode.local_area_team == lats["tang-hall"]
    assert (episode.route, episode.pathway, episode.level) == (Episode.Route.MASH, pathway, 2)
    assert decision.local_area_team == lats["tang-hall"]
    awaiting.family.refresh_from_db()
    assert not awaiting.family.team_overridden
    notes = Notification.objects.filter(user=lat_manager_user)
    assert [n.message for n in notes] == [f"New early help request from the MASH ({awaiting.reference}) to allocate"]


def test_contact_decide_early_help_in_another_team_moves_the_family(
    awaiting, own_family, lats, mash_manager_user, lat_manager_user
):
    hob_moor_manager = _lat_manager(lats["hob-moor"], "Hana Hobmoor")
    _decide(mash_manager_user, awaiting, Outcome.TARGETED, local_area_team=lats["hob-moor"])
    own_family.refresh_from_db()
    assert own_family.local_area_team == lats["hob-moor"] and own_family.team_overridden
    assert Episode.objects.get(contact=awaiting).local_area_team == lats["hob-moor"]
    assert Notification.objects.filter(user=hob_moor_manager).count() == 1
    assert not Notification.objects.filter(user=lat_manager_user).exists()


@pytest.mark.parametrize(
    ("outcome", "kind"),
    [
        (Outcome.SOCIAL_CARE, Transfer.Kind.SOCIAL_CARE),
        (Outcome.STRATEGY, Transfer.Kind.STRATEGY),
        (Outcome.IMMEDIATE_PROTECTION, Transfer.Kind.IMMEDIATE_PROTECTION),
    ],
)
def test_contact_decide_step_up_records_a_transfer(awaiting, mash_manager_user, outcome, kind):
    decision = _decide(mash_manager_user, awaiting, outcome, level=4)
    transfer = Transfer.objects.get(contact=awaiting)
    assert (transfer.direction, transfer.kind) == (Transfer.Direction.STEP_UP, kind)
    assert transfer.family == awaiting.family and transfer.created_by == mash_manager_user
    assert transfer.external_reference == ""
    assert decision.local_area_team is None, "a team is chosen only for early help"


def test_contact_decide_signposting_needs_a_service_and_records_each(awaiting, mash_manager_user):
    with pytest.raises(ValidationError) as excinfo:
        _decide(mash_manager_user, awaiting, Outcome.SIGNPOSTING, consent_basis=Basis.NOT_NEEDED, services=[])
    assert _error_fields(excinfo) == {"services"}
    first, second = ServiceFactory(), ServiceFactory()
    decision = _decide(
        mash_manager_user, awaiting, Outcome.SIGNPOSTING, consent_basis=Basis.NOT_NEEDED, services=[first, second]
    )
    assert set(decision.signposted.values_list("service", flat=True)) == {first.pk, second.pk}


@pytest.mark.parametrize("outcome", [Outcome.TARGETED, Outcome.SOCIAL_CARE, Outcome.NO_FURTHER_ACTION])
def test_contact_decide_twice_changes_nothing_the_second_time(awaiting, mash_manager_user, outcome):
    basis = Basis.NOT_NEEDED if outcome == Outcome.NO_FURTHER_ACTION else Basis.HELD
    _decide(mash_manager_user, awaiting, outcome, consent_basis=basis)
    with pytest.raises(ContactError, match="already been decided"):
        _decide(mash_manager_user, awaiting, outcome, consent_basis=basis)
    assert MashDecision.objects.count() == 1
    assert Episode.objects.count() == (outcome == Outcome.TARGETED)
    assert Transfer.objects.count() == (outcome == Outcome.SOCIAL_CARE)


def test_contact_decide_needs_a_rationale_and_next_steps(awaiting, mash_manager_user):
    with pytest.raises(ValidationError) as excinfo:
        _decide(mash_manager_user, awaiting, rationale=" ", next_steps="")
    assert _error_fields(excinfo) == {"rationale", "next_steps"}
    assert not MashDecision.objects.exists() and not Episode.objects.exists()
    awaiting.refresh_from_db()
    assert awaiting.status == Status.AWAITING_DECISION


@pytest.mark.parametrize("outcome", MashDecision.EARLY_HELP)
def test_contact_decide_early_help_needs_a_team(awaiting, mash_manager_user, outcome):
    with pytest.raises(ValidationError) as excinfo:
        _decide(mash_manager_user, awaiting, outcome, local_area_team=None)
    assert _error_fields(excinfo) == {"local_area_team"}
    assert not Episode.objects.exists()


def test_contact_decide_refuses_consent_held_when_it_was_refused(own_family, child, partner_user, mash_manager_user):
    contact = _awaiting(
        own_family,
        [child],
        partner_user,
        consent_status=Contact.ConsentStatus.REFUSED,
        consent_reason="Parent said no",
    )
    with pytest.raises(ValidationError) as excinfo:
        _decide(mash_manager_user, contact, Outcome.TARGETED, consent_basis=Basis.HELD)
    assert _error_fields(excinfo) == {"consent_basis"}
    assert not MashDecision.objects.exists() and not Episode.objects.exists()


def test_contact_decide_consent_held_links_the_familys_active_consent(
    own_family, child, partner_user, mash_manager_user
):
    consent = ConsentRecordFactory(family=own_family, status=ConsentRecord.Status.GIVEN)
    contact = _awaiting(
        own_family, [child], partner_user, consent_status=Contact.ConsentStatus.REFUSED, consent_reason="Not then"
    )
    decision = _decide(mash_manager_user, contact, Outcome.TARGETED, consent_basis=Basis.HELD)
    assert decision.consent == consent


def _override(approver) -> dict:
    return {
        "approver": approver,
        "reason": ConsentRecord.OverrideReason.SIGNIFICANT_HARM,
        "detail": "Disclosure of injuries; asking the parent would put the child at risk.",
        "review_on": timezone.localdate() + timedelta(days=28),
    }


def test_contact_decide_dispensed_records_an_override_approved_by_another_manager(
    own_family, child, partner_user, mash_manager_user, second_mash_manager_user
):
    contact = _awaiting(
        own_family, [child], partner_user, consent_status=Contact.ConsentStatus.NOT_SOUGHT, consent_reason="Risk"
    )
    decision = _decide(
        mash_manager_user,
        contact,
        Outcome.STRATEGY,
        consent_basis=Basis.DISPENSED,
        override=_override(second_mash_manager_user),
    )
    consent = decision.consent
    assert consent.status == ConsentRecord.Status.DISPENSED and consent.family == own_family
    assert consent.approved_by == second_mash_manager_user and consent.obtained_by == mash_manager_user
    assert consent.override_reason == ConsentRecord.OverrideReason.SIGNIFICANT_HARM
    assert list(ConsentSubject.objects.filter(consent=consent).values_list("person", flat=True)) == [child.pk]


def test_contact_decide_dispensed_refuses_the_deciding_manager_approving_it(awaiting, mash_manager_user):
    with pytest.raises(ValidationError) as excinfo:
        _decide(
            mash_manager_user,
            awaiting,
            Outcome.STRATEGY,
            consent_basis=Basis.DISPENSED,
            override=_override(mash_manager_user),
        )
    assert _error_fields(excinfo) == {"approver"}
    assert not MashDecision.objects.exists() and not ConsentRecord.objects.exists() and not Transfer.objects.exists()


def test_contact_decide_dispensed_without_an_approver_is_refused(awaiting, mash_manager_user):
    with pytest.raises(ValidationError) as excinfo:
        _decide(mash_manager_user, awaiting, Outcome.STRATEGY, consent_basis=Basis.DISPENSED, override=None)
    assert "approver" in _error_fields(excinfo)
    assert not MashDecision.objects.exists() and not ConsentRecord.objects.exists()


@pytest.mark.parametrize("outcome", [Outcome.TARGETED, Outcome.SOCIAL_CARE, Outcome.OPEN_CASE])
def test_contact_decide_not_needed_refused_when_information_is_shared(awaiting, mash_manager_user, outcome):
    if outcome == Outcome.OPEN_CASE:
        EpisodeFactory(family=awaiting.family, status=Episode.Status.ALLOCATED)  # an open case to pass to
    with pytest.raises(ValidationError) as excinfo:
        _decide(mash_manager_user, awaiting, outcome, consent_basis=Basis.NOT_NEEDED)
    assert _error_fields(excinfo) == {"consent_basis"}
    assert not MashDecision.objects.exists()


@pytest.mark.parametrize("persona", ["partner_user", "mash_screener_user", "lat_manager_user"])
def test_contact_decide_refused_to_anyone_but_a_mash_manager(awaiting, request, persona):
    with pytest.raises(ContactError, match="Only a MASH manager"):
        _decide(request.getfixturevalue(persona), awaiting)
    assert not MashDecision.objects.exists()
    awaiting.refresh_from_db()
    assert awaiting.status == Status.AWAITING_DECISION


@pytest.fixture
def outside(mash_screener_user):
    """A contact about a child living outside York, screened and waiting for a decision."""
    contact = _new_family_contact(mash_screener_user, "LS1 4AP")
    services.contact_rate(user=mash_screener_user, contact=contact, rag=Rag.GREEN)
    return services.contact_screen(
        user=mash_screener_user, contact=contact, checks={}, information_gathered="Lives in Leeds", ready=True
    )


@pytest.mark.parametrize("outcome", [Outcome.TARGETED, Outcome.PARTNER_LED, Outcome.SOCIAL_CARE])
def test_contact_decide_outside_york_refuses_early_help_and_step_up(outside, lats, mash_manager_user, outcome):
    with pytest.raises(ValidationError) as excinfo:
        _decide(mash_manager_user, outside, outcome, local_area_team=lats["tang-hall"])
    assert "outcome" in _error_fields(excinfo)
    assert not MashDecision.objects.exists() and not Episode.objects.exists() and not Transfer.objects.exists()


def test_contact_decide_outside_york_passes_to_another_authority(outside, mash_manager_user):
    decision = _decide(mash_manager_user, outside, Outcome.ANOTHER_AUTHORITY, consent_basis=Basis.NOT_NEEDED)
    outside.refresh_from_db()
    assert outside.status == Status.CLOSED and decision.local_area_team is None


# --- telling the referrer ------------------------------------------------------------------------


def test_referrer_feedback_send_tells_the_practitioner_once_naming_no_one(
    awaiting, child, partner_user, mash_manager_user
):
    decision = _decide(mash_manager_user, awaiting, Outcome.NO_FURTHER_ACTION, consent_basis=Basis.NOT_NEEDED)
    mail.outbox.clear()
    assert services.referrer_feedback_send(decision_id=decision.pk) is True
    notes = Notification.objects.filter(user=partner_user)
    assert [n.message for n in notes] == [f"The MASH has decided your referral {awaiting.reference}: No further action"]
    assert notes.get().url == f"/referrals/{awaiting.uuid}/"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [partner_user.email]
    text = mail.outbox[0].subject + mail.outbox[0].body
    for name in (child.first_name, child.last_name, awaiting.family.name):
        assert name not in text
    decision.refresh_from_db()
    told_at = decision.referrer_told_at
    assert told_at is not None

    assert services.referrer_feedback_send(decision_id=decision.pk) is False
    decision.refresh_from_db()
    assert decision.referrer_told_at == told_at
    assert notes.count() == 1 and len(mail.outbox) == 1


def test_referrer_feedback_send_e_mails_an_external_referrer_without_the_outcome(own_family, child, mash_manager_user):
    contact = _awaiting(
        own_family,
        [child],
        None,
        referrer_kind=Contact.ReferrerKind.OTHER,
        referrer_name="Dee Neighbour",
        referrer_email="dee@example.org",
        recorded_by=UserFactory(),
        source=ContactSource.ACQUAINTANCE,
    )
    decision = _decide(
        mash_manager_user,
        contact,
        Outcome.SIGNPOSTING,
        consent_basis=Basis.NOT_NEEDED,
        services=[ServiceFactory()],
        next_steps="The family has been given details of local parenting support.",
    )
    mail.outbox.clear()
    assert services.referrer_feedback_send(decision_id=decision.pk) is True
    assert services.referrer_feedback_send(decision_id=decision.pk) is False
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["dee@example.org"] and contact.reference in message.subject
    # Someone outside the service (here a neighbour) learns only that the contact was acted on.
    assert "your call has been acted on" in message.body
    assert "Information, advice and signposting" not in message.body
    assert "parenting support" not in message.body
    assert child.first_name not in message.body


def test_referrer_feedback_send_anonymous_tells_no_one(own_family, child, mash_manager_user):
    contact = _awaiting(
        own_family,
        [child],
        None,
        referrer_kind=Contact.ReferrerKind.ANONYMOUS,
        source=ContactSource.ANONYMOUS,
        recorded_by=UserFactory(),
    )
    decision = _decide(mash_manager_user, contact, Outcome.NO_FURTHER_ACTION, consent_basis=Basis.NOT_NEEDED)
    mail.outbox.clear()
    notes_before = Notification.objects.count()
    assert services.referrer_feedback_send(decision_id=decision.pk) is False
    assert mail.outbox == [] and Notification.objects.count() == notes_before
    decision.refresh_from_db()
    assert decision.referrer_told_at is None


def test_contact_decide_tells_the_referrer_only_after_commit(
    awaiting, partner_user, mash_manager_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        decision = _decide(mash_manager_user, awaiting, Outcome.NO_FURTHER_ACTION, consent_basis=Basis.NOT_NEEDED)
    assert len(callbacks) == 1
    decision.refresh_from_db()
    assert decision.referrer_told_at is None
    assert not Notification.objects.filter(user=partner_user).exists()


def test_contact_decide_queues_referrer_feedback_on_commit(
    awaiting, partner_user, mash_manager_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        decision = _decide(mash_manager_user, awaiting, Outcome.TARGETED)
    decision.refresh_from_db()
    assert decision.referrer_told_at is not None
    assert Notification.objects.filter(user=partner_user, message__contains=awaiting.reference).count() == 1


# --- the overdue sweep ---------------------------------------------------------------------------


def test_contacts_flag_overdue_flags_open_contacts_past_due_once(
    own_family, mash_manager_user, second_mash_manager_user, mash_screener_user
):
    now = timezone.now()
    overdue = [ContactFactory(family=own_family, status=s, due_at=now - timedelta(hours=1)) for s in Contact.OPEN]
    ContactFactory(family=own_family, due_at=now + timedelta(hours=1))
    for status in (Status.DECIDED, Status.CLOSED, Status.WITHDRAWN, Status.DUPLICATE):
        ContactFactory(family=own_family, status=status, due_at=now - timedelta(hours=1))

    assert services.contacts_flag_overdue(now=now) == 3
    assert set(Contact.objects.filter(overdue_flagged_at=now)) == set(overdue)
    expected = {f"Contact {contact.reference} is past its decision time" for contact in overdue}
    for manager in (mash_manager_user, second_mash_manager_user):
        assert set(Notification.objects.filter(user=manager).values_list("message", flat=True)) == expected
    assert not Notification.objects.filter(user=mash_screener_user).exists()

    assert services.contacts_flag_overdue(now=now + timedelta(minutes=15)) == 0
    assert Notification.objects.filter(user=mash_manager_user).count() == 3


def _decided_at(contact, user, decided_at) -> MashDecision:
    decision = _decide(user, contact, Outcome.NO_FURTHER_ACTION, consent_basis=Basis.NOT_NEEDED)
    MashDecision.objects.filter(pk=decision.pk).update(decided_at=decided_at)
    return decision


def test_contacts_overdue_task_flags_and_requeues_untold_feedback(own_family, child, partner_user, mash_manager_user):
    now = timezone.now()
    overdue = ContactFactory(family=own_family, due_at=now - timedelta(hours=1))
    stale = _decided_at(_awaiting(own_family, [child], partner_user), mash_manager_user, now - timedelta(minutes=20))
    fresh = _decided_at(_awaiting(own_family, [child], partner_user), mash_manager_user, now - timedelta(minutes=2))

    assert contacts_overdue_task() == 1
    overdue.refresh_from_db()
    assert overdue.overdue_flagged_at is not None
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert stale.referrer_told_at is not None, "not told within 10 minutes, so re-queued"
    assert fresh.referrer_told_at is None, "its own task may still be on the way"
    assert Notification.objects.filter(user=partner_user).count() == 1

    assert contacts_overdue_task() == 0
    assert Notification.objects.filter(user=partner_user).count() == 1, "told once"


# --- allocation and transfers --------------------------------------------------------------------


@pytest.fixture
def requested(awaiting, lats, mash_manager_user):
    _decide(mash_manager_user, awaiting, Outcome.TARGETED, local_area_team=lats["tang-hall"])
    return Episode.objects.get(contact=awaiting)


def test_episode_allocate_makes_the_worker_lead_and_closes_the_contact(
    requested, awaiting, lat_manager_user, cfs_worker_user
):
    assert list(allocation_queue(user=lat_manager_user)) == [requested]
    episode_allocate(user=lat_manager_user, episode=requested, worker=cfs_worker_user)
    requested.refresh_from_db()
    assert requested.status == Episode.Status.ALLOCATED
    assert requested.lead_practitioner == cfs_worker_user and requested.allocated_by == lat_manager_user
    assert requested.allocated_at is not None
    awaiting.refresh_from_db()
    assert awaiting.status == Status.CLOSED
    assert Notification.objects.filter(user=cfs_worker_user, message__contains=awaiting.family.name).count() == 1
    assert list(allocation_queue(user=lat_manager_user)) == []


def test_episode_allocate_refuses_a_worker_from_another_team(requested, awaiting, lat_manager_user, other_lat_user):
    with pytest.raises(ValidationError) as excinfo:
        episode_allocate(user=lat_manager_user, episode=requested, worker=other_lat_user)
    assert _error_fields(excinfo) == {"worker"}
    requested.refresh_from_db()
    assert requested.status == Episode.Status.REQUESTED and requested.lead_practitioner is None
    awaiting.refresh_from_db()
    assert awaiting.status == Status.DECIDED


def test_episode_allocate_twice_is_refused(requested, lat_manager_user, cfs_worker_user, second_manager_user):
    episode_allocate(user=lat_manager_user, episode=requested, worker=cfs_worker_user)
    with pytest.raises(FamilyError, match="already been allocated"):
        episode_allocate(user=second_manager_user, episode=requested, worker=second_manager_user)
    requested.refresh_from_db()
    assert requested.lead_practitioner == cfs_worker_user


def test_allocation_queue_is_only_the_teams_own(requested, lats, other_lat_user, cfs_worker_user):
    hob_moor_manager = _lat_manager(lats["hob-moor"], "Hana Hobmoor")
    assert list(allocation_queue(user=other_lat_user)) == []
    assert list(allocation_queue(user=hob_moor_manager)) == []
    with pytest.raises(FamilyError):
        episode_allocate(user=hob_moor_manager, episode=requested, worker=cfs_worker_user)


@pytest.fixture
def stepped_up(awaiting, mash_manager_user):
    _decide(mash_manager_user, awaiting, Outcome.SOCIAL_CARE, level=4)
    return Transfer.objects.get(contact=awaiting)


def test_transfer_reference_record_refuses_a_blank_reference(stepped_up, awaiting, mash_manager_user):
    with pytest.raises(ValidationError) as excinfo:
        transfer_reference_record(user=mash_manager_user, transfer=stepped_up, external_reference="   ")
    assert _error_fields(excinfo) == {"external_reference"}
    awaiting.refresh_from_db()
    assert awaiting.status == Status.DECIDED


def test_transfer_reference_record_closes_the_decided_contact(stepped_up, awaiting, mash_manager_user):
    transfer_reference_record(user=mash_manager_user, transfer=stepped_up, external_reference=" CSC-000123 ")
    stepped_up.refresh_from_db()
    assert stepped_up.external_reference == "CSC-000123" and stepped_up.reference_recorded_at is not None
    awaiting.refresh_from_db()
    assert awaiting.status == Status.CLOSED


# --- concern flags -------------------------------------------------------------------------------


def _agency_user():
    return UserFactory(agency=AgencyFactory())


def _flag(user, person, **fields) -> ConcernFlag:
    return services.concern_flag_raise(user=user, person=person, category=ConcernFlag.Category.ATTENDANCE, **fields)


def test_concern_flag_raise_third_agency_in_a_year_raises_one_review_task(child, own_family, lats):
    today = timezone.localdate()
    flags = [
        _flag(_agency_user(), child, raised_on=today - timedelta(days=300)),
        _flag(_agency_user(), child, raised_on=today - timedelta(days=30)),
        _flag(_agency_user(), child),
    ]
    task = Task.objects.get(family=own_family)
    assert task.team == lats["tang-hall"] and task.assigned_to is None
    assert task.due_on == today + timedelta(days=services.FLAG_REVIEW_DUE_DAYS)
    assert [flag.review_task for flag in flags] == [None, None, task]

    _flag(_agency_user(), child)
    assert Task.objects.filter(family=own_family).count() == 1, "a fourth agency raises no second task"


def test_concern_flag_raise_same_agency_three_times_raises_no_task(child, own_family):
    user = _agency_user()
    colleague = UserFactory(agency=user.agency)
    for flagger in (user, colleague, user):
        _flag(flagger, child)
    assert ConcernFlag.objects.filter(person=child).count() == 3
    assert not Task.objects.filter(family=own_family).exists()


def test_concern_flag_raise_ignores_a_flag_older_than_a_year(child, own_family):
    _flag(_agency_user(), child, raised_on=timezone.localdate() - timedelta(days=400))
    _flag(_agency_user(), child)
    _flag(_agency_user(), child)
    assert not Task.objects.filter(family=own_family).exists()


def test_concern_flag_raise_refuses_a_user_with_no_agency(child):
    with pytest.raises(ContactError, match="no agency"):
        _flag(UserFactory(agency=None), child)
    assert not ConcernFlag.objects.exists()


def test_concern_flag_raise_refuses_a_future_date(child):
    with pytest.raises(ValidationError) as excinfo:
        _flag(_agency_user(), child, raised_on=timezone.localdate() + timedelta(days=1))
    assert _error_fields(excinfo) == {"raised_on"}
    assert not ConcernFlag.objects.exists()


# --- what the MASH sees --------------------------------------------------------------------------


def test_families_visible_to_mash_screener_only_while_a_contact_is_worked(
    own_family, other_family, granted_family, mash_screener_user
):
    ContactFactory(family=own_family, status=Status.SCREENING)
    ContactFactory(family=other_family, status=Status.CLOSED)
    ContactFactory(family=granted_family, status=Status.DECIDED)
    visible = set(families_visible_to(mash_screener_user))
    assert visible == {own_family, granted_family}


def test_families_visible_to_other_roles_ignores_the_front_door(own_family, other_family, other_lat_user, partner_user):
    ContactFactory(family=own_family)
    assert own_family not in families_visible_to(other_lat_user)
    assert own_family not in families_visible_to(partner_user)


def test_contacts_in_inbox_leaves_out_a_restricted_family_unless_allow_listed(
    restricted_family, own_family, mash_screener_user
):
    hidden = ContactFactory(family=restricted_family)
    shown = ContactFactory(family=own_family)
    outside = ContactFactory(family=None, local_area_team=None, postcode="LS1 4AP")
    assert set(selectors.contacts_in_inbox(mash_screener_user)) == {shown, outside}
    assert restricted_family not in families_visible_to(mash_screener_user)

    family_restricted_allow(family=restricted_family, user=mash_screener_user)
    assert hidden in selectors.contacts_in_inbox(mash_screener_user)
    assert restricted_family in families_visible_to(mash_screener_user)


def test_contacts_in_inbox_is_empty_for_a_partner(own_family, partner_user):
    ContactFactory(family=own_family)
    assert not selectors.contacts_in_inbox(partner_user).exists()
