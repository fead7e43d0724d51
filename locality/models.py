"""York's Local Area Teams, the wards and postcode sectors they cover, agencies and teams."""

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from simple_history.models import HistoricalRecords

from earlyhelp.core.models import DomainModel
from earlyhelp.core.perms import ROLES


class LocalAreaTeam(DomainModel):
    """One of the council's Local Area Teams, based at a children's centre."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=50, unique=True)
    base = models.CharField(max_length=200, help_text="Where the team is based")
    group = models.OneToOneField(Group, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["name"]
        permissions = [("view_team_cases", "Can see the families of this Local Area Team")]

    def __str__(self) -> str:
        return self.name


class LocalAreaTeamUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(LocalAreaTeam, on_delete=models.CASCADE)
    history = HistoricalRecords()


class LocalAreaTeamGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(LocalAreaTeam, on_delete=models.CASCADE)
    history = HistoricalRecords()


class Ward(DomainModel):
    name = models.CharField(max_length=100, unique=True)
    local_area_team = models.ForeignKey(LocalAreaTeam, on_delete=models.PROTECT, related_name="wards")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PostcodeSector(DomainModel):
    """A postcode district ('YO31') or sector ('YO31 0') and the team that covers it."""

    code = models.CharField(max_length=8, unique=True, help_text="District like YO31 or sector like YO31 0")
    local_area_team = models.ForeignKey(LocalAreaTeam, on_delete=models.PROTECT, related_name="postcode_sectors")

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class Agency(DomainModel):
    class Type(models.TextChoices):
        SCHOOL = "school", "School"
        EARLY_YEARS = "early_years", "Early years"
        HEALTH = "health", "Health"
        GP = "gp", "GP practice"
        POLICE = "police", "Police"
        HOUSING = "housing", "Housing"
        LOCAL_AUTHORITY = "local_authority", "Local authority"
        VOLUNTARY = "voluntary", "Voluntary sector"

    name = models.CharField(max_length=200, unique=True)
    type = models.CharField(max_length=20, choices=Type.choices)
    code = models.CharField(max_length=20, blank=True, help_text="School URN, ODS code or similar")
    local_area_team = models.ForeignKey(
        LocalAreaTeam, null=True, blank=True, on_delete=models.SET_NULL, related_name="agencies"
    )

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "agencies"

    def __str__(self) -> str:
        return self.name


class Team(DomainModel):
    """A team within an agency. A team attached to a Local Area Team sees that team's families."""

    name = models.CharField(max_length=200)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="teams")
    local_area_team = models.ForeignKey(
        LocalAreaTeam, null=True, blank=True, on_delete=models.PROTECT, related_name="teams"
    )

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["agency", "name"], name="team_unique_per_agency")]

    def __str__(self) -> str:
        return f"{self.name} ({self.agency})"


class Membership(DomainModel):
    """A user's place in a team, with the role they hold there (a key of the role registry)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(max_length=40, choices=[(r.slug, r.name) for r in ROLES.values()])

    class Meta:
        ordering = ["team__name"]
        constraints = [models.UniqueConstraint(fields=["user", "team", "role"], name="membership_unique")]

    def __str__(self) -> str:
        return f"{self.user} in {self.team} as {self.role}"


class NeedCategory(DomainModel):
    """A kind of need a service helps with: the Supporting Families headlines, and any the partnership adds."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "need categories"

    def __str__(self) -> str:
        return self.name


class Service(DomainModel):
    """A local service or community resource that practitioners and the MASH can signpost families to."""

    AGE_MAX = 25

    name = models.CharField(max_length=200, unique=True)
    provider = models.CharField(max_length=200, blank=True, help_text="Who runs it")
    description = models.TextField()
    how_to_access = models.TextField(help_text="How a family or practitioner gets help: self-referral, a form...")
    telephone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    website = models.URLField(blank=True)
    # Through models of their own, so changes to coverage and categories keep their history too.
    local_area_teams = models.ManyToManyField(
        LocalAreaTeam, through="ServiceArea", related_name="services", verbose_name="Local Area Teams covered"
    )
    need_categories = models.ManyToManyField(NeedCategory, through="ServiceNeed", related_name="services")
    age_from = models.PositiveSmallIntegerField(default=0, help_text="Youngest age served, in years")
    age_to = models.PositiveSmallIntegerField(
        default=19, help_text="Oldest age served, in years (25 with a disability)"
    )
    active = models.BooleanField(default=True, help_text="Untick when the service closes; past signposting keeps it")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(age_from__lte=models.F("age_to")),
                name="service_age_range",
                violation_error_message="The youngest age must not be above the oldest age",
            ),
            models.CheckConstraint(condition=models.Q(age_to__lte=25), name="service_age_to_max"),
        ]

    def __str__(self) -> str:
        return self.name


class ServiceArea(DomainModel):
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="areas")
    local_area_team = models.ForeignKey(LocalAreaTeam, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["service", "local_area_team"], name="service_area_unique")]

    def __str__(self) -> str:
        return f"{self.service} in {self.local_area_team}"


class ServiceNeed(DomainModel):
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="needs")
    need_category = models.ForeignKey(NeedCategory, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["service", "need_category"], name="service_need_unique")]

    def __str__(self) -> str:
        return f"{self.service}: {self.need_category}"


class EarlyHelpChampion(DomainModel):
    """A named contact in a partner agency who promotes early help there and answers colleagues' questions."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="champions")
    name = models.CharField(max_length=150)
    job_title = models.CharField(max_length=150, blank=True)
    email = models.EmailField(blank=True)
    telephone = models.CharField(max_length=40, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["agency__name", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.agency})"
