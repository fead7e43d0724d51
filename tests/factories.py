"""factory_boy factories for every model. People and places are synthetic."""

from datetime import date, timedelta

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from assessments.models import AssessmentSection, EarlyHelpAssessment, Need, Scaling
from cases.models import (
    Action,
    CaseNote,
    CaseNoteAmendment,
    Closure,
    Episode,
    Family,
    FamilyMember,
    FamilyPlan,
    Goal,
    GoalScore,
    Intervention,
    InterventionExtension,
    InterventionSession,
    Person,
    PersonAddress,
    ProfessionalInvolvement,
    Relationship,
    TafAttendance,
    TafMeeting,
    TafMember,
    Task,
)
from consent.models import ConsentRecord, ConsentShare, ConsentSubject, DisclosureLog, LawfulBasis, PrivacyNotice
from earlyhelp.accounts.models import Notification, User
from locality.models import (
    Agency,
    EarlyHelpChampion,
    LocalAreaTeam,
    Membership,
    NeedCategory,
    PostcodeSector,
    Service,
    ServiceArea,
    ServiceNeed,
    Team,
    Ward,
)
from referrals.models import ConcernFlag, Contact, ContactChild

PASSWORD = "a-long-test-passphrase-42"


class LocalAreaTeamFactory(DjangoModelFactory):
    class Meta:
        model = LocalAreaTeam
        django_get_or_create = ("slug",)

    slug = "tang-hall"
    name = factory.LazyAttribute(lambda o: o.slug.replace("-", " ").title())
    base = factory.LazyAttribute(lambda o: f"{o.name} Children's Centre")


class WardFactory(DjangoModelFactory):
    class Meta:
        model = Ward
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Ward {n}")
    local_area_team = factory.SubFactory(LocalAreaTeamFactory)


class PostcodeSectorFactory(DjangoModelFactory):
    class Meta:
        model = PostcodeSector
        django_get_or_create = ("code",)

    code = "YO31"
    local_area_team = factory.SubFactory(LocalAreaTeamFactory)


class AgencyFactory(DjangoModelFactory):
    class Meta:
        model = Agency
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Test Agency {n}")
    type = Agency.Type.LOCAL_AUTHORITY


class TeamFactory(DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("agency", "name")

    name = factory.Sequence(lambda n: f"Team {n}")
    agency = factory.SubFactory(AgencyFactory)
    local_area_team = None


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    full_name = factory.Sequence(lambda n: f"Test User {n}")
    job_title = "Practitioner"
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    team = factory.SubFactory(TeamFactory)
    role = "cfs_worker"


class FamilyFactory(DjangoModelFactory):
    class Meta:
        model = Family

    reference = factory.Sequence(lambda n: f"EH-T{n:07d}")
    name = factory.Faker("last_name", locale="en_GB")
    local_area_team = factory.SubFactory(LocalAreaTeamFactory)
    address_line_1 = factory.Sequence(lambda n: f"{n % 200 + 1} Example Street")
    town = "York"
    postcode = "YO31 1AA"


class PersonFactory(DjangoModelFactory):
    class Meta:
        model = Person

    first_name = factory.Faker("first_name", locale="en_GB")
    last_name = factory.Faker("last_name", locale="en_GB")
    date_of_birth = date(2015, 3, 2)
    sex = "female"


class FamilyMemberFactory(DjangoModelFactory):
    class Meta:
        model = FamilyMember

    family = factory.SubFactory(FamilyFactory)
    person = factory.SubFactory(PersonFactory)
    role = FamilyMember.Role.CHILD


class RelationshipFactory(DjangoModelFactory):
    class Meta:
        model = Relationship

    family = factory.SubFactory(FamilyFactory)
    person = factory.SubFactory(PersonFactory)
    relative = factory.SubFactory(PersonFactory)
    kind = Relationship.Kind.MOTHER


class PersonAddressFactory(DjangoModelFactory):
    class Meta:
        model = PersonAddress

    person = factory.SubFactory(PersonFactory)
    address_line_1 = "1 Example Street"
    postcode = "YO31 1AA"


class ProfessionalInvolvementFactory(DjangoModelFactory):
    class Meta:
        model = ProfessionalInvolvement

    family = factory.SubFactory(FamilyFactory)
    agency = factory.SubFactory(AgencyFactory)
    practitioner_name = "Pat Example"


class TaskFactory(DjangoModelFactory):
    class Meta:
        model = Task

    family = factory.SubFactory(FamilyFactory)
    title = "Review the plan"
    assigned_to = factory.SubFactory(UserFactory)
    due_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=5))


class PrivacyNoticeFactory(DjangoModelFactory):
    class Meta:
        model = PrivacyNotice
        django_get_or_create = ("version",)

    version = factory.Sequence(lambda n: f"test-{n}")
    text = "How we use your information (test notice)."
    effective_from = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=30))


class LawfulBasisFactory(DjangoModelFactory):
    class Meta:
        model = LawfulBasis
        django_get_or_create = ("record_type",)

    record_type = "early_help_record"
    article_6 = "UK GDPR Article 6(1)(e)"
    article_9 = "UK GDPR Article 9(2)(g)"


