"""Reads for retention: which families have passed their retention period, the review queue, and everything held
about a family that disposing of its records would delete.

The rule (docs/security.md, "Retention"): a family's early help records are kept until its youngest child's 25th
birthday, then reviewed. Only children with a date of birth count. A family with a child whose date of birth is not
known (an unborn child with only an expected date, or a child recorded without one) is not reviewed: its youngest
child is younger than anyone can tell. A family with no child members is not reviewed either: the rule has no date
to start from, so an information governance officer decides about it by hand.
"""

from dataclasses import dataclass, field
from datetime import date

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Exists, F, Max, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.shortcuts import get_object_or_404
from guardian.models import GroupObjectPermission, UserObjectPermission

from assessments.models import AssessmentSection, AssessmentSubject, EarlyHelpAssessment, Need, Scaling
from cases.models import (
    Action,
    CaseNote,
    CaseNoteAmendment,
    Closure,
    Episode,
    Family,
    FamilyMember,
    FamilyPlan,
    FamilyUserObjectPermission,
    Goal,
    GoalScore,
    Intervention,
    InterventionExtension,
    InterventionSession,
    Person,
    PersonAddress,
    ProfessionalInvolvement,
    Relationship,
    SupportingFamiliesNeed,
    SupportingFamiliesRegistration,
    TafAttendance,
    TafMeeting,
    TafMember,
    Task,
    Transfer,
)
from consent.models import ConsentRecord, ConsentShare, ConsentSubject, DisclosureLog
from documents.models import Document, DocumentRequest
from earlyhelp.accounts.models import Notification
from governance.models import FamilyTombstone, Restriction, RetentionReview, SubjectAccessRequest
from referrals.models import ConcernFlag, Contact, ContactChild, MashDecision, RagRating, SignpostedService
from reporting.models import CaseAudit

RETENTION_YEARS = 25
HISTORY_COUNT_KEY = "history"  # in a tombstone's counts: the history rows deleted with the records
_NOTIFICATION_MATCHES_PER_QUERY = 200


def birthday(born: date, *, years: int) -> date:
    """The day someone born on `born` turns `years` old; a 29 February birthday falls on 1 March in other years."""
    try:
        return born.replace(year=born.year + years)
    except ValueError:
        return date(born.year + years, 3, 1)


def born_on_or_before_for_age(*, today: date, years: int) -> date:
    """The latest date of birth of someone who is `years` old or more on `today`."""
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # today is 29 February; that day did not exist `years` ago
        return date(today.year - years, 2, 28)


def families_past_retention(*, today: date) -> QuerySet[Family]:
    """Families whose youngest child turned 25 on or before `today`, with no open episode and no open contact,
    annotated with `youngest_child_born`. A child with no date of birth (unborn, or not known) keeps the family
    out, and so does having no children at all (see the module's docstring)."""
    children = FamilyMember.objects.filter(family=OuterRef("pk"), role=FamilyMember.Role.CHILD)
    cutoff = born_on_or_before_for_age(today=today, years=RETENTION_YEARS)
    return (
        Family.objects.filter(Exists(children))
        .exclude(Exists(children.filter(Q(person__date_of_birth__isnull=True) | Q(person__date_of_birth__gt=cutoff))))
        .exclude(Exists(Episode.objects.filter(family=OuterRef("pk"), status__in=Episode.OPEN)))
        .exclude(Exists(Contact.objects.filter(family=OuterRef("pk"), status__in=Contact.OPEN)))
        .annotate(
            youngest_child_born=Subquery(
                children.order_by("-person__date_of_birth").values("person__date_of_birth")[:1],
                output_field=models.DateField(),
            )
        )
    )


def family_past_retention(*, family: Family, today: date) -> bool:
    """Whether `family` still meets the retention rule on `today` (it may have gained a child or an open case)."""
    return families_past_retention(today=today).filter(pk=family.pk).exists()


def _latest(queryset: QuerySet, field_name: str) -> Subquery:
    return Subquery(
        queryset.order_by().values("family").annotate(latest=Max(field_name)).values("latest")[:1],
        output_field=models.DateTimeField(),
    )


