"""The family chronology: one entry per significant event from every record, oldest first, filterable by type and
person, never naming someone the reader may not see, in a fixed number of queries."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from assessments.models import AssessmentSubject, EarlyHelpAssessment
from cases.models import CaseNote, Closure, Episode, FamilyPlan, Intervention, TafMeeting, Transfer
from cases.selectors.chronology import (
    CHRONOLOGY_CURSOR,
    EntryType,
    chronology_for,
    chronology_page,
    chronology_people,
)
from cases.services import family_restricted_allow
from consent.models import ConsentRecord
from earlyhelp.audit.models import AccessEvent
from earlyhelp.core.keyset import cursor_decode
from referrals.models import Contact, MashDecision
from tests.factories import (
    AllocatedEpisodeFactory,
    AssessmentFactory,
    CaseNoteFactory,
    ClosureFactory,
    ConsentRecordFactory,
    ConsentSubjectFactory,
    ContactChildFactory,
    ContactFactory,
    FamilyMemberFactory,
    FamilyPlanFactory,
    InterventionExtensionFactory,
    InterventionFactory,
    PersonFactory,
    TafAttendanceFactory,
    TafMeetingFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

YORK = ZoneInfo("Europe/London")
START = date(2024, 1, 8)
# The request's own overhead is 7 of these: session, user, role and group permissions, the access event (lock the
# chain head, insert, update); the session is not saved (it was saved at sign-in, less than a minute ago). The page
# itself: family, visible people, the page's entries with the people each concerns (one union over every stream, cut
# to the page), then each source reads only its records on the page (even none): notes, contacts with decisions,
# assessments, one query for the episodes with their agreed plans, held meetings and approved closures, interventions
# with approved extensions, consent and transfers.
CHRONOLOGY_QUERIES = 17


def _day(offset: int) -> date:
    return START + timedelta(days=offset)


def _at(offset: int, hour: int = 10) -> datetime:
    return datetime.combine(_day(offset), time(hour), tzinfo=YORK)


@pytest.fixture
def people(own_family):
    child = FamilyMemberFactory(family=own_family, person=PersonFactory(first_name="Zoë", last_name="O'Brien")).person
    hidden = FamilyMemberFactory(
        family=own_family, person=PersonFactory(first_name="Secret", last_name="Sibling", restricted=True)
    ).person
    parent = FamilyMemberFactory(
        family=own_family, role="parent", person=PersonFactory(first_name="Pat", last_name="Parent")
    ).person
    return {"child": child, "hidden": hidden, "parent": parent}


def _events(family, people, *, author, repeat: int = 1) -> None:
    """`repeat` events of every kind the chronology shows, on the days the contents test expects."""
    child, hidden = people["child"], people["hidden"]
    closed = AllocatedEpisodeFactory(family=family, status=Episode.Status.CLOSED)
    for index in range(repeat):
        contact = ContactFactory(family=family, received_at=_at(0), status=Contact.Status.DECIDED)
        ContactChildFactory(contact=contact, person=child)
        ContactChildFactory(contact=contact, person=hidden)
        MashDecision.objects.create(
            contact=contact,
            level=3,
            outcome=MashDecision.Outcome.TARGETED,
            rationale="Needs a Local Area Team",
            next_steps="A worker will call",
            consent_basis="held",
            decided_by=author,
            decided_at=_at(1),
        )
        assessment = AssessmentFactory(
            family=family,
            status=EarlyHelpAssessment.Status.AUTHORISED,
            started_on=_day(-5),
            completed_on=_day(2),
            decided_at=_at(3),
            level_of_need=3,
            pathway=EarlyHelpAssessment.Pathway.TARGETED,
        )
        AssessmentSubject.objects.create(assessment=assessment, person=child)
        consent = ConsentRecordFactory(
            family=family,
            status=ConsentRecord.Status.WITHDRAWN,
            obtained_on=_day(4),
            ended_on=_day(20),
            review_on=_day(400),
            data_matching=False,
        )
        ConsentSubjectFactory(consent=consent, person=child)
        ConsentSubjectFactory(consent=consent, person=hidden)
        FamilyPlanFactory(
            episode=closed,
            family=family,
            version=index + 1,
            status=FamilyPlan.Status.SUPERSEDED,
            agreed_on=_day(5),
            family_agreed=True,
        )
        meeting = TafMeetingFactory(
            episode=closed,
            family=family,
            status=TafMeeting.Status.HELD,
            held_on=_day(6),
            result=TafMeeting.Result.IMPROVED,
            decision=TafMeeting.Decision.CONTINUE,
        )
        TafAttendanceFactory(meeting=meeting, person=people["parent"], name="")
        intervention = InterventionFactory(
            episode=closed,
            family=family,
            worker=author,
            started_on=_day(7),
            planned_end_on=_day(7 + 56),
            ended_on=_day(9),
            status=Intervention.Status.COMPLETED,
        )
        InterventionExtensionFactory(
            intervention=intervention, status="approved", decided_at=_at(8), new_end_on=_day(7 + 98)
        )
        note = CaseNoteFactory(
            family=family, significant=True, happened_on=_day(10), text="Mum disclosed debts\nSecond line"
        )
        note.people.add(child)
        CaseNoteFactory(family=family, significant=False, happened_on=_day(10), text="Routine phone call")
        secret = CaseNoteFactory(family=family, significant=True, happened_on=_day(10), text="About Secret")
        secret.people.add(hidden)
        ClosureFactory(
            episode=closed,
            family=family,
            status=Closure.Status.APPROVED,
            decided_at=_at(11),
            reason=Closure.Reason.OUTCOMES_ACHIEVED,
        )
        AllocatedEpisodeFactory(family=family, status=Episode.Status.CLOSED, reopened_at=_at(12))
        transfer = Transfer.objects.create(
            family=family, direction="step_up", kind="social_care", created_by=author, external_reference="CSC-1"
        )
        Transfer.objects.filter(pk=transfer.pk).update(created_at=_at(13))


EXPECTED = [
    (_day(0), "Contact received", "from 2A: schools"),
    (_day(1), "MASH decision", "Targeted early help (allocate to a Local Area Team), level 3: targeted or complex"),
    (_day(2), "Assessment submitted", "submitted for authorisation"),
    (_day(3), "Assessment authorised", "authorised: level 3: targeted or complex, Targeted support through the MASH"),
    (_day(4), "Consent given", "To engage in early help, store information"),
    (_day(5), "Plan agreed", "Plan version 1 agreed, with the family"),
    (_day(6), "Review held", "Result: improved. Decision: continue the plan"),
    (_day(7), "Intervention started", "Routines and boundaries with Test Author, to end 11 March 2024"),
    (_day(8), "Intervention extended", "Routines and boundaries extended to 22 April 2024"),
    (_day(9), "Intervention completed", "Routines and boundaries"),
    (_day(10), "Significant event", "Home visit: Mum disclosed debts"),
    (_day(11), "Episode closed", "Targeted early help closed: outcomes achieved"),
    (_day(12), "Episode reopened", "Targeted early help reopened by a manager"),
    (_day(13), "Stepped up", "To children's social care: children's social care assessment (their reference CSC-1)"),
    (_day(20), "Consent withdrawn", "Consent from 12 January 2024 ended"),
]


@pytest.fixture
def author(lats):
    return UserFactory(full_name="Test Author")


def _url(family, **query):
    return reverse("cases:chronology", kwargs={"uuid": family.uuid}) + (
        "?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else ""
    )


def test_chronology_has_one_entry_for_each_event_oldest_first(cfs_worker_user, own_family, people, author):
    _events(own_family, people, author=author)
    entries = chronology_for(user=cfs_worker_user, family=own_family)
    assert [(e.on, e.title) for e in entries] == [(on, title) for on, title, _ in EXPECTED]
    for entry, (_, _, summary) in zip(entries, EXPECTED, strict=True):
        assert summary in entry.summary, entry


def test_chronology_names_each_joined_record_once(cfs_worker_user, own_family, author):
    """Plans, meetings and closures of one episode are read in one joined query: each still gives one entry."""
    episode = AllocatedEpisodeFactory(family=own_family, status=Episode.Status.CLOSED, reopened_at=_at(30))
    for version in (1, 2):
        FamilyPlanFactory(
            episode=episode,
            family=own_family,
            version=version,
            status=FamilyPlan.Status.SUPERSEDED if version == 1 else FamilyPlan.Status.AGREED,
            agreed_on=_day(version),
        )
        TafMeetingFactory(episode=episode, family=own_family, status=TafMeeting.Status.HELD, held_on=_day(10 + version))
        ClosureFactory(episode=episode, family=own_family, status=Closure.Status.APPROVED, decided_at=_at(20 + version))
    intervention = InterventionFactory(episode=episode, family=own_family, worker=author, started_on=_day(3))
    for weeks in (14, 16):
        InterventionExtensionFactory(
            intervention=intervention, status="approved", decided_at=_at(weeks), new_end_on=_day(7 * weeks)
        )
    titles = [e.title for e in chronology_for(user=cfs_worker_user, family=own_family)]
    assert titles.count("Plan agreed") == 2
    assert len([t for t in titles if t.endswith(" held")]) == 2
    assert titles.count("Episode closed") == 2
    assert titles.count("Episode reopened") == 1
    assert titles.count("Intervention started") == 1
    assert titles.count("Intervention extended") == 2


def test_chronology_leaves_out_ordinary_notes_and_notes_about_hidden_people(
    cfs_worker_user, own_family, people, author
):
    _events(own_family, people, author=author)
    summaries = " ".join(e.summary for e in chronology_for(user=cfs_worker_user, family=own_family))
    assert "Routine phone call" not in summaries
    assert "About Secret" not in summaries
    assert "Second line" not in summaries


def test_chronology_newest_first_on_request(cfs_worker_user, own_family, people, author):
    _events(own_family, people, author=author)
    entries = chronology_for(user=cfs_worker_user, family=own_family, newest_first=True)
    assert [e.title for e in entries] == [title for _, title, _ in reversed(EXPECTED)]


def test_chronology_names_only_people_the_reader_may_see(cfs_worker_client, own_family, people, author):
    _events(own_family, people, author=author)
    response = cfs_worker_client.get(_url(own_family))
    html = response.content.decode()
    assert "Zoë O&#x27;Brien" in html and "Pat Parent" in html
    assert "Secret" not in html and "Sibling" not in html
    contact = next(e for e in response.context["page"].object_list if e.title == "Contact received")
    assert contact.people == ("Zoë O'Brien",)


def test_chronology_names_the_hidden_person_to_the_allow_list(cfs_worker_user, own_family, people, author):
    _events(own_family, people, author=author)
    family_restricted_allow(family=own_family, user=cfs_worker_user)
    entries = chronology_for(user=cfs_worker_user, family=own_family)
    contact = next(e for e in entries if e.title == "Contact received")
    assert contact.people == ("Zoë O'Brien", "Secret Sibling")
    assert any("About Secret" in e.summary for e in entries)


def test_chronology_filters_by_type(cfs_worker_client, own_family, people, author):
    _events(own_family, people, author=author)
    response = cfs_worker_client.get(_url(own_family, types="consent"))
    assert [e.title for e in response.context["page"].object_list] == ["Consent given", "Consent withdrawn"]
    response = cfs_worker_client.get(_url(own_family, types="plan") + "&types=meeting")
    assert [e.title for e in response.context["page"].object_list] == ["Plan agreed", "Review held"]


def test_chronology_filters_by_person(cfs_worker_client, own_family, people, author):
    _events(own_family, people, author=author)
    response = cfs_worker_client.get(_url(own_family, person=people["child"].uuid))
    titles = [e.title for e in response.context["page"].object_list]
    assert titles == [
        "Contact received",
        "MASH decision",
        "Assessment submitted",
        "Assessment authorised",
        "Consent given",
        "Significant event",
        "Consent withdrawn",
    ]
    parent = cfs_worker_client.get(_url(own_family, person=people["parent"].uuid))
    assert [e.title for e in parent.context["page"].object_list] == ["Review held"]


def test_chronology_refuses_to_filter_by_a_hidden_person(cfs_worker_client, own_family, people, author):
    _events(own_family, people, author=author)
    response = cfs_worker_client.get(_url(own_family, person=people["hidden"].uuid))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Choose a person from the list" in html and "Secret" not in html
    assert len(response.context["page"].object_list) == len(EXPECTED)


def test_chronology_links_to_records_the_reader_may_open(
    cfs_worker_client, mash_screener_client, own_family, people, author
):
    _events(own_family, people, author=author)
    entries = {e.title: e for e in cfs_worker_client.get(_url(own_family)).context["page"].object_list}
    note = CaseNote.objects.get(significant=True, text__startswith="Mum")
    assert entries["Significant event"].link == reverse("cases:note_detail", kwargs={"uuid": note.uuid})
    assessment = EarlyHelpAssessment.objects.get()
    assert entries["Assessment authorised"].link == reverse("assessments:summary", kwargs={"uuid": assessment.uuid})
    consent = ConsentRecord.objects.get()
    assert entries["Consent withdrawn"].link == reverse(
        "consent:detail", kwargs={"uuid": own_family.uuid, "consent_uuid": consent.uuid}
    )
    assert entries["Contact received"].link == ""  # only the MASH opens contacts
    mash = {e.title: e for e in mash_screener_client.get(_url(own_family)).context["page"].object_list}
    contact = Contact.objects.get()
    assert mash["Contact received"].link == reverse("referrals:contact_detail", kwargs={"uuid": contact.uuid})


def test_chronology_page_records_the_view_and_shows_an_empty_state(cfs_worker_client, own_family):
    response = cfs_worker_client.get(_url(own_family))
    assert response.status_code == 200
    assert "No significant events have been recorded for this family yet" in response.content.decode()
    assert AccessEvent.objects.filter(object_uuid=own_family.uuid, detail="chronology").exists()


def test_chronology_outsider_404_and_wrong_role_403(other_lat_client, analyst_client, partner_client, own_family):
    assert other_lat_client.get(_url(own_family)).status_code == 404
    assert partner_client.get(_url(own_family)).status_code == 404
    assert analyst_client.get(_url(own_family)).status_code == 403


def _next(client, family, response):
    return client.get(f"{_url(family)}?{response.context['next_query']}")


def test_chronology_pages_by_cursor_50_at_a_time(cfs_worker_client, own_family):
    for offset in range(51):
        CaseNoteFactory(family=own_family, significant=True, happened_on=_day(offset))
    response = cfs_worker_client.get(_url(own_family))
    assert len(response.context["page"].object_list) == 50
    assert response.context["page"].object_list[0].on == _day(0)
    assert "Later events" in response.content.decode()
    later = _next(cfs_worker_client, own_family, response)
    assert [entry.on for entry in later.context["page"].object_list] == [_day(50)]
    html = later.content.decode()
    assert "First events" in html and "Later events" not in html


def test_chronology_pages_newest_first_keep_the_order_and_filters(cfs_worker_client, own_family, people, author):
    _events(own_family, people, author=author, repeat=4)  # 60 entries
    first = cfs_worker_client.get(_url(own_family, order="newest", types="contact") + "&types=consent")
    assert first.context["next_query"] == ""  # 16 entries of those types: one page
    first = cfs_worker_client.get(_url(own_family, order="newest"))
    assert first.context["next_query"].startswith("order=newest&after=")
    later = _next(cfs_worker_client, own_family, first)
    titles = [e.title for page in (first, later) for e in page.context["page"].object_list]
    expected = chronology_for(user=first.wsgi_request.user, family=own_family, newest_first=True)
    assert titles == [e.title for e in expected]
    assert "Earlier events" in first.content.decode() and "Newest events" in later.content.decode()


def test_chronology_pages_show_what_the_whole_chronology_shows(cfs_worker_user, own_family, people, author):
    _events(own_family, people, author=author, repeat=3)
    whole = chronology_for(user=cfs_worker_user, family=own_family)
    members = list(chronology_people(user=cfs_worker_user, family=own_family))
    for newest_first in (False, True):
        shown, after = [], None
        while True:
            page = chronology_page(
                user=cfs_worker_user,
                family=own_family,
                people=members,
                newest_first=newest_first,
                after=after,
                per_page=7,
            )
            shown += page.object_list
            if page.next_after is None:
                break
            after = cursor_decode(page.next_after, CHRONOLOGY_CURSOR)
        assert shown == (list(reversed(whole)) if newest_first else whole)
        assert [e.people for e in shown] == [e.people for e in (reversed(whole) if newest_first else whole)]


def test_chronology_pages_through_events_of_the_same_day_and_moment(cfs_worker_user, own_family):
    notes = [CaseNoteFactory(family=own_family, significant=True, happened_on=_day(1)) for _ in range(5)]
    CaseNote.objects.filter(family=own_family).update(created_at=_at(1))
    members = list(chronology_people(user=cfs_worker_user, family=own_family))
    first = chronology_page(user=cfs_worker_user, family=own_family, people=members, per_page=2)
    after = cursor_decode(first.next_after, CHRONOLOGY_CURSOR)
    second = chronology_page(user=cfs_worker_user, family=own_family, people=members, per_page=2, after=after)
    after = cursor_decode(second.next_after, CHRONOLOGY_CURSOR)
    third = chronology_page(user=cfs_worker_user, family=own_family, people=members, per_page=2, after=after)
    keys = [e.key[1] for page in (first, second, third) for e in page.object_list]
    assert keys == [note.pk for note in notes] and third.next_after is None


def test_chronology_filtered_by_person_pages_only_their_events(cfs_worker_client, own_family, people, author):
    _events(own_family, people, author=author, repeat=8)  # 56 entries about the child
    first = cfs_worker_client.get(_url(own_family, person=people["child"].uuid))
    later = _next(cfs_worker_client, own_family, first)
    entries = [e for page in (first, later) for e in page.context["page"].object_list]
    assert len(entries) == 56 and later.context["next_query"] == ""
    html = first.content.decode() + later.content.decode()
    assert "Secret" not in html and "About Secret" not in html


@pytest.mark.parametrize("after", ["nonsense", "20240108..0", "20240108.x.0.1", "20241301..0.1", "1" * 250])
def test_chronology_a_bad_cursor_shows_the_first_events_and_says_so(cfs_worker_client, own_family, after):
    for offset in range(3):
        CaseNoteFactory(family=own_family, significant=True, happened_on=_day(offset))
    response = cfs_worker_client.get(_url(own_family, types="note", after=after))
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == 3
    html = response.content.decode()
    assert "The page asked for does not exist: start from the first events" in html
    assert response.context["filtered"]  # the filters still count


def test_chronology_past_the_last_event_says_there_are_no_later_ones(cfs_worker_client, own_family):
    CaseNoteFactory(family=own_family, significant=True, happened_on=_day(0))
    response = cfs_worker_client.get(_url(own_family, after="20990101..0.1"))
    assert response.context["page"].object_list == []
    html = response.content.decode()
    assert "There are no later events." in html and "First events" in html


@pytest.mark.parametrize("repeat", [1, 20])
def test_chronology_query_count_is_constant(
    cfs_worker_client, own_family, people, author, repeat, django_assert_num_queries
):
    _events(own_family, people, author=author, repeat=repeat)
    with django_assert_num_queries(CHRONOLOGY_QUERIES):
        response = cfs_worker_client.get(_url(own_family))
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == min(50, len(EXPECTED) * repeat)


def test_entry_types_cover_every_source():
    assert set(EntryType.values) == {
        "note",
        "contact",
        "assessment",
        "plan",
        "meeting",
        "intervention",
        "consent",
        "episode",
        "transfer",
    }
