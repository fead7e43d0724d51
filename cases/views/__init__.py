"""Pages for finding, creating and looking after families and the people in them."""

import re
from urllib.parse import urlencode, urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from cases import selectors, services
from cases.forms import (
    AllocateForm,
    FamilyForm,
    FamilyMemberForm,
    FamilyMemberRoleForm,
    InvolvementForm,
    PersonForm,
    RelationshipForm,
    SearchForm,
)
from cases.models import Family
from earlyhelp.audit.forms import HistoryPageForm
from earlyhelp.audit.selectors import history_page
from earlyhelp.audit.services import access_event_record
from earlyhelp.core import perms
from earlyhelp.core.forms import errors_from_validation
from earlyhelp.core.submit_once import submit_once
from governance.selectors import break_glass as break_glass_selectors

PER_PAGE = 25
TASK_LIST_PAGES = ("cases:my_tasks", "cases:team_tasks")
FAMILY_HITS = 10  # families matching by name or postcode, shown above the people found


def _page(request: HttpRequest, items, per_page: int = PER_PAGE):
    return Paginator(items, per_page).get_page(request.GET.get("page"))


SEARCH_SESSION_KEY = "person_search"
FAMILY_REFERENCE = re.compile(r"[A-Z0-9-]{1,20}")  # the family list's cursor: the last family shown


@login_required
@permission_required(perms.VIEW_FAMILY, raise_exception=True)
@require_http_methods(["GET", "POST"])
def search(request: HttpRequest) -> HttpResponse:
    """Search is posted, and its results shown from the session, so no name or NHS number is in a URL."""
    if request.method == "POST":
        form = SearchForm(request.POST)
        if form.is_valid():
            criteria = selectors.SearchCriteria(**form.cleaned_data)
            request.session[SEARCH_SESSION_KEY] = criteria.to_session()
            access_event_record(user=request.user, action="search", detail=criteria.describe(), request=request)
            return redirect(f"{reverse('cases:search')}?results=1")
        return render(request, "cases/search.html", {"form": form, "page": None, "families": []})
    saved = request.session.get(SEARCH_SESSION_KEY) if "results" in request.GET else None
    if saved is None:
        return render(request, "cases/search.html", {"form": SearchForm(), "page": None, "families": []})
    criteria = selectors.SearchCriteria.from_session(saved)
    page = selectors.person_search_page(user=request.user, criteria=criteria, shown=PER_PAGE)
    families = list(selectors.family_search(user=request.user, criteria=criteria)[:FAMILY_HITS])
    # Break-the-glass: "a record exists" (nothing else) for a specific search's matches outside the user's scope.
    outside_scope = break_glass_selectors.records_outside_scope(user=request.user, criteria=criteria)
    form = SearchForm(initial=criteria.as_initial())
    context = {"form": form, "page": page, "families": families, "outside_scope": outside_scope}
    return render(request, "cases/search.html", context)


@login_required
@permission_required(perms.VIEW_FAMILY, raise_exception=True)
def family_list(request: HttpRequest) -> HttpResponse:
    team_id = request.GET.get("team", "")
    status = request.GET.get("status", "")
    after = request.GET.get("after", "")
    filters = {
        "user": request.user,
        "team_id": int(team_id) if team_id.isdigit() else None,
        "status": status if status in Family.Status.values else "",
        "per_page": PER_PAGE,
    }
    page = selectors.family_list_page(**filters, after=after) if FAMILY_REFERENCE.fullmatch(after) else None
    bad_cursor = bool(after) and page is None  # a made-up link, or its family has left the list: the first page
    if page is None:
        after = ""
        page = selectors.family_list_page(**filters, after=after)
    query = {"team": team_id, "status": status}
    context = {
        "page": page,
        "teams": selectors.family_list_teams(),
        "statuses": Family.Status.choices,
        "team_id": team_id,
        "status": status,
        "bad_cursor": bad_cursor,
        "first_query": urlencode(query) if after else None,
        "next_query": urlencode(query | {"after": page.next_after}) if page.next_after else "",
    }
    return render(request, "cases/family_list.html", context)


