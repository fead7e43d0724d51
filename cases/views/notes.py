"""Pages for case notes, their amendments, and the family chronology."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_http_methods

from cases.forms.notes import AmendmentForm, ChronologyFilterForm, NoteFilterForm, NoteForm
from cases.models import CaseNote
from cases.selectors import family_get, family_people_visible
from cases.selectors.chronology import chronology_page, chronology_people
from cases.selectors.episodes import episode_open_for
from cases.selectors.notes import note_amendments, note_get, notes_page
from cases.services import notes as services
from cases.services.episodes import EpisodeError
from earlyhelp.audit.services import access_event_record
from earlyhelp.core import perms
from earlyhelp.core.forms import errors_from_validation
from earlyhelp.core.locking import StaleEdit
from earlyhelp.core.submit_once import submit_once


def _posted(request: HttpRequest):
    return request.POST if request.method == "POST" else None


@login_required
@permission_required(perms.VIEW_FAMILY, raise_exception=True)
def note_list(request: HttpRequest, uuid) -> HttpResponse:
    """The family's case notes, newest first, with how many amendments each has and whether it has locked."""
    family = family_get(user=request.user, uuid=uuid)
    form = NoteFilterForm(request.GET or None)
    kind, before = form.valid_data().get("kind") or "", form.cursor()
    page = notes_page(user=request.user, family=family, kind=kind, before=before)
    access_event_record(user=request.user, action="view", obj=family, detail="case notes", request=request)
    filters = {"kind": kind} if kind else {}
    context = {
        "family": family,
        "form": form,
        "page": page,
        "filtered": bool(kind),
        "older_query": urlencode(filters | {"before": page.older_than}) if page.older_than else "",
        "newest_query": urlencode(filters) if before else None,
    }
    return render(request, "cases/notes/note_list.html", context)


@login_required
@permission_required(perms.ADD_CASE_NOTE, raise_exception=True)
@require_http_methods(["GET", "POST"])
@submit_once
def note_add(request: HttpRequest, uuid) -> HttpResponse:
    """Write a case note: it joins the family's open episode, or the family alone when it has none."""
    family = family_get(user=request.user, uuid=uuid)
    form = NoteForm(_posted(request), people=family_people_visible(user=request.user, family=family))
    if request.method == "POST" and form.is_valid():
        try:
            note = services.note_record(user=request.user, family=family, **form.note_fields())
        except ValidationError as error:
            errors_from_validation(form, error)
        else:
            messages.success(request, "Case note saved. You can change it until this time tomorrow.")
            return redirect("cases:note_detail", uuid=note.uuid)
    context = {"family": family, "form": form, "episode": episode_open_for(family=family)}
    return render(request, "cases/notes/note_add.html", context)


@login_required
@permission_required(perms.VIEW_FAMILY, raise_exception=True)
def note_detail(request: HttpRequest, uuid) -> HttpResponse:
    """The note as it was written and, below it, every amendment: who, when, why and what."""
    note = note_get(user=request.user, uuid=uuid)
    access_event_record(user=request.user, action="view", obj=note, request=request)
    context = {
        "note": note,
        "family": note.family,
        "amendments": note_amendments(note=note),
        "may_write": request.user.has_perm(perms.ADD_CASE_NOTE),
    }
    return render(request, "cases/notes/note_detail.html", context)


def _note_initial(note: CaseNote) -> dict:
    return {
        "kind": note.kind,
        "happened_on": note.happened_on,
        "people": [person.pk for person in note.visible_people],
        "child_seen": note.child_seen,
        "child_seen_alone": note.child_seen_alone,
        "text": note.text,
        "significant": note.significant,
        "lock_version": note.lock_version,
    }


def _refused(note: CaseNote, user) -> str:
    """Why `user` cannot change the note now, or nothing if they can."""
    try:
        services.note_require_changeable(user=user, note=note)
    except (services.NoteError, EpisodeError) as error:
        return str(error)
    return ""


