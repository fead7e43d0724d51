"""Retention (docs/security.md): each night families whose youngest child has turned 25, with no open episode or
contact, join a review queue; an information governance officer disposes of a family's records (everything held
about it, its documents' files and its history, leaving a tombstone) or places a legal hold, which blocks disposal
until it is released."""

import time
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from assessments.models import AssessmentSection, AssessmentSubject, Need, Scaling
from cases.models import (
    Episode,
    Family,
    FamilyMember,
    FamilyUserObjectPermission,
    Person,
    PersonAddress,
    Relationship,
    SupportingFamiliesNeed,
    SupportingFamiliesRegistration,
    Transfer,
)
from cases.services import family_access_grant
from consent.models import ConsentRecord, ConsentShare, ConsentSubject, DisclosureLog
from documents.models import Document, DocumentRequest
from earlyhelp.accounts.models import Notification
from earlyhelp.accounts.services import service_account_get
from earlyhelp.audit.models import AccessEvent
from earlyhelp.audit.services import access_event_record
from governance.demo import RETENTION_DEMO_FAMILIES, retention_demo
from governance.models import BreakGlassGrant, FamilyTombstone, Restriction, RetentionReview, SubjectAccessRequest
from governance.selectors.retention import HISTORY_COUNT_KEY, family_disposal_plan
from governance.services.retention import (
    RetentionError,
    family_dispose,
    retention_hold_place,
    retention_hold_release,
    retention_reviews_build,
)
from governance.tasks import retention_reviews_build_task
from referrals.models import ConcernFlag, Contact, ContactChild, MashDecision, RagRating, SignpostedService
from reporting.models import CaseAudit
from tests.factories import (
    ActionFactory,
    AssessmentFactory,
    CaseNoteAmendmentFactory,
    CaseNoteFactory,
    ClosureFactory,
    ContactFactory,
    EpisodeFactory,
    FamilyFactory,
    FamilyMemberFactory,
    FamilyPlanFactory,
    GoalFactory,
    GoalScoreFactory,
    InterventionExtensionFactory,
    InterventionFactory,
    InterventionSessionFactory,
    PersonFactory,
    ServiceFactory,
    TafAttendanceFactory,
    TafMeetingFactory,
    TafMemberFactory,
    TaskFactory,
)
from tests.pages import messages_of, page_of

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 10, 0, 5, tzinfo=UTC)  # a Monday, five seconds into a TOTP time step
TODAY = date(2026, 3, 2)
KEY = "3132333435363738393031323334353637383930"  # the authenticator app's key, hex as django-otp keeps it
REASON = "Retention period passed; no claim, inquiry or complaint needs the records."


@pytest.fixture(autouse=True)
def moment():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def _code() -> str:
    totp = TOTP(bytes.fromhex(KEY), step=30, t0=0, digits=6)
    totp.time = time.time()
    return f"{totp.token():06d}"


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


@pytest.fixture
def authenticator(ig_officer_user):
    return TOTPDevice.objects.create(user=ig_officer_user, name="Authenticator app", key=KEY, confirmed=True)


def _family(team, *born: date, unborn: bool = False, name: str = "Example") -> Family:
    """A family in `team` with a parent and a child born on each of `born` (and an unborn child if asked)."""
    family = FamilyFactory(name=name, local_area_team=team)
    FamilyMemberFactory(
        family=family, person=PersonFactory(date_of_birth=date(1960, 5, 5)), role=FamilyMember.Role.PARENT
    )
    for day in born:
        FamilyMemberFactory(family=family, person=PersonFactory(date_of_birth=day), role=FamilyMember.Role.CHILD)
    if unborn:
        baby = PersonFactory(date_of_birth=None, expected_date_of_birth=TODAY + timedelta(days=90))
        FamilyMemberFactory(family=family, person=baby, role=FamilyMember.Role.CHILD)
    return family


def _queued() -> dict[str, date]:
    return dict(RetentionReview.objects.values_list("family__name", "due_on"))


# The nightly job


