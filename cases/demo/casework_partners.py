"""Who works with the demo families besides their Local Area Team: partner-led episodes (a school or health
visiting leads), multi-agency Teams Around the Family, and the Early Help Assessment each episode is built on,
completed by the council or by a partner agency. Decided per chunk of episodes, with a bounded number of queries
(consent is read once a chunk, partner grants written in bulk)."""

import random
from datetime import date, timedelta

from django.contrib.auth.models import Permission

from assessments.models import AssessmentSubject, EarlyHelpAssessment
from cases.demo.casework_parts import ASSESSING, WITH_PLAN
from cases.demo.staff import demo_email
from cases.models import Episode, FamilyMember, FamilyUserObjectPermission
from consent.models import ConsentRecord
from consent.selectors import _covering
from earlyhelp.core.bulk import bulk_insert_with_history
from earlyhelp.core.perms import ACCESS_FAMILY
from earlyhelp.core.working_time import working_day_on_or_before

PARTNER_LED = 0.2  # of the episodes after each team's first ones, where a partner agency can lead
MULTI_AGENCY = 0.7  # of the episodes with a plan, whose Team Around the Family has two agencies or more
PARTNER_ASSESSED = 0.35  # of the targeted episodes from a partner, assessed by that partner before the request
COUNCIL = "City of York Council"


