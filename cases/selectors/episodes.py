"""Reads of episodes, always through the families a user may see."""

from django.http import Http404

from cases.models import Episode
from cases.selectors import families_visible_to


def episode_get(*, user, uuid) -> Episode:
    """An episode of a family `user` may see, or 404."""
    try:
        return (
            Episode.objects.filter(family__in=families_visible_to(user))
            .select_related("family", "local_area_team", "lead_practitioner", "lead_agency")
            .get(uuid=uuid)
        )
    except (Episode.DoesNotExist, ValueError):
        raise Http404("No such episode") from None


def episode_open_for(*, family) -> Episode | None:
    """The family's one open episode, if it has one."""
    return Episode.objects.filter(family=family, status__in=Episode.OPEN).first()