def test_retention_reviews_build_queues_families_whose_youngest_child_turned_25(lats):
    team = lats["tang-hall"]
    _family(team, date(1996, 7, 1), date(2000, 3, 1), name="Past")  # the youngest turned 25 a year ago
    _family(team, date(2001, 3, 2), name="Today")  # 25 today
    _family(team, date(2001, 3, 3), name="Tomorrow")
    _family(team, date(1990, 1, 1), date(2012, 6, 1), name="Younger")  # one child under 25 keeps it out
    _family(team, date(1990, 1, 1), unborn=True, name="Expecting")  # a child on the way keeps it out
    _family(team, name="Childless")  # no children: the rule has no date to start from
    open_episode = _family(team, date(1990, 1, 1), name="Open episode")
    EpisodeFactory(family=open_episode, status=Episode.Status.PLAN_ACTIVE)
    open_contact = _family(team, date(1990, 1, 1), name="Open contact")
    ContactFactory(family=open_contact, status=Contact.Status.SCREENING)
    closed = _family(team, date(1990, 1, 1), name="Closed long ago")
    EpisodeFactory(family=closed, status=Episode.Status.CLOSED)
    ContactFactory(family=closed, status=Contact.Status.CLOSED)

    assert retention_reviews_build(today=TODAY) == 3

    assert _queued() == {"Past": date(2025, 3, 1), "Today": date(2026, 3, 2), "Closed long ago": date(2015, 1, 1)}
    assert set(RetentionReview.objects.values_list("status", flat=True)) == {RetentionReview.Status.DUE}


def test_retention_reviews_build_is_idempotent(lats):
    _family(lats["tang-hall"], date(1990, 1, 1), name="Past")

    assert retention_reviews_build(today=TODAY) == 1
    assert retention_reviews_build(today=TODAY) == 0

    assert RetentionReview.objects.count() == 1
    assert RetentionReview.history.count() == 1


def test_retention_reviews_build_takes_the_same_queries_for_many_families(lats, django_assert_num_queries):
    _family(lats["tang-hall"], date(1990, 1, 1))
    with django_assert_num_queries(5):  # the select, a savepoint, the reviews, their history, the savepoint's end
        retention_reviews_build(today=TODAY)
    for _ in range(6):
        _family(lats["hob-moor"], date(1991, 1, 1), date(1995, 2, 2))
    with django_assert_num_queries(5):
        assert retention_reviews_build(today=TODAY) == 6


def test_retention_reviews_build_queues_a_family_on_the_birthday(lats, moment):
    _family(lats["tang-hall"], date(1995, 4, 1), date(2001, 6, 1), name="June")
    assert retention_reviews_build(today=TODAY) == 0

    moment.move_to(datetime(2026, 6, 1, 3, 30, tzinfo=UTC))
    assert retention_reviews_build(today=date(2026, 6, 1)) == 1
    assert _queued() == {"June": date(2026, 6, 1)}


def test_retention_reviews_build_takes_a_leap_day_birthday_as_1_march(lats):
    _family(lats["tang-hall"], date(2000, 2, 29), name="Leap")

    assert retention_reviews_build(today=date(2025, 2, 28)) == 0
    assert retention_reviews_build(today=date(2025, 3, 1)) == 1
    assert _queued() == {"Leap": date(2025, 3, 1)}


def test_retention_reviews_build_task_acts_as_the_retention_account(lats):
    _family(lats["tang-hall"], date(1990, 1, 1))

    assert retention_reviews_build_task.delay().get() == 1

    entry = RetentionReview.history.get()
    assert entry.history_type == "+"
    assert entry.history_user == service_account_get(name="retention")


# Disposal


def _row_counts() -> dict[str, int]:
    """Rows of every model in the project, history tables and many-to-many tables included."""
    return {model._meta.label: model._base_manager.count() for model in apps.get_models(include_auto_created=True)}


@pytest.fixture
def service(lats):
    return ServiceFactory()


