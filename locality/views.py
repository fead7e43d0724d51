"""The service directory: local services to signpost families to, and each agency's Early Help Champions."""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from earlyhelp.core import perms
from locality import selectors
from locality.forms import ServiceSearchForm

PER_PAGE = 25


@login_required
@permission_required(perms.VIEW_DIRECTORY, raise_exception=True)
def directory(request: HttpRequest) -> HttpResponse:
    """Search by GET, so a search can be bookmarked and shared: it holds no personal data."""
    form = ServiceSearchForm(request.GET)
    page = None
    if form.is_valid():
        services = selectors.services_search(**form.cleaned_data)
        page = Paginator(services, PER_PAGE).get_page(request.GET.get("page"))
    query = urlencode([(name, value) for name, value in request.GET.items() if name in form.fields and value])
    context = {"form": form, "page": page, "query": query, "champions": selectors.champions_list()}
    return render(request, "locality/directory.html", context)


@login_required
@permission_required(perms.VIEW_DIRECTORY, raise_exception=True)
def service_detail(request: HttpRequest, uuid) -> HttpResponse:
    service = selectors.service_get(uuid=uuid)
    return render(request, "locality/service_detail.html", {"service": service})
