"""`{% form_token %}`: the hidden one-off token that lets a form be saved once (`earlyhelp.core.submit_once`)."""

import uuid

from django import template
from django.utils.html import format_html

from earlyhelp.core.submit_once import FIELD, posted_token

register = template.Library()


@register.simple_tag(takes_context=True)
def form_token(context) -> str:
    """A new token; on a page shown again after a refused POST, the token that POST sent, so the corrected form is
    still the same form (sent twice, it saves once)."""
    request = context.get("request")
    token = (posted_token(request) if request is not None else None) or uuid.uuid4()
    return format_html('<input type="hidden" name="{}" value="{}">', FIELD, token)