@pytest.fixture
def grandmother(lats):
    """Someone in two families: she stays when one family's records are disposed of."""
    return PersonFactory(first_name="Gwen", last_name="Shared", date_of_birth=date(1950, 1, 1))


@pytest.fixture
def other_family(lats, grandmother, cfs_worker_user):
    """A family that stays: a young child, the grandmother, open early help, and a notification about it."""
    family = _family(lats["tang-hall"], date(2019, 9, 9), name="Staying")
    FamilyMemberFactory(family=family, person=grandmother, role=FamilyMember.Role.OTHER_ADULT)
    EpisodeFactory(family=family, status=Episode.Status.PLAN_ACTIVE, lead_practitioner=cfs_worker_user)
    Notification.objects.create(
        user=cfs_worker_user, message="About the Staying family", url=f"/families/{family.uuid}/"
    )
    return family


def _everything(family: Family, *, grandmother, service, worker, manager, partner, officer) -> dict:
    """One record of every kind about `family`, closed long ago, with two grown-up children and the grandmother;
    every user and agency given, so nothing outside the family is made."""
    agency = partner.agency
    child, sibling = (PersonFactory(date_of_birth=date(1995, 5, 5)), PersonFactory(date_of_birth=date(1998, 8, 8)))
    mother = PersonFactory(date_of_birth=date(1970, 7, 7), sex="female")
    for person, role in ((child, "child"), (sibling, "child"), (mother, "parent"), (grandmother, "other_adult")):
        FamilyMemberFactory(family=family, person=person, role=role)
    PersonAddress.objects.create(person=child, address_line_1="1 Example Street", postcode="YO31 1AA")
    Relationship.objects.create(family=family, person=mother, relative=child, kind=Relationship.Kind.MOTHER)
    Relationship.objects.create(family=family, person=grandmother, relative=child, kind=Relationship.Kind.GRANDPARENT)
    family_access_grant(family=family, user=partner)
    Restriction.objects.create(
        family=family, category="high_risk", reason="Test", restricted_by=officer, review_due=TODAY
    )
    Restriction.objects.create(person=child, category="other", reason="Test", restricted_by=officer, review_due=TODAY)
    consent = ConsentRecord.objects.create(
        family=family, status="expired", given_by=mother, obtained_by=worker, review_on=date(2011, 1, 1)
    )
    consent.evidence.save("consent.pdf", ContentFile(b"%PDF-1.4 consent"), save=True)
    ConsentSubject.objects.create(consent=consent, person=child)
    ConsentShare.objects.create(consent=consent, agency=agency)
    DisclosureLog.objects.create(
        family=family, what="Plan", recipient_agency=agency, basis="consent", consent=consent, disclosed_by=worker
    )
    assessment = AssessmentFactory(family=family, assessor=worker, status="authorised")
    AssessmentSubject.objects.create(assessment=assessment, person=child, is_child=True)
    AssessmentSection.objects.create(assessment=assessment, key="voice", person=child, position=1)
    Scaling.objects.create(assessment=assessment, person=child, score=4)
    need = Need.objects.create(assessment=assessment, person=child, headline="school", description="Attendance")
    contact = ContactFactory(family=family, status=Contact.Status.CLOSED, referrer_user=partner)
    duplicate = ContactFactory(
        family=family, status=Contact.Status.DUPLICATE, referrer_user=partner, duplicate_of=contact
    )
    ContactChild.objects.create(contact=contact, person=child)
    RagRating.objects.create(contact=contact, rag="amber", rated_by=manager)
    decision = MashDecision.objects.create(
        contact=contact,
        level=2,
        outcome="targeted",
        rationale="Test",
        next_steps="Test",
        consent_basis="held",
        consent=consent,
        decided_by=manager,
    )
    SignpostedService.objects.create(decision=decision, service=service)
    episode = EpisodeFactory(
        family=family, status=Episode.Status.CLOSED, contact=contact, lead_practitioner=worker, assessment=assessment
    )
    task = TaskFactory(family=family, episode=episode, assigned_to=worker, status="done")
    plan = FamilyPlanFactory(episode=episode, family=family, created_by=worker)
    goal = GoalFactory(plan=plan, person=child, need=need)
    ActionFactory(plan=plan, goal=goal, owner_user=None, owner_person=mother)
    TafMemberFactory(episode=episode, family=family, user=partner, invited_by=worker, status="left")
    meeting = TafMeetingFactory(episode=episode, family=family, status="held", held_on=date(2012, 1, 1))
    TafAttendanceFactory(meeting=meeting, person=mother, name="")
    GoalScoreFactory(goal=goal, meeting=meeting, recorded_by=worker)
    intervention = InterventionFactory(episode=episode, family=family, worker=worker, status="completed")
    InterventionSessionFactory(intervention=intervention, recorded_by=worker).people_seen.set([child])
    InterventionExtensionFactory(intervention=intervention, requested_by=worker)
    note = CaseNoteFactory(family=family, episode=episode, author=worker)
    note.people.set([child, grandmother])
    CaseNoteAmendmentFactory(note=note, author=worker)
    ClosureFactory(episode=episode, family=family, meeting=meeting, requested_by=worker, status="approved")
    Transfer.objects.create(
        family=family, direction="step_up", kind="social_care", contact=contact, episode=episode, created_by=worker
    )
    registration = SupportingFamiliesRegistration.objects.create(
        family=family, episode=episode, plan=plan, assessment=assessment, registered_by=worker, status="claimed"
    )
    SupportingFamiliesNeed.objects.create(
        registration=registration, headline="school", evidence="Test", recorded_by=worker
    )
    CaseAudit.objects.create(
        kind="assessment_plan",
        family=family,
        episode=episode,
        plan=plan,
        intervention=intervention,
        local_area_team=family.local_area_team,
        worker=worker,
        auditor=manager,
        audited_on=date(2012, 2, 2),
        grade="good",
        comments="Test",
    )
    request = DocumentRequest.objects.create(
        kind="plan", family=family, requested_by=worker, template_version="1", status="ready"
    )
    document = Document(
        request=request, filename="plan.pdf", sha256="0" * 64, size=10, template_version="1", record_version="1"
    )
    document.file.save("plan.pdf", ContentFile(b"%PDF-1.4 plan"), save=True)
    document.families.set([family])
    ConcernFlag.objects.create(person=child, agency=agency, category="attendance", raised_by=partner, review_task=task)
    Notification.objects.create(user=worker, message="Allocated", url=f"/families/{family.uuid}/")
    Notification.objects.create(user=manager, message=f"Contact {duplicate.reference} is past its decision time")
    grant = BreakGlassGrant.objects.create(
        user=manager, family=family, family_reference=family.reference, reason="Test", granted_at=NOW, expires_at=NOW
    )
    answered = SubjectAccessRequest.objects.create(
        person=child,
        person_reference="P-TEST",
        requested_by=officer,
        received_on=date(2020, 1, 6),
        due_on=date(2020, 2, 6),
        status=SubjectAccessRequest.Status.READY,
    )
    answered.file.save("pack.zip", ContentFile(b"PK pack"), save=True)
    return {
        "files": [consent.evidence.name, document.file.name, answered.file.name],
        "people": [child, sibling, mother],
        "grant": grant,
    }


