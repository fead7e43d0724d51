"""Document pages: asking for a plan PDF, the request page that refreshes itself until the file is ready or has
failed, the retry button, the download (an attachment, never cached, logged), the family's documents and the
manager's team export; 404 for anyone outside scope and for another person's request."""

import hashlib
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone

from cases.services import family_restricted_allow
from consent.models import ConsentRecord, DisclosureLog
from documents import services
from documents.models import DocumentRequest
from earlyhelp.audit.models import AccessEvent
from tests.documents.test_services import NOT_AGREED, ask_for_plan, consent_for, make_plan
from tests.factories import FamilyFactory
from tests.pages import messages_of, page_of

pytestmark = pytest.mark.django_db

META_REFRESH = '<meta http-equiv="refresh"'
# Session, user, user and group permissions (4); the request with its family, team, document and requester
# joined (1); whether the requester still sees the family (1). The session is not saved (it was saved at sign-in,
# less than a minute ago).
REQUEST_PAGE_QUERIES = 6
# Session, user, user and group permissions (4); the family (1); the page's count (1); whether the reader's team
# holds the record (1); the page's rows with their documents (1); the view written to the chained access log
# (the chain's head, the event, the head moved on: 3). The session is not saved.
FAMILY_DOCUMENTS_QUERIES = 11


def url(name: str, record) -> str:
    return reverse(f"documents:{name}", kwargs={"uuid": record.uuid})


@pytest.fixture
def plan(own_family, cfs_worker_user):
    return make_plan(own_family, cfs_worker_user)


@pytest.fixture
def ready(plan, cfs_worker_user, django_capture_on_commit_callbacks) -> DocumentRequest:
    return ask_for_plan(cfs_worker_user, plan, django_capture_on_commit_callbacks)


def queued_request(user, plan, capture) -> DocumentRequest:
    with capture(execute=False):
        return services.document_request(user=user, kind="plan", uuid=plan.uuid)


# --- Asking ----------------------------------------------------------------------------------------------------


