"""Shared form pieces: the legends of date inputs carry GOV.UK's own size class."""

import re

import pytest
from django.template import Context, Template

from cases.forms.taf import MeetingPlanForm
from referrals.forms import ConcernFlagForm


def _legends(form) -> list[str]:
    html = Template("{% load crispy_forms_tags %}{% crispy form %}").render(Context({"form": form}))
    return re.findall(r'<legend class="([^"]*)"', html)


@pytest.mark.parametrize("form_class", [ConcernFlagForm, MeetingPlanForm], ids=lambda c: c.__name__)
def test_date_legend_renders_the_small_govuk_legend_class(form_class):
    legends = _legends(form_class())
    assert "govuk-fieldset__legend govuk-fieldset__legend--s" in legends
    assert all(legend.split()[-1] != "s" for legend in legends)  # never the bare size letter
