"""What each PDF says: every kind is asked for through its button's URL as the persona who would print it, rendered
by the (eager) worker, and read back with poppler's `pdftotext -layout`. One render per kind, several assertions
each: rendering costs about a second.

Every document is marked OFFICIAL-SENSITIVE on every page, numbered "Page X of Y", and carries the family reference in
its running header; a restricted family member is never named to someone not on the allow-list; and HTML typed into
the record comes out as the literal text that was typed.
"""

import subprocess
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from assessments.models import AssessmentSubject, EarlyHelpAssessment
from cases.models import Closure, Episode, FamilyPlan
from cases.services import family_restricted_allow
from consent.models import ConsentRecord
from documents.models import DocumentRequest
from referrals.models import Contact, MashDecision, RagRating
from tests.factories import (
    ActionFactory,
    AllocatedEpisodeFactory,
    AssessmentFactory,
    AssessmentSectionFactory,
    CaseNoteFactory,
    ClosureFactory,
    ConsentRecordFactory,
    ConsentShareFactory,
    ContactChildFactory,
    ContactFactory,
    FamilyMemberFactory,
    FamilyPlanFactory,
    GoalFactory,
    GoalScoreFactory,
    NeedFactory,
    PersonFactory,
    ScalingFactory,
)

pytestmark = pytest.mark.django_db

SMUGGLED = '<img src="file:///etc/passwd">'
MARKING = "OFFICIAL-SENSITIVE"


def pdf_pages(client, url_name: str, uuid, capture) -> tuple[DocumentRequest, list[str]]:
    """Press the record's "Create a PDF" button, let the worker render it, and return the text of each page."""
    with capture(execute=True):
        response = client.post(reverse(f"documents:{url_name}", kwargs={"uuid": uuid}))
    assert response.status_code == 302, response
    request = DocumentRequest.objects.get(uuid=response.url.rstrip("/").rsplit("/", 1)[-1])
    assert request.status == DocumentRequest.Status.READY, request.error
    text = subprocess.run(
        ["pdftotext", "-layout", request.document.file.path, "-"], capture_output=True, check=True, text=True
    ).stdout
    pages = text.split("\f")
    if pages and not pages[-1].strip():
        pages.pop()
    assert len(pages) == request.document.page_count
    return request, pages


def assert_marked(pages: list[str], family) -> None:
    """OFFICIAL-SENSITIVE at the top and bottom of every page, "Page X of Y", the family reference in the header."""
    total = len(pages)
    for number, page in enumerate(pages, start=1):
        assert page.count(MARKING) >= 2, f"page {number} is not marked top and bottom"
        assert f"Page {number} of {total}" in page
        assert family.reference in page.strip().splitlines()[0], f"page {number} has no reference in its header"


class Text:
    """A document's text, searched with all layout whitespace ignored: a phrase may wrap within a table cell."""

    def __init__(self, pages: list[str]):
        self.flat = _flat("".join(pages))

    def __contains__(self, phrase: str) -> bool:
        return _flat(phrase) in self.flat

    def index(self, phrase: str) -> int:
        return self.flat.index(_flat(phrase))


def _flat(text: str) -> str:
    return "".join(text.split())


@pytest.fixture
def child(own_family):
    person = PersonFactory(first_name="Ada", last_name="Byrne", date_of_birth=date(2016, 5, 4))
    FamilyMemberFactory(family=own_family, person=person)
    return person


@pytest.fixture
def hidden(own_family):
    """A restricted member of an ordinary family: no one in these tests is on their allow-list."""
    person = PersonFactory(first_name="Quill", last_name="Hiddenstone", restricted=True)
    FamilyMemberFactory(family=own_family, person=person)
    return person


# --- Family plan -------------------------------------------------------------------------------------------------


