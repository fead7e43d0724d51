"""A form sent twice (a double click, a resend after a slow page) saves one record: one after the other, at the same
moment on PostgreSQL, after a first try with errors; another person's token is refused; and every page that creates a
record carries the token and GOV.UK's guard against a double click."""

import html
import re
import threading
import uuid

import pytest
from django.db import connection, transaction
from django.template.loader import get_template
from django.urls import URLResolver, get_resolver, reverse

from cases.models import Goal
from documents.models import DocumentRequest
from earlyhelp.core.models import FormSubmission
from earlyhelp.core.submit_once import ALREADY_SAVED, form_submissions_purge
from tests.auth import signed_in_client
from tests.cases.test_plans_services import make_episode
from tests.conftest import is_postgresql, require_service
from tests.factories import FamilyPlanFactory
from tests.reliability.conftest import sessions_waiting_on_locks
from tests.security.test_access_matrix import (  # noqa: F401 (world is a fixture)
    MATRIX,
    PERSONAS,
    SCOPED_KINDS,
    SCOPES,
    _path,
    _url,
    expected_status,
    world,
)

TOKEN = re.compile(r'name="form_token" value="([0-9a-f-]{36})"')
GOAL = {"text": "Sam goes to school every day", "baseline": "2", "target": "8"}

# Every page that creates a record from a person's form, plus the pages that edit a record two people may edit at once
# (optimistic locking): sent twice, those would show a person their own first save as somebody else's change.
SUBMIT_ONCE = {
    "assessments:needs",
    "assessments:start",
    "cases:action_add",
    "cases:action_edit",
    "cases:closure_request",
    "cases:episode_start",
    "cases:extension_request",
    "cases:family_create",
    "cases:family_member_add",
    "cases:goal_add",
    "cases:goal_edit",
    "cases:goal_score",
    "cases:intervention_new",
    "cases:involvement_add",
    "cases:meeting_new",
    "cases:note_add",
    "cases:note_amend",
    "cases:note_edit",
    "cases:plan_edit",
    "cases:plan_new",
    "cases:relationship_add",
    "cases:session_add",
    "cases:sf_need_add",
    "cases:sf_register",
    "cases:step_down",
    "cases:step_up",
    "cases:taf_invite",
    "consent:new",
    "consent:override",
    "consent:share",
    "documents:assessment_pdf",
    "documents:chronology_pdf",
    "documents:closure_pdf",
    "documents:contact_pdf",
    "documents:plan_pdf",
    "documents:team_plans",
    "governance:break_glass_request",
    "governance:restriction_new_family",
    "governance:restriction_new_person",
    "governance:retention_hold",
    "governance:subject_access_person",
    "referrals:concern_flag_add",
    "referrals:contact_new",
    "referrals:contact_new_family",
    "referrals:refer",
    "reporting:case_audit_new",
    "reporting:training_new",
}
# Pages that write without creating a record: they change or move an existing one, whose state machine (or the
# change being the same twice) already makes a second copy harmless. Settings pages of one's own account, too.
CHANGES_ONLY = {
    "accounts:authenticator_replace",
    "accounts:backup_codes_regenerate",
    "accounts:password_change",
    "accounts:session_end",
    "accounts:sessions_end_others",
    "assessments:child_section",
    "assessments:decide",
    "assessments:need_remove",
    "assessments:section",
    "assessments:submit",
    "cases:closure_decide",
    "cases:episode_allocate",
    "cases:episode_reopen",
    "cases:extension_decide",
    "cases:family_edit",
    "cases:family_member_edit",
    "cases:intervention_end",
    "cases:meeting_cancel",
    "cases:meeting_record",
    "cases:person_edit",
    "cases:plan_agree",
    "cases:sf_move",
    "cases:sf_need_outcome",
    "cases:step_up_reference",
    "cases:taf_member_remove",
    "cases:task_complete",
    "cases:transfer_outcome",
    "consent:answer",
    "consent:withdraw",
    "documents:retry",
    "governance:restriction_allow",
    "governance:restriction_disallow",
    "governance:restriction_lift",
    "governance:restriction_review",
    "governance:retention_dispose",
    "governance:retention_release",
    "governance:subject_access_retry",
    "referrals:contact_assign",
    "referrals:contact_decide",
    "referrals:contact_duplicate",
    "referrals:contact_rate",
    "referrals:contact_screen",
    "referrals:contact_withdraw",
    "referrals:referrer_told",
    "referrals:transfer_reference",
    # Its result is a page of what was imported, not a redirect; rows already held are refused by the import.
    "reporting:training_import",
}
# Buttons that only POST: the page their form is on.
FORM_PAGE = {
    "documents:assessment_pdf": "assessments:summary",
    "documents:chronology_pdf": "cases:chronology",
    "documents:closure_pdf": "cases:episode_detail",
    "documents:contact_pdf": "referrals:contact_detail",
    "documents:plan_pdf": "cases:plan_detail",
}
# The access matrix's world makes these pages refuse instead of showing their form (the family has an open episode
# and a draft plan, a closure is waiting, an extension is waiting, the note is past its day): their form is checked in
# the templates they render.
REFUSED_IN_THE_WORLD = {
    "cases:closure_request": "cases/episodes/closure_request.html",
    "cases:episode_start": "cases/episodes/start.html",
    "cases:extension_request": "cases/interventions/extension_request.html",
    "cases:intervention_new": "cases/interventions/new.html",
    "cases:note_amend": "cases/notes/note_amend.html",
    "cases:note_edit": "cases/notes/note_edit.html",
    "cases:plan_new": "cases/plans/plan_new.html",
    "cases:step_down": "cases/episodes/step_down.html",
    "cases:step_up": "cases/episodes/step_up.html",
}
# A page that needs a query string to show its form.
FORM_QUERY = {"reporting:case_audit_new": "?kind=direct_work"}


