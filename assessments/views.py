"""Pages for the whole-family Early Help Assessment: start, task list, sections, submit, decide, compare."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from assessments import selectors, services
from assessments.forms import AnalysisForm, DecisionForm, NeedForm, ScalingForm, SectionForm, StartForm, SubmitForm
from assessments.sections import ANALYSIS, NEEDS, SCALING
from cases.selectors import family_get, family_people_visible
from earlyhelp.audit.services import access_event_record
from earlyhelp.core import perms
from earlyhelp.core.forms import errors_from_validation
from earlyhelp.core.submit_once import submit_once


def _posted(request: HttpRequest):
    return request.POST if request.method == "POST" else None


@login_required
@permission_required(perms.START_ASSESSMENT, raise_exception=True)
@require_http_methods(["GET", "POST"])
@submit_once
def assessment_start(request: HttpRequest, uuid) -> HttpResponse:
    family = family_get(user=request.user, uuid=uuid)
    form = StartForm(_posted(request), people=family_people_visible(user=request.user, family=family))
    if request.method == "POST" and form.is_valid():
        try:
            assessment = services.assessment_start(user=request.user, family=family, **form.cleaned_data)
        except ValidationError as error:
            errors_from_validation(form, error)
        except services.AssessmentError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request, f"{assessment} started. Fill in the sections in any order, over as many sittings as you need."
            )
            return redirect("assessments:summary", uuid=assessment.uuid)
    return render(request, "assessments/start.html", {"form": form, "family": family})


@login_required
@permission_required(perms.VIEW_FAMILY, raise_exception=True)
def assessment_summary(request: HttpRequest, uuid) -> HttpResponse:
    """The task list while the assessment can be edited; the whole assessment, read-only, after."""
    assessment = selectors.assessment_get(user=request.user, uuid=uuid)
    access_event_record(user=request.user, action="view", obj=assessment, request=request)
    context = _summary_context(assessment, SubmitForm())
    context["may_decide"] = services.may_decide(user=request.user, assessment=assessment)
    return render(request, "assessments/summary.html", context)


def _summary_context(assessment, submit_form) -> dict:
    sections = selectors.assessment_sections(assessment=assessment)
    return {
        "assessment": assessment,
        "family": assessment.family,
        "sections": sections,
        "left": sum(1 for s in sections if s.status != "completed"),
        "scalings": list(assessment.scalings.select_related("person")),
        "needs": list(assessment.needs.select_related("person")),
        "submit_form": submit_form,
        "previous": selectors.assessment_previous(assessment=assessment),
    }


@login_required
@permission_required(perms.EDIT_ASSESSMENT, raise_exception=True)
@require_http_methods(["GET", "POST"])
def section_edit(request: HttpRequest, uuid, key, person_uuid=None) -> HttpResponse:
    assessment = selectors.assessment_get(user=request.user, uuid=uuid)
    section = selectors.section_get(assessment=assessment, key=key, person_uuid=person_uuid)
    if key == NEEDS:
        return redirect("assessments:needs", uuid=assessment.uuid)
    if not assessment.is_editable:
        messages.info(request, "This assessment can no longer be changed.")
        return redirect("assessments:summary", uuid=assessment.uuid)
    form = _section_form(request, assessment, section)
    if request.method == "POST" and form.is_valid():
        complete = "complete" in request.POST
        try:
            _section_save(request, assessment, section, form, complete)
        except ValidationError as error:
            errors_from_validation(form, error)
        except services.AssessmentError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"{section.spec.title} saved{' and marked as completed' if complete else ''}.")
            return redirect("assessments:summary", uuid=assessment.uuid)
    context = {"assessment": assessment, "family": assessment.family, "section": section, "form": form}
    return render(request, "assessments/section.html", context)


def _section_form(request: HttpRequest, assessment, section):
    if section.key == SCALING:
        people = family_people_visible(user=request.user, family=assessment.family).filter(
            pk__in=assessment.subjects.values("person")
        )
        initial = {}
        for scaling in assessment.scalings.select_related("person"):
            key = str(scaling.person.uuid) if scaling.person_id else "practitioner"
            initial |= {f"score_{key}": scaling.score, f"note_{key}": scaling.note}
        return ScalingForm(_posted(request), people=people, initial=initial)
    if section.key == ANALYSIS:
        initial = {
            "level_of_need": assessment.level_of_need,
            "pathway": assessment.pathway,
            "analysis": assessment.analysis,
        }
        return AnalysisForm(_posted(request), initial=initial)
    return SectionForm(_posted(request), spec=section.spec, initial=section.answers)


def _section_save(request: HttpRequest, assessment, section, form, complete: bool) -> None:
    if section.key == SCALING:
        services.scaling_save(user=request.user, section=section, scores=form.scores(), complete=complete)
    elif section.key == ANALYSIS:
        services.analysis_save(user=request.user, section=section, complete=complete, **form.cleaned_data)
    else:
        services.section_save(user=request.user, section=section, answers=form.cleaned_data, complete=complete)


@login_required
@permission_required(perms.EDIT_ASSESSMENT, raise_exception=True)
@require_http_methods(["GET", "POST"])
@submit_once
def needs(request: HttpRequest, uuid) -> HttpResponse:
    """List the identified needs, add one, or mark the section completed."""
    assessment = selectors.assessment_get(user=request.user, uuid=uuid)
    section = selectors.section_get(assessment=assessment, key=NEEDS)
    people = family_people_visible(user=request.user, family=assessment.family).filter(
        pk__in=assessment.subjects.values("person")
    )
    form = NeedForm(_posted(request) if "add" in request.POST else None, people=people)
    if request.method == "POST":
        try:
            if "complete" in request.POST:
                services.needs_complete(user=request.user, section=section)
                messages.success(request, "Identified needs marked as completed.")
                return redirect("assessments:summary", uuid=assessment.uuid)
            if form.is_valid():
                services.need_add(user=request.user, assessment=assessment, **form.cleaned_data)
                messages.success(request, "Need added.")
                return redirect("assessments:needs", uuid=assessment.uuid)
        except ValidationError as error:
            errors_from_validation(form, error)
        except services.AssessmentError as error:
            form.add_error(None, str(error))
    context = {
        "assessment": assessment,
        "family": assessment.family,
        "form": form,
        "needs": list(assessment.needs.select_related("person")),
    }
    return render(request, "assessments/needs.html", context)


@login_required
@permission_required(perms.EDIT_ASSESSMENT, raise_exception=True)
@require_POST
def need_remove(request: HttpRequest, uuid, need_uuid) -> HttpResponse:
    assessment = selectors.assessment_get(user=request.user, uuid=uuid)
    need = assessment.needs.filter(uuid=need_uuid).first()
    if need is None:
        raise Http404("No such need")
    try:
        services.need_remove(user=request.user, need=need)
    except services.AssessmentError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Need removed.")
    return redirect("assessments:needs", uuid=assessment.uuid)


@login_required
@permission_required(perms.EDIT_ASSESSMENT, raise_exception=True)
@require_POST
def assessment_submit(request: HttpRequest, uuid) -> HttpResponse:
    assessment = selectors.assessment_get(user=request.user, uuid=uuid)
    form = SubmitForm(request.POST)
    if form.is_valid():
        try:
            services.assessment_submit(user=request.user, assessment=assessment, **form.cleaned_data)
        except ValidationError as error:
            errors_from_validation(form, error)
        except services.AssessmentError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request, f"{assessment} submitted. The Local Area Team's managers have been asked to authorise it."
            )
            return redirect("assessments:summary", uuid=assessment.uuid)
    return render(request, "assessments/summary.html", _summary_context(assessment, form))


@login_required
@permission_required(perms.AUTHORISE_ASSESSMENT, raise_exception=True)
@require_http_methods(["GET", "POST"])
def assessment_decide(request: HttpRequest, uuid) -> HttpResponse:
    assessment = selectors.assessment_get(user=request.user, uuid=uuid)
    form = DecisionForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        approve = form.cleaned_data["decision"] == "authorise"
        try:
            services.assessment_decide(
                user=request.user, assessment=assessment, approve=approve, comments=form.cleaned_data["comments"]
            )
        except ValidationError as error:
            errors_from_validation(form, error)
        except services.AssessmentError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                f"{assessment} {'authorised' if approve else 'returned for changes'}. The assessor has been told.",
            )
            return redirect("assessments:summary", uuid=assessment.uuid)
    return render(
        request, "assessments/decide.html", {"assessment": assessment, "family": assessment.family, "form": form}
    )


@login_required
@permission_required(perms.VIEW_FAMILY, raise_exception=True)
def assessment_compare(request: HttpRequest, uuid) -> HttpResponse:
    assessment = selectors.assessment_get(user=request.user, uuid=uuid)
    previous = selectors.assessment_previous(assessment=assessment)
    comparison = selectors.assessment_comparison(assessment=assessment, previous=previous) if previous else None
    context = {"assessment": assessment, "family": assessment.family, "previous": previous, "comparison": comparison}
    return render(request, "assessments/compare.html", context)