class ConsentRecordFactory(DjangoModelFactory):
    """Consent asked for but not yet answered: it changes no one's access until a decision is recorded."""

    class Meta:
        model = ConsentRecord

    family = factory.SubFactory(FamilyFactory)
    status = ConsentRecord.Status.REQUESTED
    giver_kind = ConsentRecord.GiverKind.PARENTAL_RESPONSIBILITY
    engage = True
    store = True
    method = ConsentRecord.Method.WRITTEN
    obtained_by = factory.SubFactory(UserFactory)
    review_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=365))


class ConsentSubjectFactory(DjangoModelFactory):
    class Meta:
        model = ConsentSubject

    consent = factory.SubFactory(ConsentRecordFactory)
    person = factory.SubFactory(PersonFactory)


class ConsentShareFactory(DjangoModelFactory):
    class Meta:
        model = ConsentShare

    consent = factory.SubFactory(ConsentRecordFactory)
    agency = factory.SubFactory(AgencyFactory)


class DisclosureLogFactory(DjangoModelFactory):
    class Meta:
        model = DisclosureLog

    family = factory.SubFactory(FamilyFactory)
    what = "Access to the family record"
    basis = DisclosureLog.Basis.CONSENT
    consent = factory.SubFactory(ConsentRecordFactory)
    disclosed_by = factory.SubFactory(UserFactory)


class AssessmentFactory(DjangoModelFactory):
    class Meta:
        model = EarlyHelpAssessment

    family = factory.SubFactory(FamilyFactory)
    version = factory.Sequence(lambda n: n + 1)
    assessor = factory.SubFactory(UserFactory)


class AssessmentSectionFactory(DjangoModelFactory):
    class Meta:
        model = AssessmentSection

    assessment = factory.SubFactory(AssessmentFactory)
    key = "reason"
    position = 1


class ScalingFactory(DjangoModelFactory):
    class Meta:
        model = Scaling

    assessment = factory.SubFactory(AssessmentFactory)
    score = 5


class NeedFactory(DjangoModelFactory):
    class Meta:
        model = Need

    assessment = factory.SubFactory(AssessmentFactory)
    headline = "housing"
    description = "Rent arrears and a risk of eviction"


class NotificationFactory(DjangoModelFactory):
    class Meta:
        model = Notification

    user = factory.SubFactory(UserFactory)
    message = "Something needs your attention"


class NeedCategoryFactory(DjangoModelFactory):
    """The migration creates the usual categories, so a known code returns the existing row."""

    class Meta:
        model = NeedCategory
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"test_need_{n}")
    name = factory.LazyAttribute(lambda o: o.code.replace("_", " ").capitalize())


class ServiceFactory(DjangoModelFactory):
    """A directory service. Pass `local_area_teams=[...]` and `need_categories=[...]` to link it."""

    class Meta:
        model = Service
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Test Service {n:03d}")
    provider = "Test Provider"
    description = "Support for families, made up for a test."
    how_to_access = "Drop in; no referral needed."
    telephone = "01904 000 000"
    email = factory.Sequence(lambda n: f"service{n}@example.org")
    age_from = 0
    age_to = 19

    @factory.post_generation
    def local_area_teams(obj, create, extracted, **kwargs):
        if create and extracted:
            for team in extracted:
                ServiceArea.objects.create(service=obj, local_area_team=team)

    @factory.post_generation
    def need_categories(obj, create, extracted, **kwargs):
        if create and extracted:
            for category in extracted:
                ServiceNeed.objects.create(service=obj, need_category=category)


class EarlyHelpChampionFactory(DjangoModelFactory):
    class Meta:
        model = EarlyHelpChampion

    agency = factory.SubFactory(AgencyFactory)
    name = factory.Faker("name", locale="en_GB")
    job_title = "Designated safeguarding lead"
    email = factory.Sequence(lambda n: f"champion{n}@example.org")
    telephone = "01904 000 100"


class ContactFactory(DjangoModelFactory):
    """A practitioner's contact about a Tang Hall family, received and not yet screened. Add the children
    with ContactChildFactory."""

    class Meta:
        model = Contact

    reference = factory.Sequence(lambda n: f"MC-T{n:07d}")
    family = factory.SubFactory(FamilyFactory)
    postcode = factory.SelfAttribute("family.postcode")
    local_area_team = factory.SelfAttribute("family.local_area_team")
    channel = Contact.Channel.ONLINE
    referrer_kind = Contact.ReferrerKind.PRACTITIONER
    referrer_user = factory.SubFactory(UserFactory)
    source = "2A"
    concern = "Attendance has dropped and the children arrive hungry (test concern)."
    family_aware = Contact.FamilyAware.YES
    consent_status = Contact.ConsentStatus.GIVEN
    due_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=1))
    recorded_by = factory.SelfAttribute("referrer_user")


class ContactChildFactory(DjangoModelFactory):
    class Meta:
        model = ContactChild

    contact = factory.SubFactory(ContactFactory)
    person = factory.SubFactory(PersonFactory)