@pytest.fixture
def plan(own_family, cfs_worker_user):
    episode = make_episode(own_family, cfs_worker_user)
    return FamilyPlanFactory(episode=episode, family=own_family, created_by=cfs_worker_user)


def goal_add_url(plan) -> str:
    return reverse("cases:goal_add", kwargs={"uuid": plan.uuid})


def token_on(response) -> str:
    return TOKEN.search(response.content.decode()).group(1)


def test_the_same_form_sent_twice_saves_one_goal_and_lands_on_the_first_ones_page(cfs_worker_client, plan):
    token = token_on(cfs_worker_client.get(goal_add_url(plan)))
    first = cfs_worker_client.post(goal_add_url(plan), GOAL | {"form_token": token})
    second = cfs_worker_client.post(goal_add_url(plan), GOAL | {"form_token": token})
    assert first.status_code == second.status_code == 302
    assert second["Location"] == first["Location"] == reverse("cases:plan_detail", kwargs={"uuid": plan.uuid})
    assert Goal.objects.filter(plan=plan).count() == 1
    page = cfs_worker_client.get(second["Location"]).content.decode()
    assert 'class="govuk-notification-banner' in page and html.escape(ALREADY_SAVED) in page
    # A new visit to the form is a new form: it saves another goal.
    again = token_on(cfs_worker_client.get(goal_add_url(plan)))
    assert again != token
    cfs_worker_client.post(goal_add_url(plan), GOAL | {"form_token": again})
    assert Goal.objects.filter(plan=plan).count() == 2


def test_a_form_with_errors_keeps_its_token_and_saves_once_when_corrected(cfs_worker_client, plan):
    token = token_on(cfs_worker_client.get(goal_add_url(plan)))
    refused = cfs_worker_client.post(goal_add_url(plan), {"text": GOAL["text"], "baseline": "2", "form_token": token})
    assert refused.status_code == 200 and 'class="govuk-error-summary' in refused.content.decode()
    assert token_on(refused) == token, "the page shown again is the same form"
    assert not FormSubmission.objects.filter(token=token).exists(), "a refused form is not taken as sent"
    corrected = cfs_worker_client.post(goal_add_url(plan), GOAL | {"form_token": token})
    repeated = cfs_worker_client.post(goal_add_url(plan), GOAL | {"form_token": token})
    assert corrected.status_code == repeated.status_code == 302
    assert Goal.objects.filter(plan=plan).count() == 1