def test_plan_pdf_shows_goals_actions_and_scaling_history_over_marked_numbered_pages(
    cfs_worker_client, cfs_worker_user, own_family, child, hidden, django_capture_on_commit_callbacks
):
    plan = FamilyPlanFactory(
        episode=AllocatedEpisodeFactory(family=own_family, lead_practitioner=cfs_worker_user),
        status=FamilyPlan.Status.AGREED,
        agreed_on=timezone.localdate(),
        agreed_by=cfs_worker_user,
        summary=f"Calm mornings. {SMUGGLED}",
    )
    first = GoalFactory(plan=plan, person=child, text="Ada is at school by 8:50 every day", baseline=2, latest=6)
    GoalScoreFactory(goal=first, score=4, comment="Better since the new alarm clock", recorded_by=cfs_worker_user)
    GoalScoreFactory(goal=first, score=6, comment="Only one late morning this fortnight", recorded_by=cfs_worker_user)
    ActionFactory(plan=plan, goal=first, what="Buy an alarm clock for Ada", owner_user=cfs_worker_user)
    secret = GoalFactory(plan=plan, person=hidden, text="Sleeps through the night", position=1)
    ActionFactory(plan=plan, goal=secret, what="Bedtime chart on the fridge", owner_user=None, owner_person=hidden)
    # Enough goals that the plan runs over more than one page.
    for position in range(2, 12):
        GoalFactory(plan=plan, text=f"Filler goal number {position} about keeping routines", position=position)

    request, pages = pdf_pages(cfs_worker_client, "plan_pdf", plan.uuid, django_capture_on_commit_callbacks)

    text = Text(pages)
    assert len(pages) > 1
    assert_marked(pages, own_family)
    assert "Family plan, version 1" in text
    assert "Ada is at school by 8:50 every day" in text and child.full_name in text
    assert "Buy an alarm clock for Ada" in text and "Bedtime chart on the fridge" in text
    assert "Better since the new alarm clock" in text and "Only one late morning this fortnight" in text
    assert "Started at 2, target 8, latest 6 out of 10." in text
    assert "Hiddenstone" not in text and "Quill" not in text
    assert "Goal 2: for someone in the family" in text and "Someone in the family" in text
    assert SMUGGLED in text
    assert request.document.record_version.startswith("version 1, changed ")
    assert request.document.template_version == "plan-1"


# --- Whole-family assessment -------------------------------------------------------------------------------------


def test_assessment_pdf_shows_sections_people_scaling_analysis_and_needs(
    cfs_worker_client, own_family, child, hidden, django_capture_on_commit_callbacks
):
    assessment = AssessmentFactory(
        family=own_family,
        status=EarlyHelpAssessment.Status.AUTHORISED,
        completed_on=timezone.localdate(),
        level_of_need=EarlyHelpAssessment.Level.TARGETED,
        pathway=EarlyHelpAssessment.Pathway.TARGETED,
        analysis="Mornings are the pressure point; the family wants help with routines.",
    )
    for person, is_child in ((child, True), (hidden, True)):
        AssessmentSubject.objects.create(assessment=assessment, person=person, is_child=is_child)
    AssessmentSectionFactory(
        assessment=assessment,
        key="reason",
        position=1,
        status="completed",
        answers={"reason": f"School raised lateness. {SMUGGLED}", "family_view": "Mum says mornings are chaos."},
    )
    AssessmentSectionFactory(
        assessment=assessment,
        key="child_development",
        person=child,
        position=3,
        status="completed",
        answers={"health": "Ada is well and sees the dentist."},
    )
    AssessmentSectionFactory(
        assessment=assessment,
        key="child_development",
        person=hidden,
        position=4,
        status="completed",
        answers={"health": "Secret answer about the restricted child."},
    )
    ScalingFactory(assessment=assessment, person=None, score=4, note="Practitioner's view")
    ScalingFactory(assessment=assessment, person=child, score=7, note="Ada's own score")
    ScalingFactory(assessment=assessment, person=hidden, score=2)
    NeedFactory(assessment=assessment, headline="education", person=child, description="Late most days")
    NeedFactory(assessment=assessment, headline="housing", person=hidden, description="Shares a room")

    request, pages = pdf_pages(cfs_worker_client, "assessment_pdf", assessment.uuid, django_capture_on_commit_callbacks)

    text = Text(pages)
    assert_marked(pages, own_family)
    assert f"Early Help Assessment {assessment.version}" in text and "Authorised" in text
    assert "Reason for the assessment" in text and "Mum says mornings are chaos." in text
    assert f"Development: {child.full_name}" in text and "Ada is well and sees the dentist." in text
    assert "Practitioner's view" in text and "Ada's own score" in text
    assert "Mornings are the pressure point" in text and "3: targeted or complex" in text
    assert "Getting a good education" in text and "Late most days" in text and "Shares a room" in text
    assert "Hiddenstone" not in text and "Quill" not in text
    assert "Secret answer about the restricted child." not in text
    assert "Development: someone in the family" in text
    assert SMUGGLED in text
    assert request.document.template_version == "assessment-1"
    assert request.document.record_version.startswith(f"version {assessment.version}, authorised, changed ")


