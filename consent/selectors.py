"""Reads of consent: the one function that decides whether an agency may receive a family's information."""

from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet, Subquery
from django.utils import timezone

from consent.models import ConsentRecord, DisclosureLog, PrivacyNotice
from earlyhelp.core.code_lists import code_list

DECIDED = (
    ConsentRecord.Status.GIVEN,
    ConsentRecord.Status.REFUSED,
    ConsentRecord.Status.WITHDRAWN,
    ConsentRecord.Status.EXPIRED,
    ConsentRecord.Status.DISPENSED,
)
FAMILY_RECORD_TYPE = "early_help_record"


@dataclass(frozen=True)
class SharingDecision:
    allowed: bool
    consent: ConsentRecord | None
    message: str

    @property
    def basis(self) -> str:
        return "override" if self.consent is not None and self.consent.is_override else "consent"


def _covering(agency_id, agency_type) -> Q:
    """Active consent records that cover an agency: a safeguarding override, or its name or type.

    Someone with no agency recorded is covered by an override only.
    """
    override = Q(status=ConsentRecord.Status.DISPENSED)
    if agency_id is None:
        return override
    named_or_typed = Q(shares__agency_id=agency_id) | Q(shares__agency_type=agency_type)
    return override | (Q(status=ConsentRecord.Status.GIVEN) & named_or_typed)


def families_shareable_with_user(user, *, among=None) -> Q:
    """A filter on families for rule 2: a partner's grant is usable while consent covers their agency,
    or while consent is still being sought (no decision recorded yet).

    `among` (a query of family ids, such as the user's grants) limits the consent records read to those families,
    so the filter costs what the user's grants do, not what the whole consent register does."""
    from locality.models import Agency

    agency_type = Subquery(Agency.objects.filter(pk=user.agency_id).values("type")[:1])
    records = ConsentRecord.objects.all() if among is None else ConsentRecord.objects.filter(family_id__in=among)
    covered = records.filter(_covering(user.agency_id, agency_type)).values("family_id")
    decided = records.filter(status__in=DECIDED).values("family_id")
    return Q(pk__in=covered) | ~Q(pk__in=decided)


def agency_may_receive(*, family, agency) -> SharingDecision:
    """Whether `agency` may receive `family`'s information, on which consent or override, and if not, why."""
    if agency is None:
        return SharingDecision(False, None, "This practitioner has no agency recorded, so nothing can be shared.")
    consent = (
        ConsentRecord.objects.filter(family=family)
        .filter(_covering(agency.pk, agency.type))
        .order_by("-status", "-obtained_on")  # an override ("dispensed") before consent ("given")
        .first()
    )
    if consent is not None:
        return SharingDecision(True, consent, "")
    return SharingDecision(
        False,
        None,
        f"The family has not agreed to share its information with {agency}. Ask the family for consent to share "
        "with this agency, or, if asking would put a child at risk, ask a manager to record a safeguarding override.",
    )


def consent_summary(*, family) -> dict:
    """What the family page shows about consent: active records, the latest withdrawal, reviews due,
    and the lawful basis. Three queries, however many records."""
    from consent.models import ConsentShare

    records = list(
        ConsentRecord.objects.filter(family=family)
        .select_related("given_by", "approved_by")
        .prefetch_related(Prefetch("shares", queryset=ConsentShare.objects.select_related("agency")))
    )
    today = timezone.localdate()
    active = [r for r in records if r.is_active]
    withdrawn = next((r for r in records if r.status == ConsentRecord.Status.WITHDRAWN), None)
    return {
        "records": records,
        "active": active,
        "withdrawn": None if active else withdrawn,
        "review_due": [r for r in active if r.review_due_soon(today)],
        "lawful_basis": next(iter(code_list("family_lawful_basis")), None),
    }


def consent_get(*, family, uuid) -> ConsentRecord:
    from django.http import Http404

    try:
        return (
            ConsentRecord.objects.select_related("given_by", "obtained_by", "approved_by", "privacy_notice")
            .prefetch_related("shares__agency", "subjects__person")
            .get(family=family, uuid=uuid)
        )
    except (ConsentRecord.DoesNotExist, ValueError):
        raise Http404("No such consent record") from None


def privacy_notice_current() -> PrivacyNotice | None:
    return PrivacyNotice.objects.filter(effective_from__lte=timezone.localdate()).order_by("-effective_from").first()


def disclosures_for(*, family) -> QuerySet[DisclosureLog]:
    return DisclosureLog.objects.filter(family=family).select_related(
        "recipient_agency", "recipient_user", "disclosed_by", "consent"
    )


def consents_due_for_expiry(*, today) -> QuerySet[ConsentRecord]:
    return ConsentRecord.objects.filter(status__in=ConsentRecord.ACTIVE, review_on__lt=today).select_related(
        "family", "obtained_by"
    )