@pytest.fixture
def disposal_world(
    lats,
    other_family,
    grandmother,
    service,
    authenticator,
    ig_officer_user,
    cfs_worker_user,
    lat_manager_user,
    partner_user,
):
    """Everyone and everything that exists before the family to dispose of: its counts are the baseline."""
    service_account_get(name="retention")
    access_event_record(user=ig_officer_user, action="view")  # the access log's chain has begun
    return {
        "grandmother": grandmother,
        "service": service,
        "worker": cfs_worker_user,
        "manager": lat_manager_user,
        "partner": partner_user,
        "officer": ig_officer_user,
    }


def test_family_dispose_deletes_the_family_records_and_nothing_else(
    disposal_world, lats, other_family, grandmother, ig_officer_user, django_capture_on_commit_callbacks
):
    before = _row_counts()
    family = FamilyFactory(name="Leaving", local_area_team=lats["tang-hall"])
    made = _everything(family, **disposal_world)
    retention_reviews_build(today=TODAY)
    review = RetentionReview.objects.get(family=family)
    assert all(default_storage.exists(name) for name in made["files"])

    with django_capture_on_commit_callbacks(execute=True):
        tombstone = family_dispose(review=review, user=ig_officer_user, reason=REASON)

    after = _row_counts()
    changed = {label: after[label] - before[label] for label in before if after[label] != before[label]}
    # Left: the tombstone, the access event of the disposal, and the break-the-glass grant (kept by design, with
    # the family's reference and no link).
    assert changed == {
        "governance.FamilyTombstone": 1,
        "audit.AccessEvent": 1,
        "governance.BreakGlassGrant": 1,
        "governance.HistoricalBreakGlassGrant": 1,
    }
    assert not any(default_storage.exists(name) for name in made["files"])
    made["grant"].refresh_from_db()
    assert (made["grant"].family, made["grant"].family_reference) == (None, family.reference)
    assert made["grant"].reason == "(removed at disposal)"
    assert set(made["grant"].history.values_list("reason", flat=True)) == {"(removed at disposal)"}
    assert tombstone.record_counts["governance.subjectaccessrequest"] == 1
    assert not Person.objects.filter(pk__in=[p.pk for p in made["people"]]).exists()
    assert FamilyMember.objects.get(person=grandmother).family == other_family
    assert tombstone.reference == family.reference
    assert tombstone.local_area_team == lats["tang-hall"].name
    assert tombstone.youngest_child_25_on == date(2023, 8, 8)
    assert tombstone.record_counts["cases.person"] == 3
    assert tombstone.record_counts["cases.familymember"] == 4
    assert tombstone.record_counts["referrals.contact"] == 2
    assert tombstone.record_counts[HISTORY_COUNT_KEY] > 0
    event = AccessEvent.objects.order_by("-id").first()
    assert (event.user, event.object_uuid, event.detail) == (
        ig_officer_user,
        family.uuid,
        "retention: records disposed of",
    )