def test_another_persons_form_token_is_refused(cfs_worker_client, lat_manager_client, plan):
    token = token_on(cfs_worker_client.get(goal_add_url(plan)))
    assert cfs_worker_client.post(goal_add_url(plan), GOAL | {"form_token": token}).status_code == 302
    response = lat_manager_client.post(goal_add_url(plan), GOAL | {"text": "Manager's goal", "form_token": token})
    assert response.status_code == 400
    assert list(Goal.objects.filter(plan=plan).values_list("text", flat=True)) == [GOAL["text"]]


def test_a_form_without_a_token_is_saved_as_before(cfs_worker_client, plan):
    for _ in range(2):
        assert cfs_worker_client.post(goal_add_url(plan), GOAL).status_code == 302
    assert Goal.objects.filter(plan=plan).count() == 2
    assert not FormSubmission.objects.exists()


def test_a_refusal_that_redirects_is_not_taken_as_saved(partner_client, partner_user, granted_family):
    """A PDF the family's consent does not cover sends the person back with the reason: that is not a save, so the
    same button pressed again asks again (and is refused again) instead of being told it was saved."""
    episode = make_episode(granted_family, partner_user)
    plan = FamilyPlanFactory(episode=episode, family=granted_family, created_by=partner_user)
    url = reverse("documents:plan_pdf", kwargs={"uuid": plan.uuid})
    token = str(uuid.uuid4())
    for _ in range(2):
        response = partner_client.post(url, {"form_token": token})
        assert response["Location"] == reverse("documents:family_documents", kwargs={"uuid": granted_family.uuid})
    assert not FormSubmission.objects.exists()
    assert not DocumentRequest.objects.exists()
    page = partner_client.get(response["Location"]).content.decode()
    assert html.escape(ALREADY_SAVED) not in page


def test_form_tokens_are_forgotten_after_a_week(cfs_worker_user):
    from datetime import timedelta

    from django.utils import timezone

    old = FormSubmission.objects.create(token=uuid.uuid4(), user=cfs_worker_user, path="/old/", location="/")
    FormSubmission.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=8))
    recent = FormSubmission.objects.create(token=uuid.uuid4(), user=cfs_worker_user, path="/new/", location="/")
    assert form_submissions_purge() == 1
    assert list(FormSubmission.objects.all()) == [recent]


