"""Building one demo episode's records in memory: its timeline, plan, meetings, intervention, notes, closure and
tasks. `casework` chooses the families and writes what is built here in bulk."""

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.utils import timezone

from cases.demo import casework_text as words
from cases.models import (
    Action,
    CaseNote,
    CaseNoteAmendment,
    Closure,
    Episode,
    FamilyMember,
    FamilyPlan,
    Goal,
    GoalScore,
    Intervention,
    InterventionExtension,
    InterventionSession,
    Person,
    TafAttendance,
    TafMeeting,
    TafMember,
    Task,
)
from earlyhelp.core.working_time import working_day_on_or_before, working_days_after

ALLOCATED, ASSESSING, ACTIVE, REVIEWING = "allocated", "assessing", "plan_active", "reviewing"
CLOSING, CLOSED = "closing", "closed"
WITH_PLAN = (ACTIVE, REVIEWING, CLOSING, CLOSED)
HEALTH_VISITING = "York Health Visiting Service (demo)"


@dataclass
class People:
    """The family members the demo writes about."""

    carer: Person
    children: list[Person]
    pupils: list[Person]
    young: list[Person]

    @classmethod
    def of(cls, members: list[FamilyMember], today: date) -> "People":
        parents = [m for m in members if m.role == FamilyMember.Role.PARENT]
        carer = next((m for m in parents if m.main_carer), parents[0]).person
        children = [m.person for m in members if m.role == FamilyMember.Role.CHILD and m.person.date_of_birth]
        ages = {child.pk: child.age_on(today) for child in children}
        return cls(
            carer=carer,
            children=children,
            pupils=[c for c in children if 5 <= ages[c.pk] <= 16],
            young=[c for c in children if ages[c.pk] < 5],
        )

    def for_whom(self, kind: str) -> list[Person | None]:
        return {
            "pupil": self.pupils,
            "young": self.young,
            "child": self.children,
            "parent": [self.carer],
            "family": [None],
        }[kind]