def test_family_disposal_plan_counts_what_disposal_deletes(disposal_world, lats, ig_officer_user):
    family = FamilyFactory(name="Leaving", local_area_team=lats["tang-hall"])
    _everything(family, **disposal_world)
    retention_reviews_build(today=TODAY)
    counted = {label: number for label, _name, number in family_disposal_plan(family=family).counts()}

    tombstone = family_dispose(review=family.retention_review, user=ig_officer_user, reason=REASON)

    assert counted == {k: v for k, v in tombstone.record_counts.items() if k != HISTORY_COUNT_KEY}
    assert FamilyUserObjectPermission.objects.count() == 0


def test_family_dispose_keeps_a_person_another_family_names(lats, other_family, ig_officer_user):
    family = _family(lats["tang-hall"], date(1990, 1, 1), name="Leaving")
    child = family.members.get(role="child").person
    Relationship.objects.create(
        family=other_family, person=child, relative=other_family.members.get(role="child").person, kind="sibling"
    )
    retention_reviews_build(today=TODAY)

    family_dispose(review=family.retention_review, user=ig_officer_user, reason=REASON)

    assert Person.objects.filter(pk=child.pk).exists()
    assert not FamilyMember.objects.filter(person=child).exists()
    assert not Family.objects.filter(pk=family.pk).exists()


def test_family_dispose_unlinks_a_duplicate_in_another_family_with_history(lats, other_family, ig_officer_user):
    family = _family(lats["tang-hall"], date(1990, 1, 1), name="Leaving")
    original = ContactFactory(family=family, status=Contact.Status.CLOSED)
    duplicate = ContactFactory(family=other_family, status=Contact.Status.DUPLICATE, duplicate_of=original)
    retention_reviews_build(today=TODAY)

    family_dispose(review=family.retention_review, user=ig_officer_user, reason=REASON)

    duplicate.refresh_from_db()
    assert duplicate.duplicate_of is None
    assert duplicate.history.first().duplicate_of_id is None