def test_assessment_pdf_of_a_draft_leaves_out_answers_for_readers_who_cannot_edit(
    mash_screener_user, own_family, child
):
    """The summary page of an assessment being written shows only its task list to those who may not edit it."""
    from documents.kinds import ASSESSMENT
    from documents.services import document_html

    assessment = AssessmentFactory(family=own_family)
    AssessmentSectionFactory(assessment=assessment, key="reason", answers={"reason": "Draft words"})
    html = document_html(spec=ASSESSMENT, user=mash_screener_user, record=assessment)
    assert "Draft words" not in html and "shown once the assessment has been submitted" in html


# --- MASH contact and decision -----------------------------------------------------------------------------------


def test_contact_pdf_shows_the_concern_rag_and_decision_to_the_mash(
    mash_screener_client, mash_screener_user, mash_manager_user, council, own_family, child, hidden,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    # The MASH is not the Local Area Team holding the record: consent to share with the council covers it.
    consent = ConsentRecordFactory(family=own_family, status=ConsentRecord.Status.GIVEN)
    ConsentShareFactory(consent=consent, agency=council)
    contact = ContactFactory(
        family=own_family,
        status=Contact.Status.DECIDED,
        rag="red",
        concern=f"Ada arrives hungry and tired. {SMUGGLED}",
        referrer_name="Rita Referrer",
        referrer_organisation="Test Primary School",
        information_gathered="Health visitor confirms missed appointments.",
    )
    ContactChildFactory(contact=contact, person=child)
    ContactChildFactory(contact=contact, person=hidden)  # restricted after the contact was made
    RagRating.objects.create(contact=contact, rag="red", rated_by=mash_screener_user, reason="Two agencies worried")
    MashDecision.objects.create(
        contact=contact,
        level=3,
        outcome=MashDecision.Outcome.TARGETED,
        rationale="Needs a Local Area Team worker for routines.",
        next_steps="Tang Hall will contact the family within 5 working days.",
        consent_basis=MashDecision.ConsentBasis.HELD,
        local_area_team=own_family.local_area_team,
        decided_by=mash_manager_user,
    )

    request, pages = pdf_pages(mash_screener_client, "contact_pdf", contact.uuid, django_capture_on_commit_callbacks)

    text = Text(pages)
    assert_marked(pages, own_family)
    assert f"Contact {contact.reference}" in text
    assert "Ada arrives hungry and tired." in text and SMUGGLED in text
    assert "RAG rating Red" in text and "Two agencies worried" in text
    assert "Targeted early help (allocate to a Local Area Team)" in text
    assert "Needs a Local Area Team worker for routines." in text
    assert "Tang Hall will contact the family within 5 working days." in text
    assert f"{mash_manager_user.full_name}," in text
    assert "Rita Referrer" in text and "Health visitor confirms missed appointments." in text
    assert child.full_name in text
    assert "Hiddenstone" not in text and "Quill" not in text and "Someone in the family" in text
    assert request.document.record_version.startswith(f"contact {contact.reference}, decided, changed ")


def test_contact_pdf_names_a_restricted_child_to_the_family_allow_list(mash_screener_user, own_family, hidden):
    from documents.kinds import CONTACT

    contact = ContactFactory(family=own_family)
    ContactChildFactory(contact=contact, person=hidden)
    context = CONTACT.context(user=mash_screener_user, record=contact)
    assert [child.person_hidden for child in context["children"]] == [True]
    family_restricted_allow(family=own_family, user=mash_screener_user)
    context = CONTACT.context(user=mash_screener_user, record=contact)
    assert [child.person_hidden for child in context["children"]] == [False]


def test_contact_without_a_family_record_cannot_be_printed(mash_screener_client):
    contact = ContactFactory(family=None, postcode="LS1 1AA", local_area_team=None)
    response = mash_screener_client.post(reverse("documents:contact_pdf", kwargs={"uuid": contact.uuid}))
    assert response.status_code == 404
    assert not DocumentRequest.objects.exists()
    page = mash_screener_client.get(reverse("referrals:contact_detail", kwargs={"uuid": contact.uuid}))
    assert "Create a PDF" not in page.content.decode()


# --- Chronology --------------------------------------------------------------------------------------------------


def test_chronology_pdf_lists_every_event_oldest_first_in_a_table(
    cfs_worker_client, cfs_worker_user, own_family, child, hidden, django_capture_on_commit_callbacks
):
    today = timezone.localdate()
    first = CaseNoteFactory(
        family=own_family, significant=True, happened_on=today - timedelta(days=30), text="Mum asked for help first"
    )
    first.people.add(child)
    CaseNoteFactory(family=own_family, significant=True, happened_on=today - timedelta(days=10), text=SMUGGLED)
    about_hidden = CaseNoteFactory(
        family=own_family, significant=True, happened_on=today - timedelta(days=20), text="Quill told us a secret"
    )
    about_hidden.people.add(hidden)
    CaseNoteFactory(family=own_family, significant=False, happened_on=today, text="An ordinary note")
    ContactFactory(family=own_family, received_at=timezone.now() - timedelta(days=40))

    request, pages = pdf_pages(cfs_worker_client, "chronology_pdf", own_family.uuid, django_capture_on_commit_callbacks)

    text = Text(pages)
    assert_marked(pages, own_family)
    assert "Chronology" in text and "3 events" in text
    assert "Date Event What happened People" in text
    assert text.index("Contact received") < text.index("Mum asked for help first") < text.index(SMUGGLED)
    assert child.full_name in text
    assert SMUGGLED in text
    assert "Quill" not in text and "Hiddenstone" not in text and "An ordinary note" not in text
    assert request.document.record_version.startswith("3 events as at ")


# --- Closure summary ---------------------------------------------------------------------------------------------


def test_closure_pdf_shows_reason_feedback_final_scores_and_who_approved(
    lat_manager_client, lat_manager_user, cfs_worker_user, own_family, child, hidden,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    episode = AllocatedEpisodeFactory(
        family=own_family, lead_practitioner=cfs_worker_user, status=Episode.Status.CLOSED, closed_at=timezone.now()
    )
    FamilyPlanFactory(episode=episode, version=1, status=FamilyPlan.Status.SUPERSEDED, created_by=cfs_worker_user)
    plan = FamilyPlanFactory(
        episode=episode, version=2, status=FamilyPlan.Status.AGREED, agreed_on=timezone.localdate()
    )
    GoalFactory(plan=plan, person=child, text="Ada at school on time", baseline=2, latest=9, status="achieved")
    GoalFactory(plan=plan, person=hidden, text="A calmer bedtime", baseline=3, latest=5, position=1)
    closure = ClosureFactory(
        episode=episode,
        status=Closure.Status.APPROVED,
        summary=f"Routines are steady. {SMUGGLED}",
        satisfaction=5,
        made_difference=Closure.Difference.YES,
        family_comments="Thank you for listening to us.",
        requested_by=cfs_worker_user,
        decided_by=lat_manager_user,
        decided_at=timezone.now(),
    )

    request, pages = pdf_pages(lat_manager_client, "closure_pdf", closure.uuid, django_capture_on_commit_callbacks)

    text = Text(pages)
    assert_marked(pages, own_family)
    assert "Closure summary" in text and "Outcomes achieved" in text
    assert "Routines are steady." in text and SMUGGLED in text
    assert "5 out of 5" in text and "Thank you for listening to us." in text
    assert "Goals in the family plan, version 2 (agreed)" in text
    assert "Ada at school on time" in text and "Achieved" in text and "A calmer bedtime" in text
    assert f"Approved by {lat_manager_user.full_name}" in text
    assert "Hiddenstone" not in text and "Quill" not in text and "Someone in the family" in text
    assert request.document.record_version.startswith("closed, changed ")


# --- Who may ask -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["assessment", "contact", "chronology", "closure"])
def test_pdf_of_a_record_outside_scope_is_404_and_asks_for_nothing(other_lat_client, own_family, kind):
    records = {
        "assessment": lambda: AssessmentFactory(family=own_family).uuid,
        "contact": lambda: ContactFactory(family=own_family).uuid,
        "chronology": lambda: own_family.uuid,
        "closure": lambda: ClosureFactory(episode=AllocatedEpisodeFactory(family=own_family)).uuid,
    }
    response = other_lat_client.post(reverse(f"documents:{kind}_pdf", kwargs={"uuid": records[kind]()}))
    assert response.status_code == 404
    assert not DocumentRequest.objects.exists()


@pytest.mark.parametrize(
    ("page", "kind"),
    [
        ("cases:plan_detail", "plan"),
        ("assessments:summary", "assessment"),
        ("cases:chronology", "chronology"),
        ("cases:episode_detail", "closure"),
    ],
)
def test_record_pages_offer_a_pdf_button(cfs_worker_client, cfs_worker_user, own_family, page, kind):
    episode = AllocatedEpisodeFactory(family=own_family, lead_practitioner=cfs_worker_user)
    records = {
        "plan": lambda: FamilyPlanFactory(episode=episode),
        "assessment": lambda: AssessmentFactory(family=own_family),
        "chronology": lambda: own_family,
        "closure": lambda: ClosureFactory(episode=episode),
    }
    record = records[kind]()
    page_uuid = episode.uuid if kind == "closure" else record.uuid
    content = cfs_worker_client.get(reverse(page, kwargs={"uuid": page_uuid})).content.decode()
    assert f'action="{reverse(f"documents:{kind}_pdf", kwargs={"uuid": record.uuid})}"' in content
    assert "Create a PDF" in content and 'name="csrfmiddlewaretoken"' in content


def test_contact_page_offers_a_pdf_button_to_the_mash(mash_screener_client, own_family):
    contact = ContactFactory(family=own_family)
    content = mash_screener_client.get(reverse("referrals:contact_detail", kwargs={"uuid": contact.uuid})).content
    assert reverse("documents:contact_pdf", kwargs={"uuid": contact.uuid}) in content.decode()


def test_family_page_links_to_its_documents(cfs_worker_client, own_family):
    url = reverse("documents:family_documents", kwargs={"uuid": own_family.uuid})
    page = cfs_worker_client.get(reverse("cases:family_detail", kwargs={"uuid": own_family.uuid}))
    assert f'href="{url}">Documents</a>' in page.content.decode()
