"""Reads for the Supporting Families programme: which registrations a user may see, why a family is not (yet)
eligible or claim ready, what to do next, and the quarterly return. Services refuse with the same words the pages
show."""

import re
from dataclasses import dataclass
from datetime import date

from django.contrib.auth.models import Permission
from django.db.models import Count, Q, QuerySet
from django.http import Http404

from cases.models import Episode, FamilyPlan
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
        .select_related("family", "family__local_area_team")
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


def not_achieved_problem(needs) -> str:
    """An outcome is not achieved when a need was never resolved or did not last; empty when one such need exists."""
    if any(need.achieved_on is None or need.sustained is False for need in needs):
        return ""
    return "Every need recorded was resolved and none is recorded as not lasting, so the outcome can still be achieved"


def next_step(registration: Registration) -> str:
    """What the programme needs next, in a few words, from the registration's own fields (no queries)."""
    steps = {
        Status.IDENTIFIED: "Record needs, assessment, plan and lead; then mark eligible",
        Status.ELIGIBLE: "Mark as working with the family",
        Status.WORKING: "Mark closed when early help closes",
        Status.CLOSED: "Sustainment check starts",
        Status.CLAIM_READY: "Validate the claim (a second person)",
        Status.VALIDATED: "Record the claim",
    }
    if registration.status == Status.SUSTAINING:
        until = registration.sustain_until
        return f"Check outcomes lasted on or after {until:%-d %b %Y}" if until else "Check outcomes lasted"
    return steps.get(registration.status, "None")


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
)


def quarterly_return_registrations(*, user, quarter: Quarter) -> QuerySet[Registration]:
    """Registrations open at some time in the quarter: registered by its end, and not ended before it began (an
    ended one counts while its last change or claim falls in or after the quarter)."""
    ended_before = Q(status__in=Registration.FINISHED, updated_at__date__lt=quarter.start) & (
        Q(claimed_on__isnull=True) | Q(claimed_on__lt=quarter.start)
    )
    return (
        registrations_visible_to(user)
        .filter(registered_on__lte=quarter.end)
        .exclude(ended_before)
        .select_related("family__local_area_team")
        .prefetch_related("needs")
        .order_by("family__reference", "registered_on")
    )


def quarterly_return_rows(*, user, quarter: Quarter) -> list[tuple]:
    """The return's rows, one per registration, by family reference: no name of anyone."""
    rows = []
    for registration in quarterly_return_registrations(user=user, quarter=quarter):
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
            )
        )
    return rows


def _iso(day: date | None) -> str:
    return day.isoformat() if day else ""
