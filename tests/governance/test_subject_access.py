"""Subject access requests: an information governance officer finds anyone held (restricted people too), records
the request, and a pack of everything held about the person is built in the background, once; its report and JSON
flag every third party's name for redaction and never the person's own; a failure is shown and tried again; a
request the broker lost is sent again; every download is an export in the access log."""

import io
import json
import os
import zipfile
from datetime import date, timedelta

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments.models import AssessmentSubject
from cases.models import FamilyMember, Person, Relationship
from consent.models import ConsentRecord
from documents.models import Document, DocumentRequest
from earlyhelp.accounts.models import Notification
from earlyhelp.audit.models import AccessEvent
from earlyhelp.audit.services import access_event_record
from earlyhelp.core import claims
from governance.models import SubjectAccessRequest
from governance.services import subject_access as services
from governance.subject_access_pack import pack_collect, pack_report_html
from governance.tasks import subject_access_build_task, subject_access_requeue_task
from referrals.models import Contact, ContactChild
from tests.claims import claimant_alive
from tests.documents.test_services import broker_unreachable, pdf_text
from tests.factories import (
    ActionFactory,
    AllocatedEpisodeFactory,
    AssessmentFactory,
    AssessmentSectionFactory,
    CaseNoteAmendmentFactory,
    CaseNoteFactory,
    ConcernFlagFactory,
    ConsentRecordFactory,
    ConsentSubjectFactory,
    ContactChildFactory,
    ContactFactory,
    DisclosureLogFactory,
    FamilyMemberFactory,
    FamilyPlanFactory,
    GoalFactory,
    GoalScoreFactory,
    InterventionFactory,
    InterventionSessionFactory,
    NeedFactory,
    PersonAddressFactory,
    PersonFactory,
    RelationshipFactory,
    TafAttendanceFactory,
    TafMeetingFactory,
)
from tests.pages import messages_of, page_of

pytestmark = pytest.mark.django_db

QUEUED, BUILDING, READY, FAILED = (
    SubjectAccessRequest.Status.QUEUED,
    SubjectAccessRequest.Status.BUILDING,
    SubjectAccessRequest.Status.READY,
    SubjectAccessRequest.Status.FAILED,
)
NOTE_ABOUT_KIT = "Kit said school is better now. Rowan was upset at tea and Morgan Ashworth calmed things down."
NOTE_ABOUT_ROWAN_ONLY = "Rowan talked about a falling-out with a friend (about Rowan only)."
FAMILY_NOTE = "The family moved the bedtime routine earlier; everyone agreed."
NEIGHBOUR = "Dee Hollowell"
AUNT = "Jo Brackenbury"


# --- A person with records of every kind -----------------------------------------------------------------------