@login_required
@permission_required(perms.ADD_CASE_NOTE, raise_exception=True)
@require_http_methods(["GET", "POST"])
@submit_once
def note_edit(request: HttpRequest, uuid) -> HttpResponse:
    """The author changes their note within a day. A stale copy is refused, and what they typed is shown back."""
    note = note_get(user=request.user, uuid=uuid)
    people = family_people_visible(user=request.user, family=note.family)
    form = NoteForm(_posted(request), people=people, initial=_note_initial(note))
    refusal, stale, current = _refused(note, request.user), None, None
    if request.method == "POST" and not refusal and form.is_valid():
        version = form.cleaned_data["lock_version"]
        try:
            services.note_update(
                user=request.user, note=note, expected_version=-1 if version is None else version, **form.note_fields()
            )
        except ValidationError as error:
            errors_from_validation(form, error)
        except (services.NoteError, EpisodeError) as error:
            form.add_error(None, str(error))
        except StaleEdit as error:
            stale, current = str(error), note_get(user=request.user, uuid=uuid)
            # Their text stays in the form; saving again now starts from the current copy, knowingly.
            form = NoteForm(request.POST.copy(), people=people)
            form.data["lock_version"] = str(current.lock_version)
            form.is_valid()
        else:
            messages.success(request, "Case note changed.")
            return redirect("cases:note_detail", uuid=note.uuid)
    if request.method == "POST" and refusal:
        form.is_valid()  # keep what they typed on the page, beside the reason it cannot be saved
    context = {"note": note, "family": note.family, "form": form, "refusal": refusal, "stale": stale}
    context["current"] = current
    return render(request, "cases/notes/note_edit.html", context)


@login_required
@permission_required(perms.ADD_CASE_NOTE, raise_exception=True)
@require_http_methods(["GET", "POST"])
@submit_once
def note_amend(request: HttpRequest, uuid) -> HttpResponse:
    """Add an amendment beside a locked note: a correction or addition, with the reason for it."""
    note = note_get(user=request.user, uuid=uuid)
    form = AmendmentForm(_posted(request))
    try:
        services.note_require_amendable(note=note)
        refusal = ""
    except (services.NoteError, EpisodeError) as error:
        refusal = str(error)
    if request.method == "POST" and not refusal and form.is_valid():
        try:
            services.note_amend(user=request.user, note=note, **form.cleaned_data)
        except ValidationError as error:
            errors_from_validation(form, error)
        except (services.NoteError, EpisodeError) as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Amendment added. It is shown beside the original note.")
            return redirect("cases:note_detail", uuid=note.uuid)
    if request.method == "POST" and refusal:
        form.is_valid()
    context = {"note": note, "family": note.family, "form": form, "refusal": refusal}
    return render(request, "cases/notes/note_amend.html", context)


@login_required
@permission_required(perms.VIEW_FAMILY, raise_exception=True)
def chronology(request: HttpRequest, uuid) -> HttpResponse:
    """The family's significant events on one timeline, filterable by type and by person."""
    family = family_get(user=request.user, uuid=uuid)
    people = list(chronology_people(user=request.user, family=family))
    form = ChronologyFilterForm(request.GET or None, people=people)
    filters, after = form.filters(), form.cursor()
    page = chronology_page(user=request.user, family=family, people=people, after=after, **filters)
    access_event_record(user=request.user, action="view", obj=family, detail="chronology", request=request)
    query = form.filters_query()
    context = {
        "family": family,
        "form": form,
        "page": page,
        "filtered": bool(filters.get("types") or filters.get("person")),
        "newest_first": bool(filters.get("newest_first")),
        "next_query": "&".join(part for part in (query, urlencode({"after": page.next_after})) if part)
        if page.next_after
        else "",
        "first_query": query if after else None,
    }
    return render(request, "cases/notes/chronology.html", context)


urlpatterns = [
    path("families/<uuid:uuid>/notes/", note_list, name="note_list"),
    path("families/<uuid:uuid>/notes/new/", note_add, name="note_add"),
    path("notes/<uuid:uuid>/", note_detail, name="note_detail"),
    path("notes/<uuid:uuid>/edit/", note_edit, name="note_edit"),
    path("notes/<uuid:uuid>/amend/", note_amend, name="note_amend"),
    path("families/<uuid:uuid>/chronology/", chronology, name="chronology"),
]