def retention_reviews_queue(*, status: str = "") -> QuerySet[RetentionReview]:
    """The review queue, oldest due first, each with its family's team and `last_activity`: when the family's
    casework last moved (an episode requested or closed, a contact received, a case note written)."""
    reviews = RetentionReview.objects.select_related("family__local_area_team")
    if status:
        reviews = reviews.filter(status=status)
    family = OuterRef("family")
    opened = F("family__created_at")
    return reviews.annotate(
        last_activity=Greatest(
            Coalesce(_latest(Episode.objects.filter(family=family), "requested_at"), opened),
            Coalesce(_latest(Episode.objects.filter(family=family), "closed_at"), opened),
            Coalesce(_latest(Contact.objects.filter(family=family), "received_at"), opened),
            Coalesce(_latest(CaseNote.objects.filter(family=family), "created_at"), opened),
            opened,
        )
    ).order_by("due_on", "id")


def retention_review_get(*, uuid) -> RetentionReview:
    """One review by its uuid, with its family (404 when there is none: it was disposed of, or never existed)."""
    return get_object_or_404(retention_reviews_queue(), uuid=uuid)


def family_tombstones() -> QuerySet[FamilyTombstone]:
    """What is left of the families disposed of, newest first."""
    return FamilyTombstone.objects.select_related("disposed_by").order_by("-disposed_at", "-id")


def family_has_open_work(*, family: Family) -> dict[str, bool]:
    """Which kinds of open work a family has, each of which stops its disposal."""
    return {
        "episode": Episode.objects.filter(family=family, status__in=Episode.OPEN).exists(),
        "contact": Contact.objects.filter(family=family, status__in=Contact.OPEN).exists(),
    }


def family_subject_access_pending(*, family: Family, today: date) -> bool:
    """Whether a subject access request about one of the family's members is still being answered: queued, being
    built or failed, or ready but still within its response period (received less than one calendar month and a
    day ago, so its `due_on` is today or later). Disposing of the records would destroy what the pack is made of,
    or what the person may still ask about."""
    SAR = SubjectAccessRequest.Status
    return SubjectAccessRequest.objects.filter(
        Q(status__in=[SAR.QUEUED, SAR.BUILDING, SAR.FAILED]) | Q(status=SAR.READY, due_on__gte=today),
        person__memberships__family=family,
    ).exists()


@dataclass
class DisposalPlan:
    """Everything held about one family, as querysets in an order that deletes each record after everything that
    protects it (`on_delete=PROTECT`), and the people who go with it and who stay."""

    family: Family
    steps: list[tuple[type[models.Model], QuerySet]] = field(default_factory=list)
    people_disposed: list[int] = field(default_factory=list)
    people_kept: list[int] = field(default_factory=list)

    def counts(self) -> list[tuple[str, str, int]]:
        """(model label, name of the kind, how many) for each kind of record that would be deleted, leaving out
        kinds with none (and the retention review itself, which the tombstone replaces), in `record_kinds` order."""
        found = {}
        for model, queryset in self.steps:
            number = 0 if model is RetentionReview else queryset.count()
            if number:
                found[model._meta.label_lower] = number
        return record_kinds(found)


_KIND_LABELS = {
    "cases.person": "People",
    "cases.familyuserobjectpermission": "Access grants to the family",
    "guardian.userobjectpermission": "Other access grants",
    "guardian.groupobjectpermission": "Team access grants",
    "cases.tafattendance": "TAF meeting attendances",
    "cases.tafmeeting": "TAF meetings",
    "cases.tafmember": "TAF members",
    "referrals.contactchild": "Children named on contacts",
    "referrals.ragrating": "RAG ratings",
    "referrals.mashdecision": "MASH decisions",
    "consent.disclosurelog": "Disclosure log entries",
    HISTORY_COUNT_KEY: "History entries of these records",
}


def record_kinds(counts: dict[str, int]) -> list[tuple[str, str, int]]:
    """(label, name, how many) for counts by `app.model` label: the family and its people first, then by name,
    with the history entries last."""

    def order(label: str) -> tuple:
        first = {"cases.family": 0, "cases.person": 1, HISTORY_COUNT_KEY: 3}
        return (first.get(label, 2), record_kind_label(label))

    return [(label, record_kind_label(label), counts[label]) for label in sorted(counts, key=order)]


def record_kind_label(label: str) -> str:
    """What to call a kind of record (a model's `app.model` label) on the review page and the tombstone."""
    if label in _KIND_LABELS:
        return _KIND_LABELS[label]
    try:
        model = apps.get_model(label)
    except (LookupError, ValueError):
        return label
    return str(model._meta.verbose_name_plural).capitalize()