@pytest.fixture
def queued(lats, ig_officer_user):
    family = _family(lats["tang-hall"], date(1990, 1, 1), name="Quennell")
    retention_reviews_build(today=TODAY)
    return RetentionReview.objects.get(family=family)


def test_family_dispose_refused_under_a_legal_hold_and_allowed_once_released(queued, ig_officer_user):
    retention_hold_place(review=queued, user=ig_officer_user, reason="A claim", review_on=date(2026, 9, 1))
    with pytest.raises(RetentionError, match="legal hold"):
        family_dispose(review=queued, user=ig_officer_user, reason=REASON)
    assert Family.objects.filter(pk=queued.family_id).exists()

    retention_hold_release(review=queued, user=ig_officer_user)
    family_dispose(review=queued, user=ig_officer_user, reason=REASON)

    assert not Family.objects.filter(pk=queued.family_id).exists()
    assert FamilyTombstone.objects.get().youngest_child_25_on == date(2015, 1, 1)


def test_family_dispose_refused_when_an_episode_opens_after_queueing(queued, ig_officer_user):
    EpisodeFactory(family=queued.family, status=Episode.Status.REQUESTED)

    with pytest.raises(RetentionError, match="open episode"):
        family_dispose(review=queued, user=ig_officer_user, reason=REASON)

    assert Family.objects.filter(pk=queued.family_id).exists()


def test_family_dispose_refused_when_a_contact_opens_after_queueing(queued, ig_officer_user):
    ContactFactory(family=queued.family, status=Contact.Status.RECEIVED)

    with pytest.raises(RetentionError, match="open contact"):
        family_dispose(review=queued, user=ig_officer_user, reason=REASON)


def test_family_dispose_refused_when_a_young_child_joins(queued, ig_officer_user):
    FamilyMemberFactory(family=queued.family, person=PersonFactory(date_of_birth=date(2024, 1, 1)))

    with pytest.raises(RetentionError, match="child under 25"):
        family_dispose(review=queued, user=ig_officer_user, reason=REASON)


def test_family_dispose_refused_before_the_review_is_due(lats, ig_officer_user):
    family = _family(lats["tang-hall"], date(1990, 1, 1))
    review = RetentionReview.objects.create(family=family, due_on=TODAY + timedelta(days=1))

    with pytest.raises(RetentionError, match="not due"):
        family_dispose(review=review, user=ig_officer_user, reason=REASON)


def _subject_access(person, officer, *, status: str, received_on: date) -> SubjectAccessRequest:
    return SubjectAccessRequest.objects.create(
        person=person,
        person_reference="P-TEST",
        requested_by=officer,
        received_on=received_on,
        due_on=received_on + timedelta(days=28),  # February
        status=status,
    )


@pytest.mark.parametrize("status", ["queued", "building", "failed"])
def test_family_dispose_refused_while_a_subject_access_request_about_a_member_is_unanswered(
    queued, ig_officer_user, status
):
    parent = queued.family.members.get(role="parent").person
    _subject_access(parent, ig_officer_user, status=status, received_on=date(2024, 1, 1))

    with pytest.raises(RetentionError, match="subject access request about a member of the family"):
        family_dispose(review=queued, user=ig_officer_user, reason=REASON)

    assert Family.objects.filter(pk=queued.family_id).exists()