class Builder:
    """Builds the records of one episode at a time into a `Rows` (see `casework`)."""

    def __init__(self, *, rng: random.Random, agencies: dict) -> None:
        self.rng = rng
        self.health_visiting = agencies[HEALTH_VISITING]
        self.today = timezone.localdate()
        self.now = timezone.now()
        self.review_every = timedelta(weeks=settings.TAF_REVIEW_WEEKS)
        self.grace = timedelta(days=settings.CASE_CLOSURE_GRACE_DAYS)

    def at(self, day: date, hour: int = 10) -> datetime:
        """A moment on `day` during the working day, never later than now."""
        return min(timezone.make_aware(datetime.combine(day, time(hour, self.rng.randint(0, 59)))), self.now)

    def days_ago(self, days: int) -> date:
        return working_day_on_or_before(self.today - timedelta(days=days))

    # The episode and its timeline

    def episode_build(self, rows, case, members: list[FamilyMember], partners) -> None:
        """The episode and its records; an episode the MASH requested (`case.episode`) is taken up, not made."""
        people = People.of(members, self.today)
        if case.episode is not None:
            episode = case.episode
            requested, allocated, started, ended = case.dates
            episode.status, episode.lead_practitioner, episode.lead_agency = case.stage, case.lead, case.lead_agency
            episode.allocated_at = self.at(allocated, 15)
            episode.allocated_by = case.lead if case.lead_agency else case.staff.manager
            rows.update(episode)
        else:
            started, ended = self._timeline(case)
            allocated = started - timedelta(days=self.rng.randint(7, 18)) if case.stage in WITH_PLAN else started
            requested = allocated - timedelta(days=self.rng.randint(1, 5))
            partner_led = case.lead_agency is not None
            episode = Episode(
                family=case.family,
                local_area_team_id=case.family.local_area_team_id,
                route=Episode.Route.PARTNER,
                pathway=case.pathway,
                level=self.rng.choice([2, 2, 3] if partner_led else [2, 3, 3]),
                status=case.stage,
                lead_practitioner=case.lead,
                lead_agency=case.lead_agency,
                requested_at=self.at(requested, 9),
                allocated_at=self.at(allocated, 15 if not partner_led else 9),
                allocated_by=case.lead if partner_led else case.staff.manager,
                created_at=self.at(requested, 9),
            )
            rows.add(episode)
        end = ended or self.today
        partners.assessment_build(
            rows,
            case,
            episode,
            members,
            requested=requested,
            allocated=allocated,
            started=started,
            today=self.today,
            at=self.at,
        )
        self._notes_build(rows, case, episode, people, allocated, end)
        if case.stage not in WITH_PLAN:
            return
        meetings, next_due = self._meetings_build(rows, case, episode, people, started, end)
        episode.next_review_due = None if case.stage == CLOSED else next_due
        plan = self._plan_build(rows, case, episode, started, end, people, meetings)
        self._intervention_build(rows, case, episode, people, plan, started, end)
        if case.stage in (CLOSING, CLOSED):
            self._closure_build(rows, case, episode, people, ended)
        elif next_due <= self.today + timedelta(days=14):
            self._task(rows, episode, "review_due", episode, "TAF review due", next_due, user=case.lead)

    def _timeline(self, case) -> tuple[date, date | None]:
        """When the work started (allocation, or the initial TAF meeting once there is a plan) and, for a closed
        episode, when it closed."""
        rng, stage = self.rng, case.stage
        if stage == ALLOCATED:
            return self.days_ago(rng.randint(1, 12)), None
        if stage == ASSESSING:
            return self.days_ago(rng.randint(10, 30)), None
        if stage == ACTIVE:
            days = 80 if case.extension else 50 if case.review_late else rng.randint(14, 63)
            return self.days_ago(days), None
        if stage == REVIEWING:
            return self.days_ago(rng.randint(30, 40)), None
        if stage == CLOSING:
            return self.days_ago(rng.randint(90, 140)), None
        closed = self.days_ago(rng.randint(3, 200))
        return working_day_on_or_before(closed - timedelta(days=rng.randint(84, 150))), closed

    # Meetings and the Team Around the Family

    def _meetings_build(self, rows, case, episode, people, started, end) -> tuple[list[TafMeeting], date]:
        """The initial meeting, the reviews held since (the latest left undone when the review is late), and a
        planned review for an episode being reviewed. Returns the meetings held and the next review due."""
        for partner in case.partners:
            rows.add(
                TafMember(
                    episode=episode,
                    family=case.family,
                    user=partner,
                    agency_id=partner.agency_id,
                    role=partner.job_title,
                    invited_by=case.lead,
                    created_at=self.at(started - timedelta(days=3)),
                    # A closed episode's team left when it closed, as the closure service does.
                    status=TafMember.Status.LEFT if case.stage == CLOSED else TafMember.Status.ACTIVE,
                    left_on=end if case.stage == CLOSED else None,
                )
            )
        held = [self._meeting(rows, case, episode, people, TafMeeting.Kind.INITIAL, started)]
        due = started + self.review_every
        while due < end:
            if case.review_late and due + self.review_every > end:
                break
            day = working_day_on_or_before(due - timedelta(days=self.rng.randint(0, 3)))
            held.append(self._meeting(rows, case, episode, people, TafMeeting.Kind.REVIEW, day))
            due = day + self.review_every
        for meeting in held:
            meeting.next_review_due = meeting.held_on + self.review_every
        if case.stage == REVIEWING:
            rows.add(
                TafMeeting(
                    episode=episode,
                    family=case.family,
                    kind=TafMeeting.Kind.REVIEW,
                    due_on=due,
                    created_at=self.at(held[-1].held_on, 16),
                )
            )
        return held, due

    def _meeting(self, rows, case, episode, people, kind, day) -> TafMeeting:
        rng = self.rng
        present = rng.random() < 0.85
        meeting = TafMeeting(
            episode=episode,
            family=case.family,
            kind=kind,
            status=TafMeeting.Status.HELD,
            due_on=day + timedelta(days=rng.randint(0, 2)),
            held_on=day,
            family_present=present,
            result=""
            if kind == TafMeeting.Kind.INITIAL
            else rng.choice(["improved"] * 6 + ["no_change"] * 3 + ["worse"]),
            decision=TafMeeting.Decision.CLOSE if kind == TafMeeting.Kind.CLOSURE else TafMeeting.Decision.CONTINUE,
            notes="Synthetic demo: the plan was gone through goal by goal and everyone agreed their next actions.",
            recorded_by=case.lead,
            created_at=self.at(day, 16),
        )
        rows.add(meeting)
        rows.add(TafAttendance(meeting=meeting, user=case.lead, created_at=meeting.created_at))
        rows.add(
            TafAttendance(
                meeting=meeting,
                person=people.carer,
                attended=TafAttendance.Attended.ATTENDED if present else TafAttendance.Attended.ABSENT,
                created_at=meeting.created_at,
            )
        )
        for partner in case.partners:
            attended = rng.choice([TafAttendance.Attended.ATTENDED] * 3 + [TafAttendance.Attended.APOLOGIES])
            rows.add(TafAttendance(meeting=meeting, user=partner, attended=attended, created_at=meeting.created_at))
        if people.pupils and rng.random() < 0.5:
            rows.add(TafAttendance(meeting=meeting, name="School pastoral lead (demo)", created_at=meeting.created_at))
        return meeting

    # The plan: goals with their scaling, and actions

    def _plan_build(self, rows, case, episode, started, end, people, meetings) -> FamilyPlan:
        plan = FamilyPlan(
            episode=episode,
            family=case.family,
            version=1,
            status=FamilyPlan.Status.AGREED,
            summary="Synthetic demo: calmer mornings, children in school every day, and money under control.",
            created_by=case.lead,
            agreed_on=started,
            agreed_by=case.lead,
            family_agreed=True,
            created_at=self.at(started - timedelta(days=2)),
        )
        rows.add(plan)
        choices = [(kind, text, support) for kind, text, support in words.GOALS if people.for_whom(kind)]
        picked = self.rng.sample(choices, k=min(len(choices), self.rng.randint(2, 4)))
        plan.demo_goals = [
            self._goal(rows, case, plan, position, item, people, meetings, end) for position, item in enumerate(picked)
        ]
        self._actions_build(rows, case, episode, plan, people, started, end)
        return plan

    def _goal(self, rows, case, plan, position, item, people, meetings, end) -> Goal:
        rng = self.rng
        kind, text, support = item
        person = rng.choice(people.for_whom(kind))
        baseline = rng.randint(1, 5)
        target = min(10, baseline + rng.randint(3, 5))
        goal = Goal(
            plan=plan,
            text=text.format(name=person.first_name if person else ""),
            person=person,
            baseline=baseline,
            target=target,
            latest=baseline,
            position=position,
            created_at=plan.created_at,
        )
        goal.demo_support = support
        rows.add(goal)
        scores = self._scores(case, goal, meetings, end)
        rows.add(*scores)
        goal.latest = scores[-1].score
        if case.stage == CLOSED:
            goal.status = Goal.Status.ACHIEVED if goal.latest >= target else Goal.Status.NOT_ACHIEVED
        return goal

    def _scores(self, case, goal, meetings, end) -> list[GoalScore]:
        """One to four scalings: at the initial meeting (the baseline), at the latest reviews, then between them."""
        rng = self.rng
        count = rng.randint(1, 4)
        reviews = [(m.held_on, m) for m in meetings[1:]]
        occasions = [(meetings[0].held_on, meetings[0])] + (reviews[-(count - 1) :] if count > 1 else [])
        day = occasions[-1][0]
        while len(occasions) < count and day + timedelta(days=7) < end:
            day += timedelta(days=rng.randint(7, 14))
            occasions.append((min(day, end), None))
        progress = {ACTIVE: rng.uniform(0, 0.8), REVIEWING: rng.uniform(0, 0.8), CLOSING: rng.uniform(0.6, 1)}
        closed_well = case.stage == CLOSED and rng.random() < 0.75
        share = 1.0 if closed_well else progress.get(case.stage, rng.uniform(0, 0.5))
        latest = goal.baseline + round(share * (goal.target - goal.baseline))
        scores = []
        for index, (day, meeting) in enumerate(occasions):
            step = index / (len(occasions) - 1) if len(occasions) > 1 else 0
            value = goal.baseline + round(step * (latest - goal.baseline))
            if 0 < index < len(occasions) - 1:
                value = max(0, min(10, value + rng.choice([-1, 0, 0, 1])))
            scores.append(
                GoalScore(
                    goal=goal,
                    score=value,
                    scored_on=day,
                    meeting=meeting,
                    recorded_by=case.lead,
                    created_at=self.at(day, 16),
                )
            )
        return scores

    def _actions_build(self, rows, case, episode, plan, people, started, end) -> None:
        """Two to five actions; on a working plan one or two may be overdue, and the earliest are done."""
        rng = self.rng
        picked = rng.sample(words.ACTIONS, k=rng.randint(2, 5))
        open_work = case.stage in (ACTIVE, REVIEWING)
        overdue = rng.choice([0, 1, 1, 2]) if open_work else 0
        for index, (owner, what) in enumerate(picked):
            if index == len(picked) - 1 and case.partners:
                owner, what = "partner", "Tell the lead practitioner how the children are getting on before each review"
            if index < overdue:
                due = max(started + timedelta(days=3), self.today - timedelta(days=rng.randint(2, 20)))
            elif open_work and index >= overdue + 2:
                due = self.today + timedelta(days=rng.randint(3, 40))
            else:
                due = min(end, started + timedelta(days=rng.randint(7, 42)))
            action = Action(
                plan=plan,
                goal=rng.choice(plan.demo_goals),
                what=what,
                due_on=due,
                created_at=plan.created_at,
                **self._owner(owner, case, people),
            )
            self._action_status(action, overdue=index < overdue, end=end)
            rows.add(action)
            if index < overdue and due < self.today:
                title = "Overdue action on the family's plan"
                self._task(rows, episode, "action_overdue", action, title, due, user=action.owner_user or case.lead)

    def _owner(self, owner: str, case, people) -> dict:
        if owner == "worker":
            return {"owner_user": case.lead}
        if owner == "partner":
            return {"owner_user": case.partners[0]}
        if owner == "parent":
            return {"owner_person": people.carer}
        school = next((child.school_id for child in people.pupils if child.school_id), None)
        return {"owner_agency_id": school} if school else {"owner_agency": self.health_visiting}

    def _action_status(self, action: Action, *, overdue: bool, end: date) -> None:
        if overdue:
            action.status = self.rng.choice([Action.Status.NOT_STARTED, Action.Status.IN_PROGRESS])
        elif action.due_on < end or end < self.today:
            done = self.rng.random() < 0.85
            action.status = Action.Status.DONE if done else Action.Status.NOT_DONE
            action.completed_on = min(action.due_on, end) if done else None
        else:
            action.status = self.rng.choice([Action.Status.NOT_STARTED, Action.Status.IN_PROGRESS])

    # The intervention: 6 to 12 weeks of sessions

    def _intervention_build(self, rows, case, episode, people, plan, started, end) -> None:
        rng = self.rng
        ongoing = case.stage in (ACTIVE, REVIEWING)
        late_start = 0 if case.extension else rng.randint(0, 21)
        start = min(working_day_on_or_before(started + timedelta(days=late_start)), self.days_ago(7))
        weeks = rng.randint(6, 12)
        if case.extension:
            weeks = 12  # started about 80 days ago, so it ends within a fortnight
        elif ongoing:
            weeks = rng.randint(max(6, (self.today - start).days // 7 + 1), 12)
        else:
            weeks = max(6, min(weeks, (end - start).days // 7))
        support = plan.demo_goals[0].demo_support
        intervention = Intervention(
            episode=episode,
            family=case.family,
            worker=case.staff.cfs,
            kind=support,
            aims=words.AIMS.get(support, "Synthetic demo aims agreed with the family."),
            started_on=start,
            planned_end_on=start + timedelta(weeks=weeks),
            status=Intervention.Status.ACTIVE if ongoing else Intervention.Status.COMPLETED,
            created_at=self.at(start, 9),
        )
        if not ongoing:
            intervention.ended_on = min(intervention.planned_end_on, end)
            intervention.outcome = "Synthetic demo: the family kept the routines going without weekly visits."
        rows.add(intervention)
        self._sessions_build(rows, case, intervention, people, min(end, intervention.planned_end_on, self.today))
        if case.extension:
            self._extension_build(rows, case, episode, intervention)
        elif ongoing and intervention.planned_end_on <= self.today + timedelta(days=14):
            title = "Intervention ends soon: plan the next step with the family"
            due = intervention.planned_end_on
            self._task(rows, episode, "intervention_ending", intervention, title, due, user=case.staff.cfs)

    def _sessions_build(self, rows, case, intervention, people, last: date) -> None:
        rng = self.rng
        slots = [
            intervention.started_on + timedelta(weeks=w) for w in range((last - intervention.started_on).days // 7 + 1)
        ]
        if len(slots) < 2:
            slots.append(intervention.started_on + timedelta(days=3))
        for day in sorted(rng.sample(slots, k=min(len(slots), rng.randint(2, 8)))):
            missed = rng.random() < 0.08
            kind = InterventionSession.Kind.NOT_ATTENDED if missed else rng.choice(InterventionSession.Kind.values[:-1])
            alone = kind == InterventionSession.Kind.SCHOOL and bool(people.pupils)
            session = InterventionSession(
                intervention=intervention,
                held_on=day,
                kind=kind,
                child_seen_alone=alone,
                notes=words.SESSION_NOTES[-1] if missed else rng.choice(words.SESSION_NOTES[:-1]),
                recorded_by=intervention.worker,
                created_at=self.at(day, 17),
            )
            rows.add(session)
            if not missed:
                seen = (
                    people.pupils[:1]
                    if alone
                    else [people.carer, *rng.sample(people.children, k=min(2, len(people.children)))]
                )
                rows.link(InterventionSession.people_seen.through, session, seen)

    def _extension_build(self, rows, case, episode, intervention) -> None:
        extension = InterventionExtension(
            intervention=intervention,
            new_end_on=intervention.planned_end_on + timedelta(weeks=4),
            reason="Synthetic demo: the family has just moved home; four more weeks to settle the new routines.",
            requested_by=intervention.worker,
            created_at=self.now - timedelta(days=1),
        )
        rows.add(extension)
        title = "Decide an intervention's extension beyond 12 weeks"
        self._task(rows, episode, "extension", extension, title, intervention.planned_end_on, team=True)

    # Case notes

    def _notes_build(self, rows, case, episode, people, first: date, end: date) -> None:
        """Two to six notes from allocation on, one or two of them significant; the newest may still be open to
        edits (written in the last day), and an older one may carry an amendment."""
        rng = self.rng
        count = rng.randint(2, 6)
        significant = rng.randint(1, min(2, count - 1))
        chosen = rng.sample(words.SIGNIFICANT_NOTES, k=significant) + rng.sample(words.NOTES, k=count - significant)
        span = max((end - first).days, 1)
        days = sorted(first + timedelta(days=rng.randint(0, span)) for _ in chosen)
        recent = case.stage not in (CLOSED,) and rng.random() < 0.5
        if recent:
            days[-1] = self.today
        child = rng.choice(people.children) if people.children else people.carer
        notes = []
        for index, ((kind, text, seen, alone), day) in enumerate(
            zip(rng.sample(chosen, k=len(chosen)), days, strict=True)
        ):
            author = case.staff.manager if kind == CaseNote.Kind.MANAGEMENT else case.lead
            created = (
                self.now - timedelta(hours=rng.randint(1, 6)) if recent and index == count - 1 else self.at(day, 17)
            )
            note = CaseNote(
                family=case.family,
                episode=episode,
                kind=kind,
                happened_on=day,
                child_seen=seen and bool(people.children),
                child_seen_alone=alone and bool(people.children),
                text="Synthetic demo. " + text.format(parent=people.carer.first_name, child=child.first_name),
                significant=(kind, text, seen, alone) in words.SIGNIFICANT_NOTES,
                author=author,
                created_at=created,
            )
            rows.add(note)
            rows.link(CaseNote.people.through, note, [people.carer] if child is people.carer else [people.carer, child])
            notes.append(note)
        locked = [note for note in notes if note.created_at < self.now - timedelta(days=2)]
        if locked and (rng.random() < 0.35 or case.stage == CLOSING):
            note = rng.choice(locked)
            text, reason = rng.choice(words.AMENDMENTS)
            when = min(note.created_at + timedelta(days=rng.randint(1, 5)), self.now)
            rows.add(CaseNoteAmendment(note=note, text=text, reason=reason, author=note.author, created_at=when))

    # Closure

    def _closure_build(self, rows, case, episode, people, ended) -> None:
        rng = self.rng
        reason, _weight, summary = rng.choices(words.CLOSURES, weights=[c[1] for c in words.CLOSURES])[0]
        satisfaction, difference = self._family_view(reason)
        closure = Closure(
            episode=episode,
            family=case.family,
            reason=reason,
            summary="Synthetic demo: " + summary,
            satisfaction=satisfaction,
            made_difference=difference,
            requested_by=case.lead,
        )
        if case.stage == CLOSING:
            closure.created_at = self.now - timedelta(days=rng.randint(1, 4))
            rows.add(closure)
            due = working_days_after(closure.created_at.date(), 5)
            self._task(rows, episode, "closure", closure, "Approve or refuse a closure", due, team=True)
            return
        if rng.random() < 0.5:
            meeting = self._meeting(rows, case, episode, people, TafMeeting.Kind.CLOSURE, ended)
            closure.meeting, closure.decided_by = meeting, case.lead
        else:
            closure.decided_by = case.staff.manager
        closure.status = Closure.Status.APPROVED
        closure.created_at = self.at(ended - timedelta(days=1), 11)
        closure.decided_at = episode.closed_at = self.at(ended, 15)
        closure.grants_end_on = ended + self.grace
        if closure.grants_end_on < self.today:
            closure.grants_ended_at = self.at(closure.grants_end_on, 6)
        rows.add(closure)

    def _family_view(self, reason: str) -> tuple[int | None, str]:
        rng, difference = self.rng, Closure.Difference
        if reason in (Closure.Reason.OUTCOMES_ACHIEVED, Closure.Reason.STEPPED_DOWN):
            return rng.choice([4, 5, 5]), rng.choice([difference.YES] * 3 + [difference.A_LITTLE])
        if reason in (Closure.Reason.DISENGAGED, Closure.Reason.CONSENT_WITHDRAWN):
            return rng.choice([None, 1, 2, 3]), rng.choice([difference.NOT_ASKED, difference.NO, difference.A_LITTLE])
        return rng.choice([3, 4]), difference.A_LITTLE

    # Tasks

    def _task(self, rows, episode, key: str, record, title: str, due: date, *, user=None, team=False) -> None:
        kinds = {
            "review_due": Task.Kind.REVIEW_DUE,
            "action_overdue": Task.Kind.ACTION_OVERDUE,
            "intervention_ending": Task.Kind.INTERVENTION_ENDING,
            "extension": Task.Kind.EXTENSION_DECISION,
            "closure": Task.Kind.CLOSURE_DECISION,
        }
        rows.add(
            Task(
                family=episode.family,
                episode=episode,
                title=title,
                kind=kinds[key],
                key=f"{key}:{record.uuid}",
                assigned_to=None if team else user,
                team_id=episode.local_area_team_id if team else None,
                due_on=due,
            )
        )