def _family_steps(family: Family) -> list[tuple[type[models.Model], QuerySet]]:
    """The family's own records, referring records first. Each record with a `family` is found by it; the records
    under an episode, plan, meeting, intervention, note, contact, consent or assessment through their parent."""
    f = family
    document_requests = DocumentRequest.objects.filter(Q(family=f) | Q(document__families=f)).values("pk")
    return [
        (CaseAudit, CaseAudit.objects.filter(family=f)),
        (SupportingFamiliesNeed, SupportingFamiliesNeed.objects.filter(registration__family=f)),
        (SupportingFamiliesRegistration, SupportingFamiliesRegistration.objects.filter(family=f)),
        (DisclosureLog, DisclosureLog.objects.filter(family=f)),
        (Transfer, Transfer.objects.filter(family=f)),
        (Closure, Closure.objects.filter(family=f)),
        (SignpostedService, SignpostedService.objects.filter(decision__contact__family=f)),
        (MashDecision, MashDecision.objects.filter(contact__family=f)),
        (GoalScore, GoalScore.objects.filter(goal__plan__family=f)),
        (Action, Action.objects.filter(plan__family=f)),
        (Goal, Goal.objects.filter(plan__family=f)),
        (FamilyPlan, FamilyPlan.objects.filter(family=f)),
        (TafAttendance, TafAttendance.objects.filter(meeting__family=f)),
        (TafMeeting, TafMeeting.objects.filter(family=f)),
        (TafMember, TafMember.objects.filter(family=f)),
        (InterventionSession, InterventionSession.objects.filter(intervention__family=f)),
        (InterventionExtension, InterventionExtension.objects.filter(intervention__family=f)),
        (Intervention, Intervention.objects.filter(family=f)),
        (CaseNoteAmendment, CaseNoteAmendment.objects.filter(note__family=f)),
        (CaseNote, CaseNote.objects.filter(family=f)),
        (Task, Task.objects.filter(family=f)),
        (Episode, Episode.objects.filter(family=f)),
        (RagRating, RagRating.objects.filter(contact__family=f)),
        (ContactChild, ContactChild.objects.filter(contact__family=f)),
        (Contact, Contact.objects.filter(family=f)),
        (ConsentShare, ConsentShare.objects.filter(consent__family=f)),
        (ConsentSubject, ConsentSubject.objects.filter(consent__family=f)),
        (ConsentRecord, ConsentRecord.objects.filter(family=f)),
        (Need, Need.objects.filter(assessment__family=f)),
        (Scaling, Scaling.objects.filter(assessment__family=f)),
        (AssessmentSection, AssessmentSection.objects.filter(assessment__family=f)),
        (AssessmentSubject, AssessmentSubject.objects.filter(assessment__family=f)),
        (EarlyHelpAssessment, EarlyHelpAssessment.objects.filter(family=f)),
        (Document, Document.objects.filter(request__in=document_requests)),
        (DocumentRequest, DocumentRequest.objects.filter(pk__in=document_requests)),
        (FamilyUserObjectPermission, FamilyUserObjectPermission.objects.filter(content_object=f)),
        (ProfessionalInvolvement, ProfessionalInvolvement.objects.filter(family=f)),
        (Relationship, Relationship.objects.filter(family=f)),
        (FamilyMember, FamilyMember.objects.filter(family=f)),
    ]


# Records that belong to a person and go with them; any other record still referring to a person keeps them.
_PERSONS_OWN = {PersonAddress, ConcernFlag, Restriction}


def _people_referred_to_elsewhere(candidates: list[int], steps) -> set[int]:
    """Of `candidates`, the people a record outside the plan still refers to (a relationship or a case note in
    another family, a child named on a contact with no family): deleting them would delete or change that record,
    so they stay."""
    planned = dict(steps)
    kept: set[int] = set()
    for relation in Person._meta.get_fields(include_hidden=True):
        if not (relation.auto_created and not relation.concrete and (relation.one_to_many or relation.one_to_one)):
            continue
        model = relation.related_model
        if model in _PERSONS_OWN or relation.on_delete in (models.DO_NOTHING, models.SET_NULL):
            continue  # DO_NOTHING: a history table's copy of the key
        referring = model.objects.filter(**{f"{relation.field.name}__in": candidates})
        if model in planned:
            referring = referring.exclude(pk__in=planned[model].values("pk"))
        elif model._meta.auto_created:  # a many-to-many table: its other side decides (a case note's people)
            owner = next(f for f in model._meta.concrete_fields if f.is_relation and f.related_model is not Person)
            if owner.related_model in planned:
                referring = referring.exclude(**{f"{owner.name}__in": planned[owner.related_model].values("pk")})
        kept |= set(referring.values_list(relation.field.attname, flat=True))
    return kept