@pytest.fixture
def kit(own_family, cfs_worker_user, lat_manager_user, council):
    """Kit Ashworth, a child in the own family, with a mother (Morgan) and a sibling (Rowan): records of every kind,
    some about Kit, some about the whole family, and some about Rowan only (which the pack leaves out)."""
    kit = FamilyMemberFactory(
        family=own_family,
        person=PersonFactory(first_name="Kit", last_name="Ashworth", nhs_number="9434765919"),
    ).person
    morgan = FamilyMemberFactory(
        family=own_family,
        person=PersonFactory(first_name="Morgan", last_name="Ashworth", date_of_birth=date(1988, 6, 1)),
        role=FamilyMember.Role.PARENT,
        parental_responsibility=True,
    ).person
    rowan = FamilyMemberFactory(
        family=own_family, person=PersonFactory(first_name="Rowan", last_name="Ashworth")
    ).person
    PersonAddressFactory(person=kit, address_line_1="12 Heworth Green")
    RelationshipFactory(family=own_family, person=morgan, relative=kit, kind=Relationship.Kind.MOTHER)

    contact = ContactFactory(
        family=own_family,
        referrer_kind=Contact.ReferrerKind.OTHER,
        referrer_user=None,
        referrer_name=NEIGHBOUR,
        source="1B",
        recorded_by=cfs_worker_user,
        concern="A neighbour hears shouting late at night (test concern).",
    )
    ContactChildFactory(contact=contact, person=kit)
    ConcernFlagFactory(person=kit, raised_by=cfs_worker_user, agency=council)

    episode = AllocatedEpisodeFactory(family=own_family, lead_practitioner=cfs_worker_user)
    assessment = AssessmentFactory(family=own_family, assessor=cfs_worker_user, analysis="Kit is thriving at school.")
    AssessmentSubject.objects.create(assessment=assessment, person=kit, is_child=True)
    AssessmentSubject.objects.create(assessment=assessment, person=rowan, is_child=True)
    AssessmentSectionFactory(
        assessment=assessment, key="voice", person=kit, position=2, answers={"words": "I like my new teacher"}
    )
    AssessmentSectionFactory(
        assessment=assessment, key="voice", person=rowan, position=3, answers={"words": "Rowan's own words only"}
    )
    NeedFactory(assessment=assessment, person=kit, description="Kit's attendance needs support")

    plan = FamilyPlanFactory(episode=episode, family=own_family, created_by=cfs_worker_user)
    goal = GoalFactory(plan=plan, person=kit, text="Kit is in school every day by 8:50")
    GoalScoreFactory(goal=goal, score=6, recorded_by=cfs_worker_user, comment="Much better")
    rowan_goal = GoalFactory(plan=plan, person=rowan, text="Rowan's goal only")
    ActionFactory(plan=plan, goal=goal, what="Walk Kit to school", owner_user=None, owner_person=morgan)
    ActionFactory(plan=plan, goal=rowan_goal, what="Rowan's action only", owner_user=cfs_worker_user)

    meeting = TafMeetingFactory(
        episode=episode, family=own_family, notes="Review went well.", recorded_by=cfs_worker_user
    )
    TafAttendanceFactory(meeting=meeting, person=morgan, name="")
    TafAttendanceFactory(meeting=meeting, name=AUNT)
    TafAttendanceFactory(meeting=meeting, user=lat_manager_user, name="")

    intervention = InterventionFactory(episode=episode, family=own_family, worker=cfs_worker_user)
    seen_kit = InterventionSessionFactory(intervention=intervention, notes="Kit practised the morning routine")
    seen_kit.people_seen.set([kit])
    seen_rowan = InterventionSessionFactory(intervention=intervention, notes="Rowan only session")
    seen_rowan.people_seen.set([rowan])

    about_kit = CaseNoteFactory(family=own_family, text=NOTE_ABOUT_KIT, author=cfs_worker_user)
    about_kit.people.set([kit])
    CaseNoteAmendmentFactory(note=about_kit, text="Tea, not dinner.", author=cfs_worker_user)
    CaseNoteFactory(family=own_family, text=FAMILY_NOTE, author=cfs_worker_user)
    CaseNoteFactory(family=own_family, text=NOTE_ABOUT_ROWAN_ONLY, author=cfs_worker_user).people.set([rowan])

    consent = ConsentRecordFactory(
        family=own_family,
        status=ConsentRecord.Status.GIVEN,
        given_by=morgan,
        obtained_by=cfs_worker_user,
        evidence=ContentFile(b"%PDF-1.4 signed consent form", "consent.pdf"),
    )
    ConsentSubjectFactory(consent=consent, person=kit)
    DisclosureLogFactory(family=own_family, consent=consent, disclosed_by=cfs_worker_user, what="The family plan")

    request = DocumentRequest.objects.create(
        kind="plan",
        family=own_family,
        record_uuid=plan.uuid,
        requested_by=cfs_worker_user,
        template_version="plan-1",
        status=DocumentRequest.Status.READY,
    )
    document = Document(
        request=request,
        filename=f"plan-{own_family.reference}.pdf",
        sha256="0" * 64,
        size=10,
        page_count=1,
        template_version="plan-1",
        record_version="version 1",
    )
    document.file.save("plan.pdf", ContentFile(b"%PDF-1.4 the family plan"), save=True)

    access_event_record(user=cfs_worker_user, action="view", obj=own_family)
    access_event_record(user=cfs_worker_user, action="view", obj=kit)
    return kit


def ask(user, person, capture, *, received_on=None) -> SubjectAccessRequest:
    """Record a request as the view does, running the on-commit send (eager Celery builds it at once)."""
    with capture(execute=True):
        request = services.subject_access_request_create(
            user=user,
            person=person,
            received_on=received_on or timezone.localdate(),
            notes="Letter to the data protection inbox; identity checked against a passport.",
        )
    request.refresh_from_db()
    return request


