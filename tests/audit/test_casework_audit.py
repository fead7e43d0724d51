"""The audit trail of an episode's work: every page that shows a family's casework leaves an access event, and
every change, from a page or from a scheduled job, records who made it."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import CaseNote, Closure, Episode, Task
from cases.tasks import case_tasks_sweep_task, closure_grants_end_task
from earlyhelp.audit.models import AccessEvent
from tests.factories import (
    AllocatedEpisodeFactory,
    CaseNoteFactory,
    ClosureFactory,
    FamilyPlanFactory,
    InterventionFactory,
    TafMeetingFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def casework(own_family, cfs_worker_user):
    """An episode the worker leads, with one record of each kind a page shows."""
    episode = AllocatedEpisodeFactory(family=own_family, lead_practitioner=cfs_worker_user)
    return {
        "episode": episode,
        "plan": FamilyPlanFactory(episode=episode, family=own_family),
        "meeting": TafMeetingFactory(episode=episode, family=own_family),
        "intervention": InterventionFactory(episode=episode, family=own_family, worker=cfs_worker_user),
        "note": CaseNoteFactory(family=own_family, episode=episode),
    }


# (URL name, the record whose uuid is in the URL, the record the access event names)
READ_PAGES = [
    ("cases:episode_detail", "episode", "episode"),
    ("cases:taf", "episode", "episode"),
    ("cases:plan_detail", "plan", "plan"),
    ("cases:meeting_detail", "meeting", "meeting"),
    ("cases:intervention_detail", "intervention", "intervention"),
    ("cases:note_detail", "note", "note"),
    ("cases:note_list", "family", "family"),
    ("cases:chronology", "family", "family"),
]


@pytest.mark.parametrize(("name", "in_url", "named"), READ_PAGES)
def test_casework_page_leaves_one_access_event_naming_its_record(
    name, in_url, named, casework, own_family, cfs_worker_client, cfs_worker_user
):
    records = casework | {"family": own_family}
    response = cfs_worker_client.get(reverse(name, kwargs={"uuid": records[in_url].uuid}))
    assert response.status_code == 200
    event = AccessEvent.objects.get()
    record = records[named]
    assert (event.user, event.action, event.object_type, event.object_uuid) == (
        cfs_worker_user,
        "view",
        record._meta.label_lower,
        record.uuid,
    )


@pytest.mark.parametrize(("name", "in_url", "named"), READ_PAGES)
def test_casework_page_refused_to_an_outsider_leaves_no_access_event(
    name, in_url, named, casework, own_family, other_lat_client
):
    records = casework | {"family": own_family}
    assert other_lat_client.get(reverse(name, kwargs={"uuid": records[in_url].uuid})).status_code == 404
    assert not AccessEvent.objects.exists()


def test_note_written_through_the_page_records_its_author(casework, own_family, cfs_worker_client, cfs_worker_user):
    today = timezone.localdate()
    response = cfs_worker_client.post(
        reverse("cases:note_add", kwargs={"uuid": own_family.uuid}),
        {
            "kind": "phone",
            "happened_on_0": today.day,
            "happened_on_1": today.month,
            "happened_on_2": today.year,
            "text": "Spoke with the mother about the new bedtime routine",
        },
    )
    assert response.status_code == 302
    note = CaseNote.objects.exclude(pk=casework["note"].pk).get()
    assert note.history.get().history_user == cfs_worker_user


def test_closure_approved_through_the_page_records_the_manager(own_family, lat_manager_client, lat_manager_user):
    closure = ClosureFactory(episode__family=own_family, family=own_family)
    response = lat_manager_client.post(
        reverse("cases:closure_decide", kwargs={"uuid": closure.uuid}), {"decision": "approve"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    closure.refresh_from_db()
    assert closure.status == Closure.Status.APPROVED
    assert closure.history.latest().history_user == lat_manager_user
    assert closure.episode.history.latest().history_user == lat_manager_user


def test_daily_sweep_records_its_service_account_on_the_tasks_it_raises(own_family, cfs_worker_user):
    AllocatedEpisodeFactory(
        family=own_family, lead_practitioner=cfs_worker_user, next_review_due=timezone.localdate() - timedelta(days=1)
    )
    case_tasks_sweep_task()
    task = Task.objects.get(kind=Task.Kind.REVIEW_DUE)
    assert task.history.get().history_user.email.startswith("case-tasks@")


def test_grace_period_job_records_its_service_account_on_the_closures_it_ends(own_family):
    closure = ClosureFactory(
        episode__family=own_family,
        episode__status=Episode.Status.CLOSED,
        family=own_family,
        status=Closure.Status.APPROVED,
        grants_end_on=timezone.localdate() - timedelta(days=1),
    )
    closure_grants_end_task()
    closure.refresh_from_db()
    assert closure.grants_ended_at is not None
    assert closure.history.latest().history_user.email.startswith("closure-grants@")