class EpisodeFactory(DjangoModelFactory):
    class Meta:
        model = Episode

    family = factory.SubFactory(FamilyFactory)
    local_area_team = factory.SelfAttribute("family.local_area_team")
    route = Episode.Route.MASH
    pathway = Episode.Pathway.TARGETED
    level = 3


class ConcernFlagFactory(DjangoModelFactory):
    class Meta:
        model = ConcernFlag

    person = factory.SubFactory(PersonFactory)
    agency = factory.SubFactory(AgencyFactory)
    category = ConcernFlag.Category.ATTENDANCE
    raised_by = factory.SubFactory(UserFactory)


class AllocatedEpisodeFactory(EpisodeFactory):
    """An episode a worker is leading."""

    status = Episode.Status.PLAN_ACTIVE
    lead_practitioner = factory.SubFactory(UserFactory)
    allocated_at = factory.LazyFunction(timezone.now)


class FamilyPlanFactory(DjangoModelFactory):
    class Meta:
        model = FamilyPlan

    episode = factory.SubFactory(AllocatedEpisodeFactory)
    family = factory.SelfAttribute("episode.family")
    created_by = factory.SubFactory(UserFactory)
    summary = "Steady routines at home and school every day"


class GoalFactory(DjangoModelFactory):
    class Meta:
        model = Goal

    plan = factory.SubFactory(FamilyPlanFactory)
    text = "Every morning the children are up, dressed and at school by 8:50 within six weeks"
    baseline = 3
    target = 8
    latest = 3


class GoalScoreFactory(DjangoModelFactory):
    class Meta:
        model = GoalScore

    goal = factory.SubFactory(GoalFactory)
    score = 5
    recorded_by = factory.SubFactory(UserFactory)


class ActionFactory(DjangoModelFactory):
    class Meta:
        model = Action

    plan = factory.SubFactory(FamilyPlanFactory)
    what = "Agree a morning routine chart with the family"
    owner_user = factory.SubFactory(UserFactory)
    due_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=14))


class TafMemberFactory(DjangoModelFactory):
    class Meta:
        model = TafMember

    episode = factory.SubFactory(AllocatedEpisodeFactory)
    family = factory.SelfAttribute("episode.family")
    user = factory.SubFactory(UserFactory)
    role = "Class teacher"
    invited_by = factory.SubFactory(UserFactory)


class TafMeetingFactory(DjangoModelFactory):
    class Meta:
        model = TafMeeting

    episode = factory.SubFactory(AllocatedEpisodeFactory)
    family = factory.SelfAttribute("episode.family")
    kind = TafMeeting.Kind.REVIEW
    due_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=14))


class TafAttendanceFactory(DjangoModelFactory):
    class Meta:
        model = TafAttendance

    meeting = factory.SubFactory(TafMeetingFactory)
    name = "A relative"


class InterventionFactory(DjangoModelFactory):
    class Meta:
        model = Intervention

    episode = factory.SubFactory(AllocatedEpisodeFactory)
    family = factory.SelfAttribute("episode.family")
    worker = factory.SubFactory(UserFactory)
    kind = Intervention.Kind.ROUTINES
    started_on = factory.LazyFunction(timezone.localdate)
    planned_end_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(weeks=8))


class InterventionSessionFactory(DjangoModelFactory):
    class Meta:
        model = InterventionSession

    intervention = factory.SubFactory(InterventionFactory)
    held_on = factory.LazyFunction(timezone.localdate)
    kind = InterventionSession.Kind.HOME_VISIT
    notes = "Worked on the bedtime routine together"
    recorded_by = factory.SubFactory(UserFactory)


class InterventionExtensionFactory(DjangoModelFactory):
    class Meta:
        model = InterventionExtension

    intervention = factory.SubFactory(InterventionFactory)
    new_end_on = factory.LazyAttribute(lambda o: o.intervention.started_on + timedelta(weeks=14))
    reason = "The family needs two more weeks to settle the new routine"
    requested_by = factory.SubFactory(UserFactory)


class CaseNoteFactory(DjangoModelFactory):
    class Meta:
        model = CaseNote

    family = factory.SubFactory(FamilyFactory)
    kind = CaseNote.Kind.HOME_VISIT
    happened_on = factory.LazyFunction(timezone.localdate)
    text = "Visited the family at home; the children were settled"
    author = factory.SubFactory(UserFactory)


class CaseNoteAmendmentFactory(DjangoModelFactory):
    class Meta:
        model = CaseNoteAmendment

    note = factory.SubFactory(CaseNoteFactory)
    text = "The visit was in the afternoon, not the morning"
    reason = "Time recorded wrongly"
    author = factory.SubFactory(UserFactory)


class ClosureFactory(DjangoModelFactory):
    class Meta:
        model = Closure

    episode = factory.SubFactory(AllocatedEpisodeFactory, status=Episode.Status.CLOSING)
    family = factory.SelfAttribute("episode.family")
    reason = Closure.Reason.OUTCOMES_ACHIEVED
    summary = "Routines are steady and the children are in school every day"
    requested_by = factory.SubFactory(UserFactory)
