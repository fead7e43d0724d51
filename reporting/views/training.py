"""Pages for training records: the list with counts per course, one record, and the CSV import with its
template."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_http_methods

from earlyhelp.core import perms
from earlyhelp.core.forms import errors_from_validation
from earlyhelp.core.submit_once import submit_once
from reporting import training
from reporting.forms.training import TrainingFilterForm, TrainingImportForm, TrainingRecordForm

PER_PAGE = 25


@login_required
@permission_required(perms.VIEW_TRAINING, raise_exception=True)
@require_http_methods(["GET"])
def training_list(request: HttpRequest) -> HttpResponse:
    """Completed courses, newest first, by course, team and dates; with how many for each course."""
    form = TrainingFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    records = training.training_records(
        course=data.get("course", ""),
        local_area_team=data.get("local_area_team"),
        completed_from=data.get("completed_from"),
        completed_to=data.get("completed_to"),
    )
    query = urlencode({k: v for k, v in request.GET.items() if k != "page" and v})
    context = {
        "form": form,
        "page": Paginator(records, PER_PAGE).get_page(request.GET.get("page")),
        "counts": training.training_counts_by_course(records),
        "query": query,
        "filtered": bool(query),
    }
    return render(request, "reporting/training/list.html", context)


@login_required
@permission_required(perms.RECORD_TRAINING, raise_exception=True)
@require_http_methods(["GET", "POST"])
@submit_once
def training_new(request: HttpRequest) -> HttpResponse:
    form = TrainingRecordForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            record = training.training_record_add(user=request.user, **form.cleaned_data)
        except ValidationError as error:
            errors_from_validation(form, error)
        else:
            messages.success(request, f"Training recorded: {record.practitioner_name}, {record}.")
            return redirect("reporting:training")
    return render(request, "reporting/training/new.html", {"form": form})


@login_required
@permission_required(perms.RECORD_TRAINING, raise_exception=True)
@require_http_methods(["GET", "POST"])
def training_import(request: HttpRequest) -> HttpResponse:
    """Upload a CSV of completed courses; the result page lists every row refused, and why."""
    form = TrainingImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = training.training_import(user=request.user, file=form.cleaned_data["file"])
        except training.TrainingImportError as refusal:
            form.add_error("file", str(refusal))
        else:
            if result.imported:
                plural = "s" if result.imported != 1 else ""
                messages.success(request, f"{result.imported} training record{plural} imported.")
            else:
                messages.warning(request, "No training records were imported: the reasons are listed below.")
            return render(request, "reporting/training/import_result.html", {"result": result})
    context = {"form": form, "columns": training.COLUMNS, "courses": training.Course.choices}
    return render(request, "reporting/training/import.html", context)


@login_required
@permission_required(perms.RECORD_TRAINING, raise_exception=True)
@require_http_methods(["GET"])
def training_import_template(request: HttpRequest) -> HttpResponse:
    """An empty spreadsheet with the import's column names."""
    response = HttpResponse(",".join(training.COLUMNS) + "\r\n", content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="training-import-template.csv"'
    return response


urlpatterns: list = [
    path("training/", training_list, name="training"),
    path("training/new/", training_new, name="training_new"),
    path("training/import/", training_import, name="training_import"),
    path("training/import/template.csv", training_import_template, name="training_import_template"),
]