@login_required
@permission_required(perms.ADD_FAMILY, raise_exception=True)
@require_http_methods(["GET", "POST"])
@submit_once
def family_create(request: HttpRequest) -> HttpResponse:
    form = FamilyForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            family = services.family_create(user=request.user, **form.cleaned_data)
        except ValidationError as error:
            errors_from_validation(form, error)
        else:
            messages.success(request, f"Family record {family.reference} created. Now add the people in the family.")
            return redirect("cases:family_detail", uuid=family.uuid)
    return render(request, "cases/family_form.html", {"form": form, "title": "Add a family"})


@login_required
@permission_required(perms.VIEW_FAMILY, raise_exception=True)
def family_detail(request: HttpRequest, uuid) -> HttpResponse:
    family = selectors.family_page(user=request.user, uuid=uuid)
    access_event_record(user=request.user, action="view", obj=family, request=request)
    return render(request, "cases/family_detail.html", {"family": family})


@login_required
@permission_required(perms.CHANGE_FAMILY, raise_exception=True)
@require_http_methods(["GET", "POST"])
def family_edit(request: HttpRequest, uuid) -> HttpResponse:
    family = selectors.family_get(user=request.user, uuid=uuid)
    form = FamilyForm(request.POST if request.method == "POST" else None, instance=family)
    if request.method == "POST" and form.is_valid():
        try:
            services.family_update(user=request.user, family=family, **form.cleaned_data)
        except ValidationError as error:
            errors_from_validation(form, error)
        else:
            if not selectors.families_visible_to(request.user).filter(pk=family.pk).exists():
                messages.success(
                    request,
                    f"Family details saved. The family is now held by the {family.local_area_team} Local Area Team, "
                    "so you can no longer see it.",
                )
                return redirect("cases:family_list")
            messages.success(request, "Family details saved.")
            return redirect("cases:family_detail", uuid=family.uuid)
    return render(request, "cases/family_form.html", {"form": form, "family": family, "title": "Change family details"})


@login_required
@permission_required(perms.ADD_FAMILY_MEMBER, raise_exception=True)
@require_http_methods(["GET", "POST"])
@submit_once
def family_member_add(request: HttpRequest, uuid) -> HttpResponse:
    """Add a person: an existing record chosen from the duplicate check, or a new one."""
    family = selectors.family_get(user=request.user, uuid=uuid)
    form = FamilyMemberForm(request.POST if request.method == "POST" else None, initial={"role": ""})
    duplicates: list = []
    if request.method == "POST" and form.is_valid():
        duplicates = selectors.person_duplicates(
            user=request.user,
            first_name=form.cleaned_data["first_name"],
            last_name=form.cleaned_data["last_name"],
            date_of_birth=form.cleaned_data["date_of_birth"] or form.cleaned_data["expected_date_of_birth"],
            nhs_number=form.cleaned_data["nhs_number"],
        )
        chosen = request.POST.get("existing_person", "")
        if duplicates and not chosen and not form.cleaned_data["duplicates_checked"]:
            form = FamilyMemberForm(_with_checked(request.POST))
            form.is_valid()
        else:
            member = _family_member_save(request, family, form, chosen=chosen)
            if member is not None:
                messages.success(request, f"{member.person} added to the family.")
                return redirect("cases:family_detail", uuid=family.uuid)
    member_ids = set(family.members.values_list("person_id", flat=True)) if duplicates else set()
    context = {"form": form, "family": family, "duplicates": duplicates, "member_ids": member_ids}
    return render(request, "cases/family_member_form.html", context)