def test_plan_pdf_post_queues_renders_and_shows_the_request(
    cfs_worker_client, plan, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = cfs_worker_client.post(url("plan_pdf", plan))
    request = DocumentRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("request", request)
    assert messages_of(response) == ["Your family plan PDF has been requested. It is being created."]
    request.refresh_from_db()
    assert request.status == DocumentRequest.Status.READY


def test_plan_pdf_get_is_not_allowed(cfs_worker_client, plan):
    assert cfs_worker_client.get(url("plan_pdf", plan)).status_code == 405
    assert not DocumentRequest.objects.exists()


def test_plan_pdf_post_refused_by_consent_says_why_on_the_familys_documents(
    granted_family, partner_client, cfs_worker_user
):
    plan = make_plan(granted_family, cfs_worker_user)
    response = partner_client.post(url("plan_pdf", plan))
    assert response.status_code == 302
    assert response["Location"] == url("family_documents", granted_family)
    [message] = messages_of(response)
    assert message.startswith(NOT_AGREED)
    assert not DocumentRequest.objects.exists()
    page = page_of(partner_client.get(response["Location"]))
    assert "has not agreed to share its information" in page


# --- The request page ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["queued", "rendering"])
def test_request_page_refreshes_itself_while_in_progress(
    status, cfs_worker_client, cfs_worker_user, plan, django_capture_on_commit_callbacks
):
    request = queued_request(cfs_worker_user, plan, django_capture_on_commit_callbacks)
    DocumentRequest.objects.filter(pk=request.pk).update(status=status)
    response = cfs_worker_client.get(url("request", request))
    page = page_of(response)
    assert page.count(META_REFRESH) == 1
    assert '<meta http-equiv="refresh" content="3">' in page
    assert "This page checks again every 3 seconds" in page
    assert "<script>" not in page  # no inline script
    assert "no-store" in response["Cache-Control"].split(", ")


def test_request_page_stops_refreshing_and_offers_the_download_once_ready(cfs_worker_client, ready):
    page = page_of(cfs_worker_client.get(url("request", ready)))
    assert META_REFRESH not in page
    assert "Your document is ready" in page
    assert url("download", ready) in page
    assert ready.document.filename in page
    assert ready.document.sha256 in page


def test_request_page_of_a_failure_shows_the_error_and_try_again_works(
    cfs_worker_client, cfs_worker_user, plan, django_capture_on_commit_callbacks, monkeypatch
):
    def broken(html):
        raise RuntimeError("renderer fault")

    monkeypatch.setattr("documents.services.html_to_pdf", broken)
    request = ask_for_plan(cfs_worker_user, plan, django_capture_on_commit_callbacks)
    assert request.status == DocumentRequest.Status.FAILED
    monkeypatch.undo()

    page = page_of(cfs_worker_client.get(url("request", request)))
    assert META_REFRESH not in page
    assert "The document could not be created" in page
    assert services.FAULT_MESSAGE in page
    assert f'action="{url("retry", request)}"' in page
    assert ">Try again</button>" in page
    assert str(request.uuid) in page

    with django_capture_on_commit_callbacks(execute=True):
        response = cfs_worker_client.post(url("retry", request))
    assert response["Location"] == url("request", request)
    assert messages_of(response) == ["The document has been requested again."]
    request.refresh_from_db()
    assert (request.status, request.attempts) == (DocumentRequest.Status.READY, 2)
    page = page_of(cfs_worker_client.get(url("request", request)))
    assert "Your document is ready" in page


def test_retry_of_a_request_that_did_not_fail_says_so(cfs_worker_client, ready):
    response = cfs_worker_client.post(url("retry", ready))
    assert response["Location"] == url("request", ready)
    assert messages_of(response) == ["Only a document that failed can be tried again."]


def test_request_page_of_a_deleted_document_says_it_was_deleted(cfs_worker_client, ready):
    DocumentRequest.objects.filter(pk=ready.pk).update(status=DocumentRequest.Status.DELETED)
    page = page_of(cfs_worker_client.get(url("request", ready)))
    assert META_REFRESH not in page
    assert "deleted because it was older than the retention period" in page
    assert url("download", ready) not in page


@pytest.mark.parametrize("status", ["queued", "ready"])
def test_request_page_query_count(
    status, cfs_worker_client, cfs_worker_user, plan, django_capture_on_commit_callbacks, django_assert_num_queries
):
    if status == "ready":
        request = ask_for_plan(cfs_worker_user, plan, django_capture_on_commit_callbacks)
    else:
        request = queued_request(cfs_worker_user, plan, django_capture_on_commit_callbacks)
    with django_assert_num_queries(REQUEST_PAGE_QUERIES):
        page_of(cfs_worker_client.get(url("request", request)))


# --- Downloading -----------------------------------------------------------------------------------------------


def test_download_is_a_private_attachment_and_is_logged_once(cfs_worker_client, cfs_worker_user, ready):
    document = ready.document
    response = cfs_worker_client.get(url("download", ready))
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    # Reading the stream to its end closes the file (closing the response again would end the test's connection).

    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{document.filename}"'
    assert "no-store" in response["Cache-Control"].split(", ")
    assert hashlib.sha256(content).hexdigest() == document.sha256
    event = AccessEvent.objects.get(action=AccessEvent.Action.EXPORT)
    assert (event.user, event.object_type, event.object_uuid) == (cfs_worker_user, "cases.family", ready.family.uuid)
    disclosure = DisclosureLog.objects.get()
    assert (disclosure.family, disclosure.basis, disclosure.recipient_user) == (ready.family, "holder", cfs_worker_user)


def test_download_needs_a_recent_code(cfs_worker_client, ready):
    later = timezone.now() + timedelta(minutes=settings.REAUTH_MINUTES + 1)
    with time_machine.travel(later, tick=False):
        response = cfs_worker_client.get(url("download", ready))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:reauthenticate"))
    assert not AccessEvent.objects.filter(action=AccessEvent.Action.EXPORT).exists()
    assert not DisclosureLog.objects.exists()


def test_download_by_a_partner_is_logged_on_the_consent_basis(
    granted_family, partner_client, partner_user, cfs_worker_user, django_capture_on_commit_callbacks
):
    consent = consent_for(granted_family, agency=partner_user.agency)
    request = ask_for_plan(partner_user, make_plan(granted_family, cfs_worker_user), django_capture_on_commit_callbacks)
    response = partner_client.get(url("download", request))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    assert AccessEvent.objects.filter(action=AccessEvent.Action.EXPORT, user=partner_user).count() == 1
    disclosure = DisclosureLog.objects.get()
    assert (disclosure.basis, disclosure.consent, disclosure.recipient_agency) == (
        "consent",
        consent,
        partner_user.agency,
    )


def test_download_by_a_partner_after_consent_was_withdrawn_is_refused(
    restricted_family, partner_client, partner_user, cfs_worker_user, django_capture_on_commit_callbacks
):
    """Allow-listed, the partner still sees the family, but consent no longer covers their agency."""
    family_restricted_allow(family=restricted_family, user=partner_user)
    consent = consent_for(restricted_family, agency=partner_user.agency)
    plan = make_plan(restricted_family, cfs_worker_user)
    request = ask_for_plan(partner_user, plan, django_capture_on_commit_callbacks)
    ConsentRecord.objects.filter(pk=consent.pk).update(status=ConsentRecord.Status.WITHDRAWN)

    response = partner_client.get(url("download", request))
    assert response.status_code == 302
    assert response["Location"] == url("request", request)
    [message] = messages_of(response)
    assert message.startswith(NOT_AGREED)
    assert not AccessEvent.objects.filter(action=AccessEvent.Action.EXPORT).exists()
    assert not DisclosureLog.objects.exists()


def test_download_by_a_granted_partner_after_consent_was_withdrawn_is_404(
    granted_family, partner_client, partner_user, cfs_worker_user, django_capture_on_commit_callbacks
):
    """With only a grant, withdrawn consent hides the family altogether: the request and the file are 404."""
    consent = consent_for(granted_family, agency=partner_user.agency)
    request = ask_for_plan(partner_user, make_plan(granted_family, cfs_worker_user), django_capture_on_commit_callbacks)
    ConsentRecord.objects.filter(pk=consent.pk).update(status=ConsentRecord.Status.WITHDRAWN)

    assert partner_client.get(url("download", request)).status_code == 404
    assert partner_client.get(url("request", request)).status_code == 404
    assert not AccessEvent.objects.filter(action=AccessEvent.Action.EXPORT).exists()
    assert not DisclosureLog.objects.exists()


def test_download_of_a_request_not_ready_is_404(
    cfs_worker_client, cfs_worker_user, plan, django_capture_on_commit_callbacks
):
    request = queued_request(cfs_worker_user, plan, django_capture_on_commit_callbacks)
    assert cfs_worker_client.get(url("download", request)).status_code == 404


def test_stored_file_is_not_under_any_public_url(cfs_worker_client, ready):
    name = ready.document.file.name
    for path in (f"/media/{name}", f"/{name}", f"{settings.MEDIA_URL or '/'}{name}", f"/static/../media/{name}"):
        with pytest.raises(Resolver404):
            resolve(path)
        assert cfs_worker_client.get(path).status_code == 404
    assert not any("media" in str(d) for d in settings.STATICFILES_DIRS)


# --- Out of scope: 404 -----------------------------------------------------------------------------------------


def test_outsider_gets_404_for_the_request_page_the_download_and_asking(other_lat_client, plan, ready):
    assert other_lat_client.get(url("request", ready)).status_code == 404
    assert other_lat_client.get(url("download", ready)).status_code == 404
    assert other_lat_client.post(url("retry", ready)).status_code == 404
    assert other_lat_client.post(url("plan_pdf", plan)).status_code == 404
    assert other_lat_client.get(url("family_documents", plan.family)).status_code == 404
    assert DocumentRequest.objects.count() == 1
    assert not AccessEvent.objects.filter(action=AccessEvent.Action.EXPORT).exists()


def test_another_persons_request_is_404_even_to_someone_who_sees_the_family(
    lat_manager_client, lat_manager_user, plan, ready
):
    """The Tang Hall manager sees the family, but the PDF is the worker's: rendered as they see it."""
    assert lat_manager_client.get(url("family_documents", plan.family)).status_code == 200
    assert lat_manager_client.get(url("request", ready)).status_code == 404
    assert lat_manager_client.get(url("download", ready)).status_code == 404
    assert lat_manager_client.post(url("retry", ready)).status_code == 404
    assert not AccessEvent.objects.filter(action=AccessEvent.Action.EXPORT).exists()


def test_requester_who_no_longer_sees_the_family_gets_404(cfs_worker_client, lats, ready):
    family = ready.family
    family.local_area_team = lats["hob-moor"]
    family.save()
    assert cfs_worker_client.get(url("request", ready)).status_code == 404
    assert cfs_worker_client.get(url("download", ready)).status_code == 404


def test_unknown_request_is_404(cfs_worker_client):
    assert cfs_worker_client.get("/documents/00000000-0000-0000-0000-000000000000/").status_code == 404


def test_anonymous_is_sent_to_sign_in(anonymous_client, plan, ready):
    for response in (
        anonymous_client.get(url("request", ready)),
        anonymous_client.get(url("download", ready)),
        anonymous_client.post(url("plan_pdf", plan)),
    ):
        assert response.status_code == 302
        assert "/accounts/" in response["Location"]


# --- The family's documents ------------------------------------------------------------------------------------


def test_family_documents_lists_only_my_requests_newest_first(
    cfs_worker_client, cfs_worker_user, lat_manager_user, plan, ready, django_capture_on_commit_callbacks
):
    mine_later = queued_request(cfs_worker_user, plan, django_capture_on_commit_callbacks)
    theirs = queued_request(lat_manager_user, plan, django_capture_on_commit_callbacks)
    page = page_of(cfs_worker_client.get(url("family_documents", plan.family)))
    assert page.index(url("request", mine_later)) < page.index(url("request", ready))
    assert url("request", theirs) not in page
    assert "Family plan" in page


def test_family_documents_page_view_is_in_the_access_log(cfs_worker_client, cfs_worker_user, plan):
    cfs_worker_client.get(url("family_documents", plan.family))
    event = AccessEvent.objects.get(user=cfs_worker_user, object_uuid=plan.family.uuid)
    assert (event.action, event.detail) == ("view", "documents")


@pytest.mark.parametrize("count", [1, 30])
def test_family_documents_query_count_is_constant(
    count, cfs_worker_client, cfs_worker_user, plan, django_assert_num_queries
):
    for _ in range(count):
        DocumentRequest.objects.create(
            kind="plan",
            family=plan.family,
            record_uuid=plan.uuid,
            requested_by=cfs_worker_user,
            template_version="plan-1",
        )
    with django_assert_num_queries(FAMILY_DOCUMENTS_QUERIES):
        page = page_of(cfs_worker_client.get(url("family_documents", plan.family)))
    assert page.count('href="/documents/') == min(count, 20)


# --- A manager's team export -----------------------------------------------------------------------------------


def test_team_plans_page_shows_the_count_and_my_earlier_exports(
    lats, lat_manager_client, lat_manager_user, second_manager_user, cfs_worker_user, django_capture_on_commit_callbacks
):
    team = lats["tang-hall"]
    for _ in range(2):
        make_plan(FamilyFactory(local_area_team=team), cfs_worker_user)
    with django_capture_on_commit_callbacks(execute=True):
        earlier = services.team_plans_request(user=lat_manager_user, team=team)
        someone_elses = services.team_plans_request(user=second_manager_user, team=team)

    page = page_of(lat_manager_client.get(url("team_plans", team)))
    assert "There are 2 open plans now." in page
    assert url("request", earlier) in page
    assert "2 of 2" in page
    assert url("request", someone_elses) not in page

    with django_capture_on_commit_callbacks(execute=True):
        response = lat_manager_client.post(url("team_plans", team))
    export = DocumentRequest.objects.filter(requested_by=lat_manager_user).first()
    assert export != earlier
    assert response["Location"] == url("request", export)
    assert messages_of(response) == [f"The open plans of {team.name} have been requested. They are being created."]

    page = page_of(lat_manager_client.get(url("request", export)))
    assert "Plans in it" in page and "Download the ZIP file" in page
    response = lat_manager_client.get(url("download", export))
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == f'attachment; filename="{export.document.filename}"'
    assert "no-store" in response["Cache-Control"].split(", ")
    assert b"".join(response.streaming_content).startswith(b"PK")


def test_team_plans_page_without_open_plans_disables_the_button(lats, lat_manager_client):
    page = page_of(lat_manager_client.get(url("team_plans", lats["tang-hall"])))
    assert "There are 0 open plans now." in page
    assert "disabled" in page


def test_team_plans_is_refused_to_a_worker_and_404_for_another_teams_manager(
    lats, cfs_worker_client, lat_manager_client
):
    assert cfs_worker_client.get(url("team_plans", lats["tang-hall"])).status_code == 403
    assert cfs_worker_client.post(url("team_plans", lats["tang-hall"])).status_code == 403
    assert lat_manager_client.get(url("team_plans", lats["hob-moor"])).status_code == 404
    assert lat_manager_client.post(url("team_plans", lats["hob-moor"])).status_code == 404
    assert not DocumentRequest.objects.exists()


def test_team_export_request_is_404_once_the_requester_no_longer_manages_the_team(
    lats, lat_manager_client, lat_manager_user, django_capture_on_commit_callbacks
):
    from locality.models import Membership

    with django_capture_on_commit_callbacks(execute=True):
        export = services.team_plans_request(user=lat_manager_user, team=lats["tang-hall"])
    Membership.objects.filter(user=lat_manager_user).delete()
    assert lat_manager_client.get(url("request", export)).status_code in (403, 404)
    assert lat_manager_client.get(url("download", export)).status_code in (403, 404)


def test_request_page_shows_progress_of_a_team_export(
    lats, lat_manager_client, lat_manager_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        export = services.team_plans_request(user=lat_manager_user, team=lats["tang-hall"])
    DocumentRequest.objects.filter(pk=export.pk).update(
        status=DocumentRequest.Status.RENDERING, progress_done=3, progress_total=7, started_at=timezone.now()
    )
    page = page_of(lat_manager_client.get(url("request", export)))
    assert META_REFRESH in page
    assert "3 of 7 plans done." in page
