"""Reads for the Supporting Families programme: which registrations a user may see, why a family is not (yet)
eligible or claim ready, what to do next, and the quarterly return. Services refuse with the same words the pages
show."""

import re
from dataclasses import dataclass
from datetime import date

from django.contrib.auth.models import Permission
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from cases.models import Closure, Episode, FamilyPlan, Transfer
from cases.models.supporting_families import Headline, SupportingFamiliesNeed, SupportingFamiliesRegistration
from cases.selectors import families_visible_to
from earlyhelp.core.perms import MANAGE_SUPPORTING_FAMILIES, REGISTER_SUPPORTING_FAMILIES

Registration = SupportingFamiliesRegistration
Status = Registration.Status
# Needs (and their outcomes) can no longer change once the claim is validated or the registration has ended.
LOCKED = (Status.VALIDATED, *Registration.FINISHED)
# Whether a need lasted is recorded only after the family's early help closed.
AFTER_CLOSURE = (Status.CLOSED, Status.SUSTAINING, Status.CLAIM_READY)


def registrations_visible_to(user) -> QuerySet[Registration]:
    """Registrations of the families `user` may see; the Supporting Families officer (MANAGE) sees every one
    city-wide, except restricted families, which they see only when on the allow-list."""
    if not (user.is_authenticated and user.is_active):
        return Registration.objects.none()
    if not (user.has_perm(REGISTER_SUPPORTING_FAMILIES) or user.has_perm(MANAGE_SUPPORTING_FAMILIES)):
        return Registration.objects.none()
    visible = Q(family__in=families_visible_to(user))
    if user.has_perm(MANAGE_SUPPORTING_FAMILIES):
        visible |= Q(family__restricted=False)
    return Registration.objects.filter(visible)


def registration_get(*, user, uuid) -> Registration:
    """One registration `user` may see, or 404."""
    try:
        return (
            registrations_visible_to(user)
            .select_related("family", "family__local_area_team", "episode", "lead_practitioner")
            .get(uuid=uuid)
        )
    except (Registration.DoesNotExist, ValueError):
        raise Http404("No such registration") from None


def registration_page(*, user, uuid) -> Registration:
    """A registration with its needs and what the page shows, in a fixed number of queries."""
    try:
        registration = (
            registrations_visible_to(user)
            .select_related(
                "family",
                "family__local_area_team",
                "episode",
                "lead_practitioner",
                "assessment",
                "plan",
                "registered_by",
                "validated_by",
            )
            .get(uuid=uuid)
        )
    except (Registration.DoesNotExist, ValueError):
        raise Http404("No such registration") from None
    registration.need_list = list(registration.needs.select_related("recorded_by"))
    return registration


def need_get(*, user, uuid) -> SupportingFamiliesNeed:
    """One need of a registration `user` may see, or 404."""
    try:
        return (
            SupportingFamiliesNeed.objects.filter(registration__in=registrations_visible_to(user))
            .select_related("registration", "registration__family", "registration__family__local_area_team")
            .get(uuid=uuid)
        )
    except (SupportingFamiliesNeed.DoesNotExist, ValueError):
        raise Http404("No such need") from None


def registration_list(*, user, status: str = "") -> QuerySet[Registration]:
    """The officer's list: registrations `user` may see, with their team and how many headlines, newest first."""
    registrations = (
        registrations_visible_to(user)
        .select_related("family", "family__local_area_team", "episode")
        .annotate(headline_count=Count("needs"))
    )
    if status:
        registrations = registrations.filter(status=status)
    return registrations.order_by("-registered_on", "-id")


def registration_open_for(*, family) -> Registration | None:
    """The family's one registration that has not ended, if it has one."""
    return Registration.objects.filter(family=family).exclude(status__in=Registration.FINISHED).first()


def registrations_of_family(*, family) -> list[Registration]:
    return list(Registration.objects.filter(family=family).order_by("-registered_on", "-id"))


def lead_practitioner_choices(*, family) -> QuerySet:
    """People who could be the family's lead practitioner: those who led one of its episodes or are in its Team
    Around the Family."""
    from earlyhelp.accounts.models import User

    return (
        User.objects.filter(Q(episodes_led__family=family) | Q(taf_memberships__family=family), is_active=True)
        .distinct()
        .order_by("full_name")
    )


