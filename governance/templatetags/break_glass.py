"""`{% break_glass_until family as until %}`: when the user's break-the-glass access to the family ends, if they
are seeing it under a grant (read from the session, no query)."""

from django import template

from governance.selectors.break_glass import break_glass_until as _until

register = template.Library()


@register.simple_tag(takes_context=True)
def break_glass_until(context, family):
    request = context.get("request")
    if request is None or family is None:
        return None
    return _until(session=getattr(request, "session", None), user=getattr(request, "user", None), family=family)