def _family_member_save(request: HttpRequest, family: Family, form: FamilyMemberForm, *, chosen: str):
    """Add the chosen existing person (404 if out of scope) or create a new one; None on a refused save."""
    try:
        if chosen:
            person = selectors.person_get(user=request.user, uuid=chosen)
            return services.family_member_add(user=request.user, family=family, person=person, **form.member_fields())
        return services.family_member_create(
            user=request.user, family=family, person_fields=form.person_fields(), member_fields=form.member_fields()
        )
    except ValidationError as error:
        errors_from_validation(form, error)
    except services.FamilyError as error:
        form.add_error(None, str(error))
    return None


def _with_checked(data):
    data = data.copy()
    data["duplicates_checked"] = "True"
    return data


@login_required
@permission_required(perms.CHANGE_FAMILY_MEMBER, raise_exception=True)
@require_http_methods(["GET", "POST"])
def family_member_edit(request: HttpRequest, uuid, member_uuid) -> HttpResponse:
    family = selectors.family_get(user=request.user, uuid=uuid)
    member = selectors.family_member_get(family=family, uuid=member_uuid, user=request.user)
    form = FamilyMemberRoleForm(request.POST if request.method == "POST" else None, instance=member)
    if request.method == "POST" and form.is_valid():
        services.family_member_update(user=request.user, member=member, **form.cleaned_data)
        messages.success(request, f"{member.person}'s place in the family saved.")
        return redirect("cases:family_detail", uuid=family.uuid)
    return render(request, "cases/family_member_edit.html", {"form": form, "family": family, "member": member})


@login_required
@permission_required(perms.ADD_RELATIONSHIP, raise_exception=True)
@require_http_methods(["GET", "POST"])
@submit_once
def relationship_add(request: HttpRequest, uuid) -> HttpResponse:
    family = selectors.family_get(user=request.user, uuid=uuid)
    people = selectors.people_visible_to(request.user).filter(memberships__family=family)
    form = RelationshipForm(request.POST if request.method == "POST" else None, people=people)
    if request.method == "POST" and form.is_valid():
        try:
            services.relationship_add(user=request.user, family=family, **form.cleaned_data)
        except services.FamilyError as error:
            form.add_error("kind", str(error))
        else:
            messages.success(request, "Relationship saved.")
            return redirect("cases:family_detail", uuid=family.uuid)
    return render(request, "cases/relationship_form.html", {"form": form, "family": family})


@login_required
@permission_required(perms.ADD_INVOLVEMENT, raise_exception=True)
@require_http_methods(["GET", "POST"])
@submit_once
def involvement_add(request: HttpRequest, uuid) -> HttpResponse:
    family = selectors.family_get(user=request.user, uuid=uuid)
    people = selectors.people_visible_to(request.user).filter(memberships__family=family)
    form = InvolvementForm(request.POST if request.method == "POST" else None, people=people)
    if request.method == "POST" and form.is_valid():
        try:
            services.involvement_add(user=request.user, family=family, **form.involvement_fields())
        except ValidationError as error:
            errors_from_validation(form, error)
        except services.FamilyError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Professional involvement saved.")
            return redirect("cases:family_detail", uuid=family.uuid)
    return render(request, "cases/involvement_form.html", {"form": form, "family": family})


@login_required
@permission_required(perms.VIEW_FAMILY_HISTORY, raise_exception=True)
def family_history(request: HttpRequest, uuid) -> HttpResponse:
    """Who changed what in the family's record, its members, relationships and involvements, newest first."""
    family = selectors.family_get(user=request.user, uuid=uuid)
    form = HistoryPageForm(request.GET or None)
    page = history_page(sources=selectors.family_histories(user=request.user, family=family), before=form.cursor())
    access_event_record(user=request.user, action="view", obj=family, detail="history", request=request)
    return render(request, "audit/history.html", _history_context(family, form, page, "cases:family_detail"))


def _history_context(subject, form: HistoryPageForm, page, back_url: str) -> dict:
    return {
        "subject": subject,
        "form": form,
        "page": page,
        "older_query": urlencode({"before": page.older_than}) if page.older_than else "",
        "newest_query": "" if form.cursor() else None,
        "back_url": back_url,
    }