def assessment_choices(*, family) -> QuerySet:
    """The family's whole-family assessments that were authorised (the current one or an earlier one)."""
    from assessments.models import EarlyHelpAssessment

    done = (EarlyHelpAssessment.Status.AUTHORISED, EarlyHelpAssessment.Status.SUPERSEDED)
    return family.assessments.filter(status__in=done).order_by("-version")


def plan_choices(*, family) -> QuerySet[FamilyPlan]:
    """The family's agreed plans (the current one or an earlier one), with their episode."""
    agreed = (FamilyPlan.Status.AGREED, FamilyPlan.Status.SUPERSEDED)
    return FamilyPlan.objects.filter(family=family, status__in=agreed).select_related("episode").order_by("-agreed_on")


def headlines_of(needs) -> set[str]:
    return {need.headline for need in needs}


def eligibility_problems(registration: Registration, needs) -> list[str]:
    """Why the family is not eligible for the programme yet; empty when it is."""
    problems = []
    count = len(headlines_of(needs))
    if count < Registration.ELIGIBLE_HEADLINES:
        problems.append(
            f"Record needs under at least {Registration.ELIGIBLE_HEADLINES} headlines (there "
            f"{'is' if count == 1 else 'are'} {count})"
        )
    if registration.assessment_id is None:
        problems.append("Choose the family's whole-family assessment")
    if registration.plan_id is None:
        problems.append("Choose the family's plan")
    if registration.lead_practitioner_id is None:
        problems.append("Choose the family's lead practitioner")
    return problems


def working_problem(registration: Registration) -> str:
    """Why work with the family cannot be recorded as under way; empty when it can."""
    episode = registration.episode
    if episode is None:
        return "Choose the family's plan first: its episode of early help must be under way"
    if episode.status not in Episode.WORKING:
        return f"The family's early help is {episode.get_status_display().lower()}, not under way"
    return ""


def claim_ready_problems(registration: Registration, needs) -> list[str]:
    """Why the claim is not ready: every need resolved and still resolved when checked on or after the date six
    months after closure. Empty when it is ready."""
    needs = list(needs)
    if not needs:
        return ["Record the family's needs"]
    until = registration.sustain_until
    problems = []
    for need in needs:
        name = need.get_headline_display()
        if need.achieved_on is None:
            problems.append(f"{name}: record when the need was resolved")
        elif need.sustained is not True:
            problems.append(f"{name}: record that the outcome lasted")
        elif until is None or need.sustained_checked_on is None or need.sustained_checked_on < until:
            problems.append(f"{name}: check again on or after {until:%-d %B %Y}" if until else f"{name}: not checked")
    return problems


# --- Consent to data matching, the end of early help, and who may validate ------------------------------------------

DATA_MATCHING_MISSING = (
    "The family has not given consent to Supporting Families data matching. Ask the family, record their consent "
    "with Supporting Families data matching ticked (Consent on the family's page), then try again"
)


def data_matching_consent(*, family):
    """The family's current consent (given, not withdrawn, expired or refused) that covers Supporting Families data
    matching, or None. A safeguarding override dispenses with consent to share, not to data matching."""
    from consent.models import ConsentRecord

    return (
        ConsentRecord.objects.filter(family=family, status=ConsentRecord.Status.GIVEN, data_matching=True)
        .order_by("-obtained_on", "-id")
        .first()
    )


def families_with_data_matching_consent() -> QuerySet:
    """Ids of families whose current consent covers data matching (one query, for the return)."""
    from consent.models import ConsentRecord

    return ConsentRecord.objects.filter(status=ConsentRecord.Status.GIVEN, data_matching=True).values_list(
        "family_id", flat=True
    )


EPISODE_ENDED = (Episode.Status.CLOSED, Episode.Status.STEPPED_UP, Episode.Status.TRANSFERRED_OUT)


def episode_ended_on(episode: Episode | None) -> date | None:
    """When the episode of early help ended: its approved closure's decision, its step-up, or (transferred out) when
    it closed. None while it is still open (or was never ended)."""
    if episode is None or episode.status not in EPISODE_ENDED:
        return None
    ended_at = None
    if episode.status == Episode.Status.CLOSED:
        closure = (
            Closure.objects.filter(episode=episode, status=Closure.Status.APPROVED, decided_at__isnull=False)
            .order_by("-decided_at")
            .first()
        )
        ended_at = closure.decided_at if closure else episode.closed_at
    elif episode.status == Episode.Status.STEPPED_UP:
        transfer = (
            Transfer.objects.filter(episode=episode, direction=Transfer.Direction.STEP_UP)
            .order_by("-created_at")
            .first()
        )
        ended_at = transfer.created_at if transfer else episode.closed_at
    ended_at = ended_at or episode.closed_at or episode.updated_at
    return timezone.localdate(ended_at)