def unzip(request: SubjectAccessRequest) -> zipfile.ZipFile:
    with request.file.open("rb") as handle:
        return zipfile.ZipFile(io.BytesIO(handle.read()))


# --- The pack ----------------------------------------------------------------------------------------------------


def test_subject_access_pack_holds_the_report_the_json_and_the_files(
    kit, ig_officer_user, django_capture_on_commit_callbacks
):
    request = ask(ig_officer_user, kit, django_capture_on_commit_callbacks)

    assert (request.status, request.attempts, request.error) == (READY, 1, "")
    archive = unzip(request)
    names = set(archive.namelist())
    assert {"report.pdf", "data.json", "README.txt"} <= names
    assert any(name.startswith("files/consent-evidence/") for name in names)
    assert any(name.startswith("files/documents/plan-") for name in names)
    evidence = next(name for name in names if name.startswith("files/consent-evidence/"))
    assert archive.read(evidence) == b"%PDF-1.4 signed consent form"

    data = json.loads(archive.read("data.json"))
    assert {
        "subject_access_request",
        "subject",
        "redaction_checklist",
        "person",
        "addresses",
        "family_memberships",
        "relationships",
        "professional_involvements",
        "contacts",
        "concern_flags",
        "episodes",
        "assessments",
        "plans",
        "taf_meetings",
        "interventions",
        "case_notes",
        "consents",
        "disclosures",
        "supporting_families",
        "change_history",
        "access_events",
        "files",
    } <= set(data)
    assert data["person"][0]["nhs_number"] == "9434765919"
    assert data["addresses"][0]["address_line_1"] == "12 Heworth Green"
    assert [c["concern"] for c in data["contacts"]] == ["A neighbour hears shouting late at night (test concern)."]
    assert {n["text"] for n in data["case_notes"]} == {NOTE_ABOUT_KIT, FAMILY_NOTE}  # not the note about Rowan only
    assert [a["text"] for a in data["case_notes"][0]["amendments"] if data["case_notes"][0]["text"] == NOTE_ABOUT_KIT]
    sections = data["assessments"][0]["sections"]
    assert [s["answers"] for s in sections] == ["What the child said, in their own words\nI like my new teacher"]
    plan = data["plans"][0]
    assert [g["goal"] for g in plan["goals"]] == ["Kit is in school every day by 8:50"]
    assert [a["what"] for a in plan["actions"]] == ["Walk Kit to school"]
    assert [s["notes"] for s in data["interventions"][0]["sessions"]] == ["Kit practised the morning routine"]
    assert data["consents"][0]["evidence"].startswith("files/consent-evidence/")
    assert [d["what"] for d in data["disclosures"]] == ["The family plan"]
    assert {e["record"] for e in data["access_events"]} == {
        "The person's record",
        f"Family {kit.memberships.get().family.reference}",
    }
    assert {h["record"] for h in data["change_history"]} >= {"Personal details", "Address", "Family membership"}

    report = pdf_text(archive.read("report.pdf"))
    assert "Everything held about Kit Ashworth" in report
    assert "Redaction checklist" in report
    for title in ("Case notes", "Contacts and referrals", "Assessments", "Plans, goals and actions", "Consent"):
        assert title in report
    assert "Kit practised the morning routine" in report
    assert NOTE_ABOUT_ROWAN_ONLY not in report