def test_family_dispose_refused_within_a_month_and_a_day_of_a_subject_access_request_being_received(
    queued, ig_officer_user, ig_officer_client, moment
):
    child = queued.family.members.get(role="child").person
    request = _subject_access(child, ig_officer_user, status="ready", received_on=date(2026, 2, 2))  # due 2 March

    page = page_of(ig_officer_client.get(reverse("governance:retention_review", args=[queued.uuid])))
    assert "A subject access request about a member of the family is still being answered" in page
    with pytest.raises(RetentionError, match="subject access request"):
        family_dispose(review=queued, user=ig_officer_user, reason=REASON)

    moment.move_to(NOW + timedelta(days=1))  # a calendar month and a day after it was received
    family_dispose(review=queued, user=ig_officer_user, reason=REASON)

    assert not SubjectAccessRequest.objects.filter(pk=request.pk).exists()


def test_family_dispose_deletes_the_history_of_records_removed_before_it(queued, ig_officer_user, cfs_worker_user):
    family = queued.family
    child = family.members.get(role="child").person
    assessment = AssessmentFactory(family=family, assessor=cfs_worker_user, status="authorised")
    Need.objects.create(assessment=assessment, person=child, headline="school", description="Private words").delete()
    Scaling.objects.create(assessment=assessment, person=child, score=3).delete()
    restriction = Restriction.objects.create(
        person=child, category="other", reason="Private reason", restricted_by=ig_officer_user, review_due=TODAY
    )
    restriction.delete()
    assert Need.history.filter(assessment_id=assessment.pk).exists()

    tombstone = family_dispose(review=queued, user=ig_officer_user, reason=REASON)

    assert not Need.history.filter(assessment_id=assessment.pk).exists()
    assert not Scaling.history.filter(assessment_id=assessment.pk).exists()
    assert not Restriction.history.filter(person_id=child.pk).exists()
    assert tombstone.record_counts[HISTORY_COUNT_KEY] >= 6


def test_retention_hold_place_needs_a_reason_and_a_future_date(queued, ig_officer_user):
    with pytest.raises(ValidationError) as refused:
        retention_hold_place(review=queued, user=ig_officer_user, reason=" ", review_on=TODAY)

    assert set(refused.value.message_dict) == {"reason", "review_on"}


# Pages


def test_retention_queue_lists_reviews_with_their_holds(queued, lats, ig_officer_user, ig_officer_client):
    held_family = _family(lats["hob-moor"], date(1991, 1, 1), name="Held")
    retention_reviews_build(today=TODAY)
    retention_hold_place(
        review=held_family.retention_review, user=ig_officer_user, reason="A claim", review_on=date(2026, 9, 1)
    )

    everything = page_of(ig_officer_client.get(reverse("governance:retention_queue")))
    held = page_of(ig_officer_client.get(reverse("governance:retention_queue"), {"status": "held"}))

    assert queued.family.reference in everything and held_family.reference in everything
    assert "Quennell" not in everything  # families are shown by reference, never by name
    assert "1 Jan 2015" in everything and "Look again on 1 Sep 2026" in everything
    assert held_family.reference in held and queued.family.reference not in held


def test_retention_review_page_counts_records_without_their_content(queued, ig_officer_client):
    CaseNoteFactory(family=queued.family, text="Something private happened")

    page = page_of(ig_officer_client.get(reverse("governance:retention_review", args=[queued.uuid])))

    assert "Case notes" in page and "Something private" not in page and "Quennell" not in page
    assert AccessEvent.objects.filter(object_uuid=queued.family.uuid, detail="retention review").exists()


def test_retention_dispose_refuses_a_wrong_code(queued, authenticator, ig_officer_client):
    url = reverse("governance:retention_dispose", args=[queued.uuid])

    page = page_of(ig_officer_client.post(url, {"reason": REASON, "code": _wrong(_code())}))

    assert "The code is not right" in page
    assert Family.objects.filter(pk=queued.family_id).exists()


def test_retention_dispose_with_the_code_disposes_of_the_records(queued, authenticator, ig_officer_client):
    url = reverse("governance:retention_dispose", args=[queued.uuid])
    reference = queued.family.reference

    response = ig_officer_client.post(url, {"reason": REASON, "code": _code()}, follow=True)

    assert messages_of(response) == [f"The records of family {reference} have been disposed of. A tombstone is kept."]
    assert not Family.objects.filter(pk=queued.family_id).exists()
    disposed = page_of(ig_officer_client.get(reverse("governance:retention_disposed")))
    assert reference in disposed and REASON in disposed
    assert ig_officer_client.get(reverse("governance:retention_review", args=[queued.uuid])).status_code == 404