def closed_problem(registration: Registration) -> str:
    """Why the registration cannot be recorded as closed: its episode of early help has not ended. Empty when it
    has."""
    episode = registration.episode
    if episode is None:
        return "Choose the family's plan first: the registration has no episode of early help"
    if episode.status not in EPISODE_ENDED:
        return (
            f"The family's early help is {episode.get_status_display().lower()}. Record that early help closed once "
            "the episode has been closed, stepped up or transferred out"
        )
    return ""


def claim_ready_mover_id(registration: Registration) -> int | None:
    """Who last moved the registration to claim ready, from its history."""
    mover, previous = None, None
    for status, user_id in registration.history.order_by("history_date", "history_id").values_list(
        "status", "history_user_id"
    ):
        if status == Status.CLAIM_READY and previous != Status.CLAIM_READY:
            mover = user_id
        previous = status
    return mover


def sustainment_recorder_ids(registration: Registration) -> set[int]:
    """Everyone who recorded whether one of the registration's needs lasted (or when it was checked), from the
    needs' history."""
    rows = (
        SupportingFamiliesNeed.history.filter(registration_id=registration.pk)
        .order_by("id", "history_date", "history_id")
        .values_list("id", "sustained", "sustained_checked_on", "history_user_id")
    )
    recorders, last = set(), {}
    for need_id, sustained, checked_on, user_id in rows:
        before = last.get(need_id, (None, None))
        if (sustained, checked_on) != before and user_id is not None:
            recorders.add(user_id)
        last[need_id] = (sustained, checked_on)
    return recorders


def validation_problem(registration: Registration, *, user) -> str:
    """Why `user` may not validate the claim: a second person must, not whoever registered the family, moved it to
    claim ready or recorded that an outcome lasted. Empty when they may."""
    if registration.registered_by_id == user.pk:
        return "Someone other than the person who registered the family must validate the claim"
    if claim_ready_mover_id(registration) == user.pk:
        return "Someone other than the person who marked the claim ready must validate it"
    if user.pk in sustainment_recorder_ids(registration):
        return "Someone other than the person who recorded that the outcomes lasted must validate the claim"
    return ""


def not_achieved_problem(needs) -> str:
    """An outcome is not achieved when a need was never resolved or did not last; empty when one such need exists."""
    if any(need.achieved_on is None or need.sustained is False for need in needs):
        return ""
    return "Every need recorded was resolved and none is recorded as not lasting, so the outcome can still be achieved"


def next_step(registration: Registration, needs=None, *, today: date | None = None) -> str:
    """What the programme needs next, from the registration's real state and the same rules the services apply: its
    needs (or, on the list, its `headline_count`), its episode and its dates. No queries when the episode is loaded."""
    today = today or timezone.localdate()
    status = registration.status
    episode = registration.episode
    if status == Status.IDENTIFIED:
        problems = _eligibility_problems_counted(registration, needs)
        return f"{'. '.join(problems)}; then mark as eligible" if problems else "Mark as eligible"
    if status == Status.ELIGIBLE:
        if episode is not None and episode.status in Episode.WORKING:
            return "Mark as working with the family"
        if episode is not None and episode.status in EPISODE_ENDED:
            return "The family's early help has ended: withdraw the registration or choose a plan under way"
        return "Wait for the family's early help to be under way; then mark as working with the family"
    if status == Status.WORKING:
        if episode is not None and episode.status in EPISODE_ENDED:
            return "Record that early help closed"
        return "Wait for the early help to end; then record that it closed"
    if status == Status.CLOSED:
        return "Nothing: the six months of sustainment start overnight"
    if status == Status.SUSTAINING:
        until = registration.sustain_until
        if until is not None and until > today:
            return f"Check the outcomes lasted on or after {until:%-d %B %Y}"
        if needs is not None and not claim_ready_problems(registration, needs):
            return "Mark as claim ready"
        return "Check the outcomes lasted; then mark as claim ready"
    if status == Status.CLAIM_READY:
        return "Validate the claim (someone who took no part)"
    if status == Status.VALIDATED:
        return "Record the claim reference"
    return "None: the registration has ended"