def test_subject_access_pack_flags_third_parties_and_never_the_subject(kit, ig_officer_user, cfs_worker_user):
    request = SubjectAccessRequest(
        person=kit,
        person_reference=services.person_reference(kit),
        requested_by=ig_officer_user,
        received_on=timezone.localdate(),
        due_on=timezone.localdate() + timedelta(days=30),
    )
    pack = pack_collect(person=kit)
    html = pack_report_html(pack=pack, request=request, generated_at=timezone.now())

    third_parties = {party.name: party for party in pack.names.third_parties}
    assert set(third_parties) == {"Morgan Ashworth", "Rowan Ashworth", NEIGHBOUR, AUNT}
    practitioners = {party.name for party in pack.names.practitioners}
    assert {"Chris Worker", "Mel Manager"} <= practitioners
    assert not practitioners & set(third_parties)
    morgan = third_parties["Morgan Ashworth"]
    assert (
        f'<mark class="third-party">Morgan Ashworth<span class="third-party-label"> [third party {morgan.ref}]' in html
    )
    assert f'<mark class="third-party">{NEIGHBOUR}<span' in html
    assert '<mark class="third-party">Kit' not in html
    assert '<mark class="third-party">Ashworth' not in html  # the subject's own surname is never a third party's
    assert '<mark class="third-party">Chris Worker' not in html
    # In the text of the note about Kit, the sibling's first name and the mother's full name are flagged.
    rowan = third_parties["Rowan Ashworth"]
    assert f'<mark class="third-party">Rowan<span class="third-party-label"> [third party {rowan.ref}]' in html

    from governance.subject_access_pack import pack_json

    data = pack_json(pack=pack, request=request, generated_at=timezone.now())
    note = next(n for n in data["case_notes"] if n["text"] == NOTE_ABOUT_KIT)
    assert {(m["text"], m["redaction_ref"]) for m in note["third_party_mentions"]} == {
        ("Rowan", rowan.ref),
        ("Morgan Ashworth", morgan.ref),
    }
    assert note["about"] == [{"name": "Kit Ashworth", "role": "subject"}]
    assert data["person"][0]["name"] == {"name": "Kit Ashworth", "role": "subject"}
    assert data["contacts"][0]["referrer"] == {
        "name": NEIGHBOUR,
        "role": "third_party",
        "redaction_ref": third_parties[NEIGHBOUR].ref,
    }
    checklist = data["redaction_checklist"]
    assert {p["name"] for p in checklist["third_parties"]} == set(third_parties)
    assert "Kit Ashworth" not in {p["name"] for p in checklist["third_parties"] + checklist["practitioners"]}
    assert "normally not redacted" in checklist["practitioners_note"]


def test_subject_access_report_escapes_markup_in_what_was_written(kit, ig_officer_user, cfs_worker_user):
    family = kit.memberships.get().family
    CaseNoteFactory(family=family, text='<script>alert("x")</script> Rowan <b>shouted</b>', author=cfs_worker_user)
    request = SubjectAccessRequest(
        person=kit, person_reference="SAR-TEST", requested_by=ig_officer_user, received_on=date(2026, 1, 5)
    )
    request.due_on = services.subject_access_due_on(request.received_on)

    html = pack_report_html(pack=pack_collect(person=kit), request=request, generated_at=timezone.now())

    assert "<script>" not in html
    assert '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; <mark class="third-party">Rowan<span' in html
    assert "&lt;b&gt;shouted&lt;/b&gt;" in html


def test_subject_access_pack_reads_with_a_fixed_number_of_queries(kit, cfs_worker_user):
    family = kit.memberships.get().family
    with CaptureQueriesContext(connection) as first:
        pack_collect(person=kit)

    # Twice as much of everything: the same number of queries.
    episode = AllocatedEpisodeFactory(family=family, lead_practitioner=cfs_worker_user, status="closed")
    for _ in range(3):
        CaseNoteFactory(family=family, author=cfs_worker_user).people.set([kit])
        intervention = InterventionFactory(episode=episode, family=family, worker=cfs_worker_user)
        InterventionSessionFactory(intervention=intervention).people_seen.set([kit])
        plan = FamilyPlanFactory(
            episode=episode, family=family, created_by=cfs_worker_user, version=_ + 2, status="superseded"
        )
        GoalScoreFactory(goal=GoalFactory(plan=plan, person=kit), recorded_by=cfs_worker_user)
        ContactChildFactory(contact=ContactFactory(family=family), person=kit)
        TafAttendanceFactory(meeting=TafMeetingFactory(episode=episode, family=family), person=kit, name="")
    with CaptureQueriesContext(connection) as second:
        pack = pack_collect(person=kit)

    assert len(second) == len(first)
    assert len(pack.section("case_notes").records) == 5


def test_subject_access_pack_leaves_out_contacts_about_another_child(kit, cfs_worker_user):
    family = kit.memberships.get().family
    morgan, rowan = (family.members.get(person__first_name=name).person for name in ("Morgan", "Rowan"))
    about_kit = ContactChild.objects.get(person=kit).contact
    about_rowan = ContactFactory(family=family, recorded_by=cfs_worker_user)
    ContactChildFactory(contact=about_rowan, person=rowan)
    about_family = ContactFactory(family=family, recorded_by=cfs_worker_user)

    def contacts(person) -> set[str]:
        return {record.title for record in pack_collect(person=person).section("contacts").records}

    assert contacts(kit) == {f"Contact {about_kit.reference}", f"Contact {about_family.reference}"}
    assert contacts(rowan) == {f"Contact {about_rowan.reference}", f"Contact {about_family.reference}"}
    assert contacts(morgan) == {f"Contact {about_family.reference}"}  # a contact about a child is the child's


