"""Permission-aware reads of step-ups and step-downs (transfers to and from children's social care)."""

from django.db.models import Q
from django.http import Http404

from cases.models import Transfer
from cases.selectors import families_visible_to


def transfer_get(*, user, uuid) -> Transfer:
    """One transfer, or 404. Visible to whoever sees its family (as `family_get` decides), and to the MASH for a
    step-up made by its own decision on a contact it may see (as `referrals:transfer_reference` finds it), even
    after the contact has closed."""
    from referrals.selectors import contacts_in_inbox

    visible = Q(family__in=families_visible_to(user)) | Q(contact__in=contacts_in_inbox(user))
    try:
        return (
            Transfer.objects.filter(visible)
            .select_related("family", "episode", "contact", "outcome_recorded_by")
            .get(uuid=uuid)
        )
    except (Transfer.DoesNotExist, ValueError):
        raise Http404("No such transfer") from None