def _eligibility_problems_counted(registration: Registration, needs) -> list[str]:
    if needs is not None:
        return eligibility_problems(registration, needs)
    count = getattr(registration, "headline_count", 0)
    return eligibility_problems(registration, [SupportingFamiliesNeed(headline=str(n)) for n in range(count)])


def sf_officers() -> QuerySet:
    """Active people holding the permission to manage Supporting Families (the officers), told when to check."""
    from earlyhelp.accounts.models import User

    app_label, codename = MANAGE_SUPPORTING_FAMILIES.split(".")
    permission = Permission.objects.get(content_type__app_label=app_label, codename=codename)
    return (
        User.objects.filter(Q(groups__permissions=permission) | Q(user_permissions=permission), is_active=True)
        .distinct()
        .order_by("full_name")
    )


def registrations_closed() -> QuerySet[Registration]:
    """Closed registrations: the daily sweep starts their sustainment period."""
    return Registration.objects.filter(status=Status.CLOSED)


def registrations_sustain_due(*, today: date) -> QuerySet[Registration]:
    """Sustaining registrations whose six months after closure have run out: time to check the outcomes lasted."""
    return Registration.objects.filter(status=Status.SUSTAINING, sustain_until__lte=today).select_related("family")


# --- The quarterly return ----------------------------------------------------------------------------------------

QUARTER_PATTERN = re.compile(r"^(\d{4})-Q([1-4])$")


@dataclass(frozen=True)
class Quarter:
    year: int
    number: int

    @classmethod
    def parse(cls, text: str) -> "Quarter | None":
        """A quarter written like 2026-Q3 (July to September 2026), or None."""
        match = QUARTER_PATTERN.match(text or "")
        return cls(int(match[1]), int(match[2])) if match else None

    @classmethod
    def containing(cls, day: date) -> "Quarter":
        return cls(day.year, (day.month - 1) // 3 + 1)

    @property
    def start(self) -> date:
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def end(self) -> date:
        from cases.selectors.episodes import add_months

        return date.fromordinal(add_months(self.start, 3).toordinal() - 1)

    def __str__(self) -> str:
        return f"{self.year}-Q{self.number}"


RETURN_HEADER = (
    "Family reference",
    "Local Area Team",
    "Registered on",
    "Status",
    "Headlines",
    "Headline count",
    "Eligible",
    "Closed on",
    "Sustain until",
    "Needs resolved",
    "Needs sustained",
    "Validated on",
    "Claimed on",
    "Claim reference",
    "Consent to data matching",
)


def quarterly_return_registrations(*, quarter: Quarter) -> QuerySet[Registration]:
    """Every registration open at some time in the quarter, restricted families included (the return names no one,
    so whoever downloads it gets the same return): registered by its end, and not ended before it began (an ended
    one counts while its last change or claim falls in or after the quarter)."""
    ended_before = Q(status__in=Registration.FINISHED, updated_at__date__lt=quarter.start) & (
        Q(claimed_on__isnull=True) | Q(claimed_on__lt=quarter.start)
    )
    from consent.models import ConsentRecord

    consent = ConsentRecord.objects.filter(
        family=OuterRef("family"), status=ConsentRecord.Status.GIVEN, data_matching=True
    )
    return (
        Registration.objects.filter(registered_on__lte=quarter.end)
        .exclude(ended_before)
        .annotate(data_matching_consent=Exists(consent))
        .select_related("family__local_area_team")
        .prefetch_related("needs")
        .order_by("family__reference", "registered_on")
    )


def quarterly_return_rows(*, quarter: Quarter) -> list[tuple]:
    """The return's rows, one per registration, by family reference: no name of anyone."""
    rows = []
    for registration in quarterly_return_registrations(quarter=quarter):
        needs = list(registration.needs.all())
        headlines = sorted(headlines_of(needs))
        rows.append(
            (
                registration.family.reference,
                registration.family.local_area_team.name,
                registration.registered_on.isoformat(),
                registration.get_status_display(),
                "; ".join(Headline(h).label for h in headlines),
                len(headlines),
                "Yes" if not eligibility_problems(registration, needs) else "No",
                _iso(registration.closed_on),
                _iso(registration.sustain_until),
                sum(need.achieved_on is not None for need in needs),
                sum(need.sustained is True for need in needs),
                _iso(registration.validated_on),
                _iso(registration.claimed_on),
                registration.claim_reference,
                "Yes" if registration.data_matching_consent else "No",
            )
        )
    return rows


def _iso(day: date | None) -> str:
    return day.isoformat() if day else ""