def test_subject_access_pack_file_is_readable_by_its_owner_only(
    kit, ig_officer_user, django_capture_on_commit_callbacks
):
    request = ask(ig_officer_user, kit, django_capture_on_commit_callbacks)

    assert request.status == READY
    assert os.stat(request.file.path).st_mode & 0o777 == 0o600
    assert os.stat(os.path.dirname(request.file.path)).st_mode & 0o777 == 0o700


# --- Asking for one ------------------------------------------------------------------------------------------------


def test_subject_access_request_of_a_restricted_person_by_the_ig_officer(
    ig_officer_client, restricted_family, django_capture_on_commit_callbacks
):
    hidden = FamilyMemberFactory(
        family=restricted_family, person=PersonFactory(first_name="Robin", last_name="Quietly", restricted=True)
    ).person

    found = ig_officer_client.post(
        reverse("governance:subject_access_new"),
        {"name": "robin quietly", "date_of_birth_0": "2", "date_of_birth_1": "3", "date_of_birth_2": "2015"},
    )
    assert reverse("governance:subject_access_person", args=[hidden.uuid]) in page_of(found)
    assert AccessEvent.objects.filter(action="search", detail__contains="robin quietly").exists()

    chosen = ig_officer_client.get(reverse("governance:subject_access_person", args=[hidden.uuid]))
    assert "Robin Quietly" in page_of(chosen)
    today = timezone.localdate()
    with django_capture_on_commit_callbacks(execute=True):
        response = ig_officer_client.post(
            reverse("governance:subject_access_person", args=[hidden.uuid]),
            {
                "received_on_0": today.day,
                "received_on_1": today.month,
                "received_on_2": today.year,
                "notes": "By e-mail; identity checked in person.",
            },
        )

    request = SubjectAccessRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("governance:subject_access_detail", args=[request.uuid])
    assert messages_of(response) == [
        f"Subject access request {request.person_reference} recorded. Its pack is being built: you will be told when "
        "it is ready."
    ]
    assert (request.person, request.status, request.requested_by.full_name) == (hidden, READY, "Iggy Governance")
    assert request.person_reference == f"SAR-{hidden.uuid.hex[:8].upper()}"
    assert Notification.objects.get(user=request.requested_by).message == (
        f"The subject access pack for {request.person_reference} is ready to download."
    )
    detail = page_of(ig_officer_client.get(response["Location"]))
    assert "Download the pack" in detail


def test_subject_access_search_needs_an_nhs_number_or_a_name_and_a_date_of_birth(ig_officer_client):
    page = page_of(ig_officer_client.post(reverse("governance:subject_access_new"), {"name": "Kit"}))
    assert "Enter the date of birth as well as the name" in page
    page = page_of(ig_officer_client.post(reverse("governance:subject_access_new"), {}))
    assert "Enter an NHS number, or a name and a date of birth" in page


def test_subject_access_search_by_nhs_number_finds_the_person(ig_officer_client, kit):
    page = page_of(ig_officer_client.post(reverse("governance:subject_access_new"), {"nhs_number": "943 476 5919"}))
    assert "Kit Ashworth" in page
    assert "Morgan Ashworth" not in page


def test_subject_access_request_refuses_a_date_in_the_future(ig_officer_client, kit):
    tomorrow = timezone.localdate() + timedelta(days=1)
    page = page_of(
        ig_officer_client.post(
            reverse("governance:subject_access_person", args=[kit.uuid]),
            {
                "received_on_0": tomorrow.day,
                "received_on_1": tomorrow.month,
                "received_on_2": tomorrow.year,
                "notes": "By letter.",
            },
        )
    )
    assert "The date the request was received must be today or in the past" in page
    assert not SubjectAccessRequest.objects.exists()


def test_subject_access_due_on_is_one_calendar_month_after_it_was_received():
    assert services.subject_access_due_on(date(2025, 9, 3)) == date(2025, 10, 3)
    assert services.subject_access_due_on(date(2025, 1, 31)) == date(2025, 2, 28)