def test_retention_hold_and_release_pages(queued, ig_officer_client):
    hold_url = reverse("governance:retention_hold", args=[queued.uuid])

    refused = page_of(
        ig_officer_client.post(hold_url, {"reason": "", "review_on_0": "1", "review_on_1": "1", "review_on_2": "2020"})
    )
    placed = ig_officer_client.post(
        hold_url, {"reason": "A claim", "review_on_0": "1", "review_on_1": "9", "review_on_2": "2026"}, follow=True
    )
    review_page = page_of(placed)
    dispose_page = page_of(ig_officer_client.get(reverse("governance:retention_dispose", args=[queued.uuid])))
    released = ig_officer_client.post(reverse("governance:retention_release", args=[queued.uuid]), follow=True)

    assert "Say why the records must be kept" in refused and "must be in the future" in refused
    assert messages_of(placed) == [f"Legal hold placed on the records of family {queued.family.reference}."]
    assert "Release the hold" in review_page and "Dispose of the records</a>" not in review_page
    assert "under a legal hold" in dispose_page and "code" not in dispose_page.split("<main")[1].lower()
    assert messages_of(released) == [f"Legal hold released on the records of family {queued.family.reference}."]
    queued.refresh_from_db()
    assert (queued.status, queued.hold_reason, queued.hold_review_on) == ("due", "", None)
    assert [entry.status for entry in queued.history.order_by("history_id")] == ["due", "held", "due"]


@pytest.mark.parametrize(
    "persona",
    ["partner", "cfs_worker", "lat_manager", "mash_screener", "mash_manager", "other_lat", "analyst", "sf_officer"],
)
def test_retention_pages_refuse_other_personas(persona, request, queued):
    client = request.getfixturevalue(f"{persona}_client")
    for url in (
        reverse("governance:retention_queue"),
        reverse("governance:retention_disposed"),
        reverse("governance:retention_review", args=[queued.uuid]),
        reverse("governance:retention_dispose", args=[queued.uuid]),
        reverse("governance:retention_hold", args=[queued.uuid]),
    ):
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("governance:retention_dispose", args=[queued.uuid]), {"reason": "x"}).status_code == 403
    assert Family.objects.filter(pk=queued.family_id).exists()


def test_retention_queue_is_in_the_information_governance_navigation(ig_officer_client, cfs_worker_client):
    queue = reverse("governance:retention_queue")

    assert f'href="{queue}"' in page_of(ig_officer_client.get(reverse("core:home")))
    assert f'href="{queue}"' not in page_of(cfs_worker_client.get(reverse("core:home")))


# Demo


def test_retention_demo_queues_families_closed_long_ago(lats, ig_officer_user):
    message = retention_demo(today=TODAY)

    queued = RetentionReview.objects.filter(family__reference__in=[row[0] for row in RETENTION_DEMO_FAMILIES])
    assert queued.count() == 3
    assert set(queued.values_list("status", flat=True)) == {"due", "held"}
    assert all(review.due_on <= TODAY - timedelta(days=365) for review in queued)
    assert message == "Retention: 3 families closed long ago added; 3 queued for a retention review."
    assert (
        retention_demo(today=TODAY) == "Retention: 0 families closed long ago added; 0 queued for a retention review."
    )


def test_retention_demo_family_can_be_disposed_of(lats, ig_officer_user):
    retention_demo(today=TODAY)
    review = RetentionReview.objects.filter(status="due").order_by("due_on").first()

    tombstone = family_dispose(review=review, user=ig_officer_user, reason=REASON)

    assert tombstone.record_counts["cases.episode"] == 1
    assert tombstone.record_counts["cases.closure"] == 1
    assert not Family.objects.filter(pk=review.family_id).exists()
