"""The application's URLs plus the benchmark's baseline page, used only by `tests.bench.pages_bench`."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import include, path

from cases.models import Family

# As small as a page can be: one indexed query and a template of one line.
BASELINE_TEMPLATE = engines["django"].from_string("<!DOCTYPE html><title>Baseline</title><p>{{ reference }}</p>")


@login_required
def baseline(request: HttpRequest, pk: int) -> HttpResponse:
    """The benchmark's yardstick: the whole middleware stack, one query by primary key, a tiny template."""
    reference = Family.objects.filter(pk=pk).values_list("reference", flat=True).first()
    return HttpResponse(BASELINE_TEMPLATE.render({"reference": reference}))


urlpatterns = [
    path("bench/baseline/<int:pk>/", baseline, name="bench_baseline"),
    path("", include("earlyhelp.urls")),
]