@pytest.mark.parametrize("persona", ["partner", "cfs_worker", "lat_manager", "mash_manager", "analyst", "sf_officer"])
def test_subject_access_pages_are_refused_to_everyone_but_information_governance(request, persona, kit):
    client = request.getfixturevalue(f"{persona}_client")
    for url in (
        reverse("governance:subject_access_list"),
        reverse("governance:subject_access_new"),
        reverse("governance:subject_access_person", args=[kit.uuid]),
    ):
        assert client.get(url).status_code == 403
    assert client.post(reverse("governance:subject_access_new"), {"nhs_number": "9434765919"}).status_code == 403


def test_subject_access_list_shows_when_each_is_due_and_which_are_overdue(
    ig_officer_client, ig_officer_user, kit, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        late = services.subject_access_request_create(
            user=ig_officer_user, person=kit, received_on=date(2025, 1, 31), notes="By letter."
        )
    page = page_of(ig_officer_client.get(reverse("governance:subject_access_list")))
    assert late.person_reference in page
    assert "28 Feb 2025" in page
    assert "Overdue" in page
    assert "Kit Ashworth" in page
    assert AccessEvent.objects.filter(action="view", detail="subject access requests, page 1").exists()


# --- Building it in the background -------------------------------------------------------------------------------


def test_subject_access_build_delivered_twice_builds_once(kit, ig_officer_user, django_capture_on_commit_callbacks):
    request = ask(ig_officer_user, kit, django_capture_on_commit_callbacks)
    file_name, checksum = request.file.name, request.sha256

    assert subject_access_build_task.delay(request.pk).get() is None
    assert services.subject_access_build(request_id=request.pk) is None

    request.refresh_from_db()
    assert (request.status, request.attempts, request.file.name, request.sha256) == (READY, 1, file_name, checksum)
    assert Notification.objects.filter(user=ig_officer_user).count() == 1


def test_subject_access_build_while_another_delivery_is_building_does_nothing(
    kit, ig_officer_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        request = services.subject_access_request_create(
            user=ig_officer_user, person=kit, received_on=timezone.localdate(), notes="By letter."
        )
    SubjectAccessRequest.objects.filter(pk=request.pk).update(status=BUILDING, attempts=1, started_at=timezone.now())

    with claimant_alive(claims.SUBJECT_ACCESS, request.pk):
        assert services.subject_access_build(request_id=request.pk) is None
    request.refresh_from_db()
    assert (request.status, request.attempts, request.file.name) == (BUILDING, 1, "")


def test_subject_access_build_failure_is_shown_the_officer_is_told_and_try_again_builds_it(
    kit, ig_officer_user, ig_officer_client, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    def broken(html):
        raise OSError("the renderer ran out of fonts")

    # The pack looks html_to_pdf up in its own module, so that is where the fault is put.
    monkeypatch.setattr("governance.subject_access_pack.html_to_pdf", broken)
    request = ask(ig_officer_user, kit, django_capture_on_commit_callbacks)

    assert (request.status, request.error, request.attempts, request.file.name) == (
        FAILED,
        services.FAULT_MESSAGE,
        1,
        "",
    )
    assert "fonts" not in request.error  # the fault is logged, not shown
    assert any(r.name == "earlyhelp.governance" and r.exc_info for r in caplog.records)
    assert Notification.objects.get(user=ig_officer_user).message == (
        f"The subject access pack for {request.person_reference} could not be built. Try again."
    )
    page = page_of(ig_officer_client.get(reverse("governance:subject_access_detail", args=[request.uuid])))
    assert services.FAULT_MESSAGE.replace("'", "&#x27;") in page
    assert "Try again" in page

    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        response = ig_officer_client.post(reverse("governance:subject_access_retry", args=[request.uuid]))
    assert messages_of(response) == [f"The pack for {request.person_reference} is being built again."]

    request.refresh_from_db()
    assert (request.status, request.error, request.attempts) == (READY, "", 2)
    assert request.file.name.startswith("subject-access/")


def test_subject_access_retry_refuses_a_request_that_has_not_failed(
    kit, ig_officer_user, ig_officer_client, django_capture_on_commit_callbacks
):
    request = ask(ig_officer_user, kit, django_capture_on_commit_callbacks)
    response = ig_officer_client.post(reverse("governance:subject_access_retry", args=[request.uuid]))
    assert messages_of(response) == ["Only a pack that failed can be tried again."]


def test_subject_access_request_while_the_broker_is_down_stays_queued_and_the_sweep_sends_it_again(
    kit, ig_officer_user, django_capture_on_commit_callbacks, caplog
):
    with broker_unreachable():
        with django_capture_on_commit_callbacks(execute=True):
            request = services.subject_access_request_create(
                user=ig_officer_user, person=kit, received_on=timezone.localdate(), notes="By letter."
            )
        assert "left queued: the broker could not be reached" in caplog.text
        assert services.subject_access_requeue() == 0  # too soon: nothing is due yet

    request.refresh_from_db()
    assert (request.status, request.attempts) == (QUEUED, 0)

    # The broker is back (eager in tests): the beat task sends it and the pack is built.
    with time_machine.travel(request.queued_at + timedelta(seconds=121), tick=False):
        assert subject_access_requeue_task.delay().get() == 1

    request.refresh_from_db()
    assert (request.status, request.attempts) == (READY, 1)


def test_subject_access_requeue_puts_back_a_request_left_building_by_a_lost_worker(
    kit, ig_officer_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        request = services.subject_access_request_create(
            user=ig_officer_user, person=kit, received_on=timezone.localdate(), notes="By letter."
        )
    started = timezone.now()
    SubjectAccessRequest.objects.filter(pk=request.pk).update(status=BUILDING, attempts=1, started_at=started)

    with (
        claimant_alive(claims.SUBJECT_ACCESS, request.pk),
        time_machine.travel(started + timedelta(minutes=5), tick=False),
    ):
        assert services.subject_access_requeue() == 0  # a worker is still on it
    with time_machine.travel(started + timedelta(hours=1), tick=False):
        assert services.subject_access_requeue() == 1

    request.refresh_from_db()
    assert (request.status, request.attempts) == (READY, 2)


# --- Downloading it ----------------------------------------------------------------------------------------------


def test_subject_access_download_is_an_export_in_the_access_log(
    kit, ig_officer_user, ig_officer_client, django_capture_on_commit_callbacks
):
    request = ask(ig_officer_user, kit, django_capture_on_commit_callbacks)
    family = kit.memberships.get().family

    response = ig_officer_client.get(reverse("governance:subject_access_download", args=[request.uuid]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert "no-store" in response["Cache-Control"]
    assert f'filename="subject-access-{request.person_reference}-' in response["Content-Disposition"]
    assert "data.json" in zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))).namelist()
    exports = AccessEvent.objects.filter(user=ig_officer_user, action=AccessEvent.Action.EXPORT)
    assert {(e.object_type, e.object_uuid) for e in exports} == {
        ("cases.person", kit.uuid),
        ("cases.family", family.uuid),
    }
    assert all(request.sha256[:16] in e.detail for e in exports)


def test_subject_access_download_asks_for_a_code_again_when_the_last_is_old(
    kit, ig_officer_user, ig_officer_client, django_capture_on_commit_callbacks
):
    request = ask(ig_officer_user, kit, django_capture_on_commit_callbacks)
    with time_machine.travel(timezone.now() + timedelta(minutes=20)):
        response = ig_officer_client.get(reverse("governance:subject_access_download", args=[request.uuid]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:reauthenticate"))
    assert not AccessEvent.objects.filter(action=AccessEvent.Action.EXPORT).exists()


def test_subject_access_download_of_a_pack_not_ready_is_404(
    kit, ig_officer_user, ig_officer_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        request = services.subject_access_request_create(
            user=ig_officer_user, person=kit, received_on=timezone.localdate(), notes="By letter."
        )
    assert ig_officer_client.get(reverse("governance:subject_access_download", args=[request.uuid])).status_code == 404


def test_subject_access_request_page_of_a_person_since_disposed_of(
    kit, ig_officer_user, ig_officer_client, django_capture_on_commit_callbacks
):
    request = ask(ig_officer_user, kit, django_capture_on_commit_callbacks)
    SubjectAccessRequest.objects.filter(pk=request.pk).update(person=None)
    page = page_of(ig_officer_client.get(reverse("governance:subject_access_detail", args=[request.uuid])))
    assert "Records disposed of" in page
    assert Person.objects.filter(pk=kit.pk).exists()