def test_form_tokens_are_purged_every_night_by_beat(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["purge-form-submissions-daily"]
    assert entry["task"] == "earlyhelp.core.tasks.form_submissions_purge_task"
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({2}, {30})


# ------------------------------------------------------------------ at the same moment, on PostgreSQL


@pytest.mark.django_db(transaction=True)
def test_two_copies_sent_at_the_same_moment_save_one_goal(cfs_worker_user, plan):
    require_service(is_postgresql(), "PostgreSQL is needed to send a form twice at the same moment")
    url = goal_add_url(plan)
    clients = [signed_in_client(cfs_worker_user), signed_in_client(cfs_worker_user)]
    token = token_on(clients[0].get(url))
    # A third session stores the token first and holds it, uncommitted, so both copies are inside the view, blocked
    # on the token's unique index, before either goes on: then it lets go, and they race.
    held, release = threading.Event(), threading.Event()

    def holder() -> None:
        try:
            with transaction.atomic():
                FormSubmission.objects.create(token=token, user=cfs_worker_user, path=url)
                held.set()
                release.wait(timeout=120)
                transaction.set_rollback(True)
        finally:
            connection.close()

    responses: list = [None, None]
    start = threading.Barrier(2)

    def send(index: int) -> None:
        try:
            start.wait()
            responses[index] = clients[index].post(url, GOAL | {"form_token": token})
        finally:
            connection.close()

    threads = [threading.Thread(target=holder)] + [threading.Thread(target=send, args=(i,)) for i in range(2)]
    threads[0].start()
    assert held.wait(timeout=60), "the third session did not take its lock"
    for thread in threads[1:]:
        thread.start()
    try:
        sessions_waiting_on_locks(2, threads)
    finally:
        release.set()
    for thread in threads:
        thread.join(timeout=120)
    assert [r.status_code for r in responses] == [302, 302]
    assert responses[0]["Location"] == responses[1]["Location"]
    assert Goal.objects.filter(plan=plan).count() == 1
    assert FormSubmission.objects.get(token=token).location == responses[0]["Location"]


# ------------------------------------------------------------------ every create page


def _url_names(resolver=None, namespace: str = ""):
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _url_names(pattern, inner)
        elif pattern.name:
            yield f"{namespace}{pattern.name}", pattern.callback


def test_every_page_that_creates_a_record_is_submitted_once():
    decorated = {name for name, view in _url_names() if getattr(view, "submit_once", False)}
    assert decorated == SUBMIT_ONCE


def test_every_page_that_writes_is_either_submitted_once_or_only_changes_records():
    writes = {name for name, entry in MATRIX.items() if entry.writes}
    assert not SUBMIT_ONCE & CHANGES_ONLY
    assert writes - SUBMIT_ONCE == CHANGES_ONLY, "decide whether each new page that writes creates a record"


def _forms_posting_to(page: str, page_path: str, target_path: str) -> list[str]:
    forms = []
    for attributes, body in re.findall(r"<form\b([^>]*)>(.*?)</form>", page, flags=re.S):
        if 'method="post"' not in attributes:
            continue
        action = re.search(r'action="([^"]*)"', attributes)
        path = html.unescape(action.group(1)).split("?")[0] if action else ""
        if (path or page_path) == target_path:
            forms.append(body)
    return forms


@pytest.fixture
def matrix_world(db, request):
    """The access matrix's world: every persona, and a record of every kind in each scope."""
    return request.getfixturevalue("world")


@pytest.mark.parametrize("name", sorted(SUBMIT_ONCE - REFUSED_IN_THE_WORLD.keys()))
def test_each_create_page_form_carries_a_token_and_guards_its_button(name, matrix_world):
    clients, families, members = matrix_world
    page_name = FORM_PAGE.get(name, name)
    page_entry, entry = MATRIX[page_name], MATRIX[name]
    scopes = SCOPES if page_entry.kind in SCOPED_KINDS else (None,)
    persona, scope = next(
        (persona, scope)
        for persona in PERSONAS
        for scope in scopes
        if expected_status(page_entry, persona, scope, page_name) == 200
        and expected_status(entry, persona, scope, name) in (200, 405)
    )
    page_path = _path(page_name, page_entry, scope, families, members)
    response = clients[persona].get(_url(page_name, page_entry, scope, families, members) + FORM_QUERY.get(name, ""))
    assert response.status_code == 200
    forms = _forms_posting_to(response.content.decode(), page_path, _path(name, entry, scope, families, members))
    assert forms, f"{persona} sees no form that sends {name}"
    for form in forms:
        assert TOKEN.search(form), f"a form sending {name} has no form token"
        assert 'data-prevent-double-click="true"' in form, f"the button sending {name} may be clicked twice"


def _template_and_its_parents(name: str) -> str:
    """The template's source and its parents' up to the site's layout (whose one form signs out)."""
    sources = []
    while name and name != "layouts/base.html":
        source = get_template(name).template.source
        sources.append(source)
        parent = re.search(r'{% extends "([^"]+)" %}', source)
        name = parent.group(1) if parent else ""
    return "\n".join(sources)


@pytest.mark.parametrize("name", sorted(REFUSED_IN_THE_WORLD))
def test_each_create_form_the_world_refuses_carries_a_token_and_guards_its_button(name):
    source = _template_and_its_parents(REFUSED_IN_THE_WORLD[name])
    forms = re.findall(r'<form method="post"[^>]*>(.*?)</form>', source, flags=re.S)
    assert forms
    for form in forms:
        assert "{% form_token %}" in form and 'data-prevent-double-click="true"' in form