@login_required
@permission_required(perms.VIEW_FAMILY, raise_exception=True)
def person_detail(request: HttpRequest, uuid) -> HttpResponse:
    person = selectors.person_page(user=request.user, uuid=uuid)
    access_event_record(user=request.user, action="view", obj=person, request=request)
    return render(request, "cases/person_detail.html", {"person": person})


@login_required
@permission_required(perms.CHANGE_PERSON, raise_exception=True)
@require_http_methods(["GET", "POST"])
def person_edit(request: HttpRequest, uuid) -> HttpResponse:
    person = selectors.person_get(user=request.user, uuid=uuid)
    saved_name = person.full_name  # the form writes submitted values onto `person` while validating
    form = PersonForm(request.POST if request.method == "POST" else None, instance=person)
    if request.method == "POST" and form.is_valid():
        try:
            changed = services.person_update(user=request.user, person=person, **form.person_fields())
        except ValidationError as error:
            errors_from_validation(form, error)
        else:
            if changed:
                messages.success(request, f"{person}'s details saved.")
            else:
                messages.info(request, "You did not change anything, so nothing was saved.")
            return redirect("cases:person_detail", uuid=person.uuid)
    return render(request, "cases/person_form.html", {"form": form, "person": person, "saved_name": saved_name})


@login_required
@permission_required(perms.VIEW_FAMILY_HISTORY, raise_exception=True)
def person_history(request: HttpRequest, uuid) -> HttpResponse:
    """Who changed what in the person's details and the addresses of theirs the user may see, newest first."""
    person = selectors.person_get(user=request.user, uuid=uuid)
    form = HistoryPageForm(request.GET or None)
    page = history_page(sources=selectors.person_histories(user=request.user, person=person), before=form.cursor())
    access_event_record(user=request.user, action="view", obj=person, detail="history", request=request)
    return render(request, "audit/history.html", _history_context(person, form, page, "cases:person_detail"))


@login_required
@permission_required(perms.VIEW_FAMILY, raise_exception=True)
@require_POST
def task_complete(request: HttpRequest, uuid, task_uuid) -> HttpResponse:
    family = selectors.family_get(user=request.user, uuid=uuid)
    task = selectors.task_get(family=family, uuid=task_uuid)
    try:
        services.task_complete(user=request.user, task=task)
    except services.FamilyError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Task done: {task.title}.")
    back = urlsplit(request.POST.get("next", ""))
    if not (back.scheme or back.netloc) and back.path in {reverse(name) for name in TASK_LIST_PAGES}:
        return redirect(back.geturl())  # back to the task list it was marked done on
    return redirect("cases:family_detail", uuid=family.uuid)


@login_required
@permission_required(perms.ALLOCATE_EPISODE, raise_exception=True)
def allocation_queue(request: HttpRequest) -> HttpResponse:
    """Requests for early help waiting in the manager's teams, oldest first."""
    page = _page(request, selectors.allocation_queue(user=request.user))
    return render(request, "cases/allocation_queue.html", {"page": page})


@login_required
@permission_required(perms.ALLOCATE_EPISODE, raise_exception=True)
@require_http_methods(["GET", "POST"])
def episode_allocate(request: HttpRequest, uuid) -> HttpResponse:
    episode = selectors.episode_for_allocation(user=request.user, uuid=uuid)
    workers = selectors.team_workers(local_area_team=episode.local_area_team)
    form = AllocateForm(request.POST if request.method == "POST" else None, workers=workers)
    if request.method == "POST" and form.is_valid():
        try:
            services.episode_allocate(user=request.user, episode=episode, worker=form.cleaned_data["worker"])
        except ValidationError as error:
            errors_from_validation(form, error)
        except services.FamilyError as error:
            messages.error(request, str(error))
            return redirect("cases:allocation_queue")
        else:
            worker = form.cleaned_data["worker"]
            messages.success(request, f"Allocated to {worker.full_name}, who has been told.")
            return redirect("cases:allocation_queue")
    return render(request, "cases/episode_allocate.html", {"form": form, "episode": episode})