def family_disposal_plan(*, family: Family) -> DisposalPlan:
    """What disposing of `family`'s records deletes: the family's own records, the people who belong to no other
    family (with their addresses, concern flags, restrictions and subject access requests with their packs), the
    object permissions on them, and the notifications that name or link to them. People in another family stay;
    only their membership of this one goes.
    """
    steps = _family_steps(family)
    members = list(FamilyMember.objects.filter(family=family).values_list("person_id", flat=True))
    in_other_families = set(
        FamilyMember.objects.filter(person_id__in=members).exclude(family=family).values_list("person_id", flat=True)
    )
    candidates = [pk for pk in members if pk not in in_other_families]
    elsewhere = _people_referred_to_elsewhere(candidates, steps)
    disposed = [pk for pk in candidates if pk not in elsewhere]
    kept = sorted(in_other_families | (set(candidates) & elsewhere))
    # Subject access requests about the people who go (their packs hold copies of the records): before the
    # notifications, so those linking to a request go too, and before the people, so they are deleted, not unlinked.
    steps.append((SubjectAccessRequest, SubjectAccessRequest.objects.filter(person_id__in=disposed)))
    steps += [
        (Restriction, Restriction.objects.filter(Q(family=family) | Q(person_id__in=disposed))),
        (RetentionReview, RetentionReview.objects.filter(family=family)),
        (Notification, notifications_about(family=family, steps=steps, people=disposed)),
        (UserObjectPermission, _generic_permissions(UserObjectPermission, family=family, people=disposed)),
        (GroupObjectPermission, _generic_permissions(GroupObjectPermission, family=family, people=disposed)),
        (Family, Family.objects.filter(pk=family.pk)),
        (ConcernFlag, ConcernFlag.objects.filter(person_id__in=disposed)),
        (PersonAddress, PersonAddress.objects.filter(person_id__in=disposed)),
        (Person, Person.objects.filter(pk__in=disposed)),
    ]
    return DisposalPlan(family=family, steps=steps, people_disposed=disposed, people_kept=kept)


def _generic_permissions(model, *, family: Family, people: list[int]) -> QuerySet:
    """django-guardian's generic object permissions on the family or its people (the project keeps its own in
    direct tables; these are cleared in case one was ever given through the generic ones)."""
    family_type, person_type = ContentType.objects.get_for_models(Family, Person).values()
    return model.objects.filter(
        Q(content_type=family_type, object_pk=str(family.pk))
        | Q(content_type=person_type, object_pk__in=[str(pk) for pk in people])
    )


def notifications_about(*, family: Family, steps, people: list[int]) -> QuerySet[Notification]:
    """Notifications that link to the family, one of its records or one of the `people` disposed of with it, or
    give its reference or one of its contacts' references: they may carry a name, so they go with it."""
    uuids = [str(family.uuid), *(str(u) for u in Person.objects.filter(pk__in=people).values_list("uuid", flat=True))]
    for model, queryset in steps:
        if "uuid" in {f.name for f in model._meta.concrete_fields}:
            uuids += [str(u) for u in queryset.values_list("uuid", flat=True)]
    references = [family.reference, *Contact.objects.filter(family=family).values_list("reference", flat=True)]
    matches = [Q(url__contains=u) for u in uuids] + [Q(message__contains=r) for r in references]
    found: set[int] = set()
    for start in range(0, len(matches), _NOTIFICATION_MATCHES_PER_QUERY):
        chunk = Q()
        for match in matches[start : start + _NOTIFICATION_MATCHES_PER_QUERY]:
            chunk |= match
        found |= set(Notification.objects.filter(chunk).values_list("pk", flat=True))
    return Notification.objects.filter(pk__in=sorted(found))