class Partners:
    """The demo's partner practitioners and what each chunk's consent lets them see."""

    def __init__(self, *, rng: random.Random, users: dict, agencies: dict) -> None:
        self.rng = rng
        self.school_lead = users[demo_email("lead.school")]
        self.school = users[demo_email("partner.school")]
        self.health = users[demo_email("partner.health")]
        self.council = agencies[COUNCIL]
        self.covered: dict[int, set[int]] = {}
        self.grants: set[tuple[int, int]] = set()

    def chunk_start(self, family_ids: list[int]) -> None:
        """Read once which families' consent covers each partner agency."""
        self.covered = {
            agency.pk: set(
                ConsentRecord.objects.filter(family_id__in=family_ids)
                .filter(_covering(agency.pk, agency.type))
                .values_list("family_id", flat=True)
            )
            for agency in (self.school.agency, self.health.agency)
        }
        self.grants = set()

    def _may_see(self, user, family) -> bool:
        return family.pk in self.covered.get(user.agency_id, ())

    def _pupil_at(self, members: list[FamilyMember], agency) -> bool:
        return any(m.role == FamilyMember.Role.CHILD and m.person.school_id == agency.pk for m in members)

    def _young(self, members: list[FamilyMember], today: date) -> bool:
        return any(
            m.role == FamilyMember.Role.CHILD and m.person.date_of_birth and m.person.age_on(today) < 5 for m in members
        )

    def lead_for(self, case, members: list[FamilyMember], today: date, *, asked: bool):
        """A partner who could lead this family's early help: the school's safeguarding lead where a child goes to
        the demo school, else the health visitor where there is a child under 5 (or, when the MASH `asked` for
        partner-led help, either); None when consent covers neither."""
        if (asked or self._pupil_at(members, self.school_lead.agency)) and self._may_see(self.school_lead, case.family):
            return self.school_lead
        if (asked or self._young(members, today)) and self._may_see(self.health, case.family):
            return self.health
        return None

    def choose(self, case, members: list[FamilyMember], today: date, *, partner_led_wanted: bool) -> None:
        """Make the episode partner-led (when asked and a partner can lead), and for most episodes with a plan
        bring a second agency into the Team Around the Family."""
        rng = self.rng
        asked = case.pathway == Episode.Pathway.PARTNER_LED
        if partner_led_wanted or asked:
            lead = self.lead_for(case, members, today, asked=asked)
            if lead is not None:
                case.pathway, case.lead, case.lead_agency = Episode.Pathway.PARTNER_LED, lead, lead.agency
                case.partners = [user for user in case.partners if user.pk != lead.pk]
                self.grants.add((lead.pk, case.family.pk))
            elif case.pathway == Episode.Pathway.PARTNER_LED:
                case.lead_agency = None  # the MASH asked for partner-led help no partner here can give
        if case.stage not in WITH_PLAN or (not case.lead_agency and rng.random() >= MULTI_AGENCY):
            return
        candidates = []
        if self._pupil_at(members, self.school.agency) or rng.random() < 0.3:
            candidates.append(self.school)
        if self._young(members, today) or rng.random() < 0.5:
            candidates.append(self.health)
        colleague = case.staff.cfs if case.lead.pk != case.staff.cfs.pk else case.staff.lead
        candidates.append(colleague)
        for user in candidates:
            agencies = {u.agency_id for u in case.partners}
            if len(agencies) >= 2:
                break
            if user.pk == case.lead.pk or user in case.partners:
                continue
            if user.agency_id != self.council.pk:
                if not self._may_see(user, case.family):
                    continue
                self.grants.add((user.pk, case.family.pk))
            case.partners.append(user)

    def grants_write(self, *, seeder) -> None:
        """The per-family grants partners need to see the families they lead or joined, written in bulk."""
        if not self.grants:
            return
        users = {user for user, _ in self.grants}
        families = {family for _, family in self.grants}
        held = set(
            FamilyUserObjectPermission.objects.filter(user_id__in=users, content_object_id__in=families).values_list(
                "user_id", "content_object_id"
            )
        )
        permission = Permission.objects.get(content_type__app_label="cases", codename=ACCESS_FAMILY)
        new = [
            FamilyUserObjectPermission(user_id=user, content_object_id=family, permission=permission)
            for user, family in sorted(self.grants - held)
        ]
        bulk_insert_with_history(new, user=seeder)

    # The assessment

    def assessment_build(
        self, rows, case, episode, members, *, requested: date, allocated: date, started: date, today: date, at
    ) -> None:
        """The whole-family assessment: a draft while the worker is assessing; with a plan, authorised, by the
        partner agency before it asked for help, or by the lead practitioner between allocation and the plan."""
        if case.stage != ASSESSING and case.stage not in WITH_PLAN:
            return
        rng = self.rng
        partner = next((u for u in case.partners if u.agency_id != self.council.pk), None)
        assessor, organisation = case.lead, case.lead_agency or self.council
        begin = working_day_on_or_before(allocated + timedelta(days=rng.randint(1, 3)))
        if case.stage in WITH_PLAN:
            finish = max(begin, min(started - timedelta(days=1), begin + timedelta(days=rng.randint(4, 14))))
        else:
            begin, finish = min(begin, today), None
        if (
            finish
            and not case.lead_agency
            and episode.route == Episode.Route.PARTNER
            and partner
            and rng.random() < PARTNER_ASSESSED
        ):
            assessor, organisation = partner, partner.agency
            finish = working_day_on_or_before(requested - timedelta(days=rng.randint(1, 4)))
            begin = working_day_on_or_before(finish - timedelta(days=rng.randint(10, 60)))
        authorised = finish is not None
        assessment = EarlyHelpAssessment(
            family=case.family,
            version=1,
            status=EarlyHelpAssessment.Status.AUTHORISED if authorised else EarlyHelpAssessment.Status.DRAFT,
            assessor=assessor,
            organisation=organisation,
            started_on=begin,
            completed_on=finish,
            level_of_need=episode.level if authorised else None,
            pathway=episode.pathway if authorised else "",
            analysis="Synthetic demo: the family's strengths, the worries each member shared, and what would help."
            if authorised
            else "",
            decided_by=case.staff.manager if authorised else None,
            decided_at=at(finish, 15) if authorised else None,
            created_at=at(begin, 10),
        )
        rows.add(assessment)
        rows.add(
            *(
                AssessmentSubject(
                    assessment=assessment,
                    person=m.person,
                    is_child=m.role == FamilyMember.Role.CHILD,
                    created_at=assessment.created_at,
                )
                for m in members
            )
        )
        if authorised:
            episode.assessment = assessment
