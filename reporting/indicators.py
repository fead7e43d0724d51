"""The partnership's indicators (DOMAIN.md, "Measuring the difference"): each one a definition in words next to
the code that computes it, for one month, per Local Area Team and city-wide.

`compute(period)` returns every indicator's figures for every team and the city in a bounded number of queries:
each indicator groups by team in the database (one query by team, one for the city; two of each where it adds two
kinds of record), never loops over families. The dashboard shows `definition` under each chart, so the words and
the code must say the same thing. A team with no records in the month has no entry in a result: read a team's
figure with `figure_for`.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import connection
from django.db.models import (
    Case,
    Count,
    DateField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    When,
)
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone

CITY = None  # the key of the city-wide figure in a result; teams are keyed by their id


@dataclass(frozen=True)
class Period:
    """One calendar month, the unit every indicator is computed for."""

    start: date  # the first day
    end: date  # the last day, inclusive

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        return cls(date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1]))

    @classmethod
    def containing(cls, day: date) -> Period:
        return cls.month(day.year, day.month)

    @property
    def start_at(self) -> datetime:
        """The first moment of the month, local time."""
        return timezone.make_aware(datetime.combine(self.start, time.min))

    @property
    def end_at(self) -> datetime:
        """The first moment after the month (use with `__lt`)."""
        return Period.containing(self.end).following().start_at

    def following(self) -> Period:
        return Period.month(self.end.year + self.end.month // 12, self.end.month % 12 + 1)

    def preceding(self) -> Period:
        return Period.month(self.start.year - (self.start.month == 1), (self.start.month - 2) % 12 + 1)

    def last(self, months: int) -> list[Period]:
        """This month and the `months - 1` before it, oldest first."""
        periods = [self]
        while len(periods) < months:
            periods.insert(0, periods[0].preceding())
        return periods

    def __str__(self) -> str:
        return f"{self.start:%B %Y}"


@dataclass(frozen=True)
class Figure:
    """An indicator's value for one team (or the city) in one month.

    `numerator` alone is a count; with a `denominator` the value is a rate (`unit` "percent") or an average
    (`unit` "average", for example days per intervention). `breakdown` names the parts of a figure, each a count.
    """

    numerator: int = 0
    denominator: int | None = None
    breakdown: dict[str, int] = field(default_factory=dict)


Figures = dict[int | None, Figure]  # team id (or CITY) -> figure


@dataclass(frozen=True)
class Indicator:
    code: str  # "a" to "l", or a name for the extras ("mash_in_time")
    title: str
    definition: str  # in words: what is counted, over what, and how it is given to a team
    unit: str  # "count", "percent" or "average"
    compute: Callable[[Period], Figures]
    average_of: str = ""  # for unit "average": what the value is, for example "days"
    breakdown_labels: dict[str, str] = field(default_factory=dict)  # each breakdown key in words


def value(indicator: Indicator, figure: Figure) -> float | None:
    """The number to chart: the count, the percentage, or the average; None when there is nothing to divide by."""
    if indicator.unit == "count":
        return float(figure.numerator)
    if not figure.denominator:
        return None
    if indicator.unit == "percent":
        return round(100 * figure.numerator / figure.denominator, 1)
    return round(figure.numerator / figure.denominator, 1)


def counts_by_team(queryset: QuerySet, team_field: str, *, distinct_field: str = "pk") -> dict[int | None, int]:
    """Distinct `distinct_field` counted per team (one query), with the city's total under CITY (one more)."""
    counts = {
        row[team_field]: row["n"]
        for row in queryset.order_by().values(team_field).annotate(n=Count(distinct_field, distinct=True))
        if row[team_field] is not None
    }
    counts[CITY] = queryset.order_by().aggregate(n=Count(distinct_field, distinct=True))["n"]
    return counts


def figure_for(figures: Figures, team_id: int | None) -> Figure:
    """A team's figure from a result; a team with no records in the month has none, which reads as an empty one."""
    return figures.get(team_id, Figure())


# Grouping -------------------------------------------------------------------------------------------------------


def _by_team(queryset: QuerySet, team, **aggregates) -> dict[int | None, dict]:
    """`aggregates` per team (one query grouped in the database) and for the city (one more).

    `team` is a field path or an expression giving each row's Local Area Team; rows without a team count for the
    city only.
    """
    queryset = queryset.order_by()
    grouped = queryset.annotate(lat=F(team) if isinstance(team, str) else team).values("lat").annotate(**aggregates)
    rows = {row["lat"]: row for row in grouped if row["lat"] is not None}
    rows[CITY] = queryset.aggregate(**aggregates)
    return rows


def _figures(
    rows: dict[int | None, dict], numerator: str, denominator: str = "", breakdown: tuple[str, ...] = ()
) -> Figures:
    return {
        team: Figure(
            numerator=row[numerator] or 0,
            denominator=(row[denominator] or 0) if denominator else None,
            breakdown={part: row[part] or 0 for part in breakdown},
        )
        for team, row in rows.items()
    }


def _sum_rows(*results: dict[int | None, dict]) -> dict[int | None, dict]:
    """Add up grouped rows from separate queries, key by key, team by team."""
    total: dict[int | None, dict] = {}
    for rows in results:
        for team, row in rows.items():
            into = total.setdefault(team, {})
            for key, number in row.items():
                if key != "lat":
                    into[key] = into.get(key, 0) + (number or 0)
    return total


def _distinct(field_name: str, **where) -> Count:
    return Count(field_name, distinct=True, filter=Q(**where) if where else None)


def _share(condition: Q) -> Count:
    return Count("pk", filter=condition)


# The records each indicator reads -------------------------------------------------------------------------------


def _episode_ended_at():
    """When a stepped-up or transferred-out episode ended, fixed once it happened (a later save of the episode
    does not move it): for a step-up, when its step-up to children's social care was recorded; for a transfer
    out, when the episode's history first shows it transferred out. Its last change only if neither is there."""
    from cases.models import Episode, Transfer

    step_up = Transfer.objects.filter(episode=OuterRef("pk"), direction=Transfer.Direction.STEP_UP)
    transferred = Episode.history.model.objects.filter(id=OuterRef("pk"), status=Episode.Status.TRANSFERRED_OUT)
    return Coalesce(
        Case(
            When(
                status=Episode.Status.STEPPED_UP,
                then=Subquery(step_up.order_by("created_at", "id").values("created_at")[:1]),
            ),
            When(
                status=Episode.Status.TRANSFERRED_OUT,
                then=Subquery(transferred.order_by("history_date", "history_id").values("history_date")[:1]),
            ),
        ),
        "updated_at",
    )


def _episodes_open_during(period: Period) -> QuerySet:
    """Episodes open at some time in the month: requested before it ended, and still open, or ended (closed,
    stepped up or transferred out, see `_episode_ended_at`) on or after its first day. Declined requests were
    never open."""
    from cases.models import Episode

    ended_in_or_after = Q(status=Episode.Status.CLOSED, closed_at__gte=period.start_at) | Q(
        status__in=(Episode.Status.STEPPED_UP, Episode.Status.TRANSFERRED_OUT), ended_at__gte=period.start_at
    )
    return Episode.objects.annotate(ended_at=_episode_ended_at()).filter(
        Q(requested_at__lt=period.end_at) & (Q(status__in=Episode.OPEN) | ended_in_or_after)
    )


def _multi_agency_plan_episodes(period: Period) -> QuerySet:
    """Indicator a's episodes: open in the month, with a plan agreed by its end, and a Team Around the Family with
    members from at least two agencies at some time in the month."""
    from cases.models import FamilyPlan, TafMember

    members = TafMember.objects.filter(created_at__lt=period.end_at, agency__isnull=False).exclude(
        status=TafMember.Status.LEFT, left_on__lt=period.start
    )
    multi_agency = (
        members.order_by().values("episode").annotate(agencies=Count("agency", distinct=True)).filter(agencies__gte=2)
    )
    agreed = FamilyPlan.objects.filter(episode=OuterRef("pk"), agreed_on__lte=period.end)
    return _episodes_open_during(period).filter(Exists(agreed), pk__in=multi_agency.values("episode"))


CARRIED_VERSIONS = 100  # how far back along `Goal.carried_from` a goal's last scaling is looked for


def _compiled(queryset: QuerySet) -> tuple[str, tuple]:
    """A queryset's SQL and parameters, to be put inside a larger statement."""
    sql, params = queryset.query.get_compiler(connection=connection).as_sql()
    return sql, tuple(params)


def _progress_by_team(period: Period) -> dict[int | None, dict]:
    """Indicator b's figures per team (one query) and for the city (one more): of indicator a's families, those
    with an episode where at least half the goals on the plan in force at the end of the month (the highest version
    agreed by then) scaled above their baseline by then.

    A goal's scale is its latest scaling on or before the month's last day: its own, or else that of the goal it
    was carried from, and so on back along `carried_from` (at most CARRIED_VERSIONS versions, which also stops a
    loop in bad data); its baseline if there is none. Each query works this out for all of indicator a's episodes
    at once, in SQL that SQLite and PostgreSQL both run: the latest scaling of a goal is one look-up in the index
    of a goal's scores by date, and a recursive common table expression walks back, one version at a time, only
    the carried goals not scaled since. So the time grows with the month's goals, not with all the scores ever
    recorded, and no join is planned on estimates a database without fresh statistics gets wrong (seed_demo
    snapshots the months straight after loading the data)."""
    from cases.models import FamilyPlan, Goal, GoalScore

    episodes_sql, episodes_params = _compiled(
        _multi_agency_plan_episodes(period).order_by().values_list("pk", "family", "local_area_team")
    )
    quote = connection.ops.quote_name
    plans, goals, scores = (quote(model._meta.db_table) for model in (FamilyPlan, Goal, GoalScore))
    end = connection.ops.adapt_datefield_value(period.end)

    def latest_scaling(goal: str) -> str:
        return (
            f"(SELECT eh_s.score FROM {scores} eh_s WHERE eh_s.goal_id = {goal} AND eh_s.scored_on <= %s "  # noqa: S608  # nosec B608  # a quoted table name and a fixed column only; the date is a parameter
            "ORDER BY eh_s.scored_on DESC, eh_s.id DESC LIMIT 1)"
        )

    # Only compiled querysets, quoted table names and fixed text are put in the SQL; values are parameters.
    progress = (
        f"WITH RECURSIVE eh_episode (id, family_id, team_id) AS ({episodes_sql}), "  # noqa: S608  # nosec B608  # compiled SQL and quoted table names only; values are parameters
        # The goals on each episode's plan in force at the month's end, each with its own latest scaling.
        "eh_goal (goal_id, episode_id, baseline, carried_from_id, own) AS ("
        f"SELECT eh_g.id, eh_p.episode_id, eh_g.baseline, eh_g.carried_from_id, {latest_scaling('eh_g.id')} "
        f"FROM eh_episode JOIN {plans} eh_p ON eh_p.episode_id = eh_episode.id "
        f"JOIN {goals} eh_g ON eh_g.plan_id = eh_p.id "
        f"WHERE eh_p.agreed_on <= %s AND NOT EXISTS (SELECT 1 FROM {plans} eh_later "
        "WHERE eh_later.episode_id = eh_p.episode_id AND eh_later.agreed_on <= %s "
        "AND eh_later.version > eh_p.version)), "
        # For a goal not scaled itself, the goals it was carried from, nearest first, until one was scaled.
        "eh_carried (goal_id, scaled_id, depth, score) AS ("
        f"SELECT goal_id, carried_from_id, 1, {latest_scaling('carried_from_id')} FROM eh_goal "
        "WHERE own IS NULL AND carried_from_id IS NOT NULL "
        "UNION ALL SELECT eh_carried.goal_id, eh_g.carried_from_id, eh_carried.depth + 1, "
        f"{latest_scaling('eh_g.carried_from_id')} FROM eh_carried JOIN {goals} eh_g ON eh_g.id = eh_carried.scaled_id "
        "WHERE eh_carried.score IS NULL AND eh_g.carried_from_id IS NOT NULL AND eh_carried.depth < %s), "
        # Each goal with its own scaling, else the one found along the versions (at most one), else its baseline.
        "eh_scale (goal_id, episode_id, baseline, scale) AS ("
        "SELECT goal_id, MAX(episode_id), MAX(baseline), COALESCE(MAX(own), MAX(carried), MAX(baseline)) FROM ("
        "SELECT goal_id, episode_id, baseline, own, NULL AS carried FROM eh_goal "
        "UNION ALL SELECT goal_id, NULL, NULL, NULL, score FROM eh_carried WHERE score IS NOT NULL) eh_found "
        "GROUP BY goal_id), "
        "eh_progressing (episode_id) AS (SELECT episode_id FROM eh_scale GROUP BY episode_id "
        "HAVING SUM(CASE WHEN scale > baseline THEN 2 ELSE 0 END) >= COUNT(*)) "
    )
    params = (*episodes_params, end, end, end, end, end, CARRIED_VERSIONS)
    counts = (
        "COUNT(DISTINCT family_id), COUNT(DISTINCT CASE WHEN id IN (SELECT episode_id FROM eh_progressing) "
        "THEN family_id END) FROM eh_episode"
    )
    with connection.cursor() as cursor:
        cursor.execute(f"{progress}SELECT team_id, {counts} GROUP BY team_id", params)
        rows = {team: {"families": families, "progressing": n} for team, families, n in cursor.fetchall()}
        cursor.execute(f"{progress}SELECT {counts}", params)
        families, n = cursor.fetchone()
    rows[CITY] = {"families": families, "progressing": n}
    return rows


def _transfer_team():
    """A transfer's Local Area Team: its episode's, else its contact's, else the family's."""
    return Coalesce("episode__local_area_team", "contact__local_area_team", "family__local_area_team")


# The indicators --------------------------------------------------------------------------------------------------


def _a_multi_agency_plans(period: Period) -> Figures:
    rows = _by_team(_multi_agency_plan_episodes(period), "local_area_team", families=_distinct("family"))
    return _figures(rows, "families")


def _b_progress_against_goals(period: Period) -> Figures:
    return _figures(_progress_by_team(period), "progressing", "families")


def _c_satisfied(period: Period) -> Figures:
    from cases.models import Closure

    closures = Closure.objects.filter(
        status=Closure.Status.APPROVED,
        decided_at__gte=period.start_at,
        decided_at__lt=period.end_at,
        satisfaction__isnull=False,
    )
    rows = _by_team(closures, "episode__local_area_team", asked=Count("pk"), satisfied=_share(Q(satisfaction__gte=4)))
    return _figures(rows, "satisfied", "asked")


SOCIAL_CARE_OUTCOMES = ("nfa", "cin", "cp", "looked_after", "stepped_down")


def _d_assessments_nfa(period: Period) -> Figures:
    from cases.models import Transfer

    step_ups = Transfer.objects.filter(
        direction=Transfer.Direction.STEP_UP, outcome_on__gte=period.start, outcome_on__lte=period.end
    ).exclude(social_care_outcome="")
    parts = {outcome: _share(Q(social_care_outcome=outcome)) for outcome in SOCIAL_CARE_OUTCOMES}
    rows = _by_team(step_ups, _transfer_team(), outcomes=Count("pk"), **parts)
    return _figures(rows, "nfa", "outcomes", breakdown=SOCIAL_CARE_OUTCOMES)


def _e_re_referrals(period: Period) -> Figures:
    from referrals.models import Contact, MashDecision

    contacts = Contact.objects.filter(received_at__gte=period.start_at, received_at__lt=period.end_at).exclude(
        status=Contact.Status.DUPLICATE
    )
    rows = _by_team(
        contacts,
        "local_area_team",
        contacts=Count("pk"),
        re_referrals=_share(Q(re_referral=True)),
        social_care=_share(Q(re_referral=True, decision__outcome__in=MashDecision.STEP_UP)),
        targeted=_share(Q(re_referral=True, decision__outcome=MashDecision.Outcome.TARGETED)),
    )
    return _figures(rows, "re_referrals", "contacts", breakdown=("social_care", "targeted"))


def _f_cin_cp(period: Period) -> Figures:
    from cases.models import Transfer

    recorded = Transfer.objects.filter(direction=Transfer.Direction.STEP_UP, outcome_on__lte=period.end).exclude(
        social_care_outcome=""
    )
    latest = recorded.filter(family=OuterRef("family")).order_by("-outcome_on", "-id").values("pk")[:1]
    later_step_down = Transfer.objects.filter(
        family=OuterRef("family"),
        direction=Transfer.Direction.STEP_DOWN,
        created_at__date__gte=OuterRef("outcome_on"),
        created_at__lt=period.end_at,
    )
    on_plans = recorded.filter(pk=Subquery(latest), social_care_outcome__in=("cin", "cp")).exclude(
        Exists(later_step_down)
    )
    rows = _by_team(
        on_plans,
        _transfer_team(),
        families=_distinct("family"),
        cin=_distinct("family", social_care_outcome="cin"),
        cp=_distinct("family", social_care_outcome="cp"),
    )
    return _figures(rows, "families", breakdown=("cin", "cp"))


def _h_partner_led(period: Period) -> Figures:
    from assessments.models import EarlyHelpAssessment
    from cases.models import Episode, TafMeeting
    from locality.models import Agency

    assessments = EarlyHelpAssessment.objects.filter(
        completed_on__gte=period.start, completed_on__lte=period.end, organisation__isnull=False
    ).exclude(organisation__type=Agency.Type.LOCAL_AUTHORITY)
    meetings = TafMeeting.objects.filter(
        status=TafMeeting.Status.HELD,
        held_on__gte=period.start,
        held_on__lte=period.end,
        episode__pathway=Episode.Pathway.PARTNER_LED,
    )
    rows = _sum_rows(
        _by_team(assessments, "family__local_area_team", assessments=Count("pk")),
        _by_team(meetings, "episode__local_area_team", meetings=Count("pk")),
    )
    for row in rows.values():
        row.setdefault("assessments", 0)
        row.setdefault("meetings", 0)
        row["total"] = row["assessments"] + row["meetings"]
    return _figures(rows, "total", breakdown=("assessments", "meetings"))


def _audits_graded_good(kind: str) -> Callable[[Period], Figures]:
    def compute(period: Period) -> Figures:
        from reporting.models import CaseAudit

        audits = CaseAudit.objects.filter(kind=kind, audited_on__gte=period.start, audited_on__lte=period.end)
        rows = _by_team(audits, "local_area_team", audits=Count("pk"), good=_share(Q(grade=CaseAudit.Grade.GOOD)))
        return _figures(rows, "good", "audits")

    return compute


def _practitioners_trained(courses: tuple[str, ...], *, by_course: bool) -> Callable[[Period], Figures]:
    """Distinct practitioners (by e-mail address, ignoring case) who completed one of `courses` in the month."""

    def compute(period: Period) -> Figures:
        from reporting.models import TrainingRecord

        records = TrainingRecord.objects.filter(
            course__in=courses, completed_on__gte=period.start, completed_on__lte=period.end
        ).annotate(practitioner=Lower("practitioner_email"))
        parts = {course: _distinct("practitioner", course=course) for course in courses} if by_course else {}
        rows = _by_team(records, "local_area_team", practitioners=_distinct("practitioner"), **parts)
        return _figures(rows, "practitioners", breakdown=tuple(parts))

    return compute


def _mash_in_time(period: Period) -> Figures:
    from referrals.models import MashDecision

    decisions = MashDecision.objects.filter(decided_at__gte=period.start_at, decided_at__lt=period.end_at)
    rows = _by_team(
        decisions,
        Coalesce("local_area_team", "contact__local_area_team"),
        decisions=Count("pk"),
        in_time=_share(Q(decided_at__lte=F("contact__due_at"))),
    )
    return _figures(rows, "in_time", "decisions")


ASSESSMENT_DAYS = 45  # no timescale is set for an Early Help Assessment in the service; 45 days is the usual one


def _assessment_in_time(period: Period) -> Figures:
    from assessments.models import EarlyHelpAssessment

    assessments = EarlyHelpAssessment.objects.filter(completed_on__gte=period.start, completed_on__lte=period.end)
    deadline = ExpressionWrapper(F("started_on") + timedelta(days=ASSESSMENT_DAYS), output_field=DateField())
    rows = _by_team(
        assessments,
        "family__local_area_team",
        completed=Count("pk"),
        in_time=_share(Q(completed_on__lte=deadline)),
    )
    return _figures(rows, "in_time", "completed")


def _reviews_on_time(period: Period) -> Figures:
    from cases.models import TafMeeting

    due_by = min(period.end, timezone.localdate())  # in the month in progress, only reviews due by today
    reviews = TafMeeting.objects.filter(
        kind=TafMeeting.Kind.REVIEW, due_on__gte=period.start, due_on__lte=due_by
    ).exclude(status=TafMeeting.Status.CANCELLED)
    rows = _by_team(
        reviews,
        "episode__local_area_team",
        due=Count("pk"),
        on_time=_share(Q(status=TafMeeting.Status.HELD, held_on__lte=F("due_on"))),
    )
    return _figures(rows, "on_time", "due")


def _intervention_length(period: Period) -> Figures:
    from cases.models import Intervention

    ended = Intervention.objects.filter(
        status__in=(Intervention.Status.COMPLETED, Intervention.Status.ENDED_EARLY),
        ended_on__gte=period.start,
        ended_on__lte=period.end,
    )
    length = ExpressionWrapper(F("ended_on") - F("started_on"), output_field=DurationField())
    rows = _by_team(ended, "episode__local_area_team", interventions=Count("pk"), length=Sum(length))
    for row in rows.values():
        row["days"] = row["length"].days if row["length"] is not None else 0
    return _figures(rows, "days", "interventions")


def _step_up_rate(period: Period) -> Figures:
    from cases.models import Closure, Transfer

    step_ups = Transfer.objects.filter(
        direction=Transfer.Direction.STEP_UP,
        episode__isnull=False,
        created_at__gte=period.start_at,
        created_at__lt=period.end_at,
    )
    closures = Closure.objects.filter(
        status=Closure.Status.APPROVED, decided_at__gte=period.start_at, decided_at__lt=period.end_at
    )
    rows = _sum_rows(
        _by_team(
            step_ups,
            "episode__local_area_team",
            ended=Count("episode", distinct=True),
            stepped_up=Count("episode", distinct=True),
        ),
        _by_team(
            closures,
            "episode__local_area_team",
            ended=Count("pk"),
            stepped_up=_share(Q(reason=Closure.Reason.STEPPED_UP)),
        ),
    )
    return _figures(rows, "stepped_up", "ended")


def _step_down_rate(period: Period) -> Figures:
    from cases.models import Episode

    started = Episode.objects.filter(requested_at__gte=period.start_at, requested_at__lt=period.end_at)
    rows = _by_team(
        started, "local_area_team", started=Count("pk"), stepped_down=_share(Q(route=Episode.Route.STEP_DOWN))
    )
    return _figures(rows, "stepped_down", "started")


def _g_contacts_for_local_area_teams(period: Period) -> Figures:
    from referrals.models import MashDecision

    decisions = MashDecision.objects.filter(
        decided_at__gte=period.start_at, decided_at__lt=period.end_at, outcome=MashDecision.Outcome.TARGETED
    )
    return {team: Figure(numerator=n) for team, n in counts_by_team(decisions, "local_area_team").items()}


SOCIAL_CARE_OUTCOME_LABELS = {
    "nfa": "No further action",
    "cin": "Child in need plan",
    "cp": "Child protection plan",
    "looked_after": "Became looked after",
    "stepped_down": "Stepped down to early help",
}

INDICATORS: dict[str, Indicator] = {
    indicator.code: indicator
    for indicator in (
        Indicator(
            "a",
            "Families supported through a multi-agency whole-family plan",
            "Families with an episode of early help open at any time in the month (requested before the month "
            "ended and not closed, stepped up or transferred out before it began) that has a plan agreed by the "
            "end of the month and a Team Around the Family with members from at least two agencies during the "
            "month. An episode ends when its closure is approved, when its step-up to children's social care is "
            "recorded, or when its record first shows it transferred out; later changes to it do not move that "
            "date. Each family is counted once, for the Local Area Team of its episode.",
            "count",
            _a_multi_agency_plans,
        ),
        Indicator(
            "b",
            "Families making progress against their goals",
            "Of the families in indicator a, the share whose goals moved up the 0 to 10 scale: for at least half "
            "the goals on the plan in force at the end of the month, the latest scaling recorded by then is "
            "above the goal's baseline (its first scaling). A goal carried into a new version of the plan keeps "
            "its last scaling from the earlier versions until it is scaled again. Given to the Local Area Team "
            "of the family's episode.",
            "percent",
            _b_progress_against_goals,
        ),
        Indicator(
            "c",
            "Families satisfied with support",
            "Closures approved in the month where the family said how satisfied they were (1 to 5): the share "
            "that answered 4 or 5 (satisfied or very satisfied). Given to the Local Area Team of the closed "
            "episode.",
            "percent",
            _c_satisfied,
        ),
        Indicator(
            "d",
            "Social work assessments after a step-up ending in no further action",
            "Step-ups to children's social care whose outcome was recorded with a date in the month: the share "
            "where the assessment ended in no further action (the other outcomes are shown in the breakdown). "
            "Given to the Local Area Team of the episode stepped up, or of the contact the MASH stepped up, or "
            "else of the family.",
            "percent",
            _d_assessments_nfa,
            breakdown_labels=SOCIAL_CARE_OUTCOME_LABELS,
        ),
        Indicator(
            "e",
            "Re-referrals",
            "Contacts received by the MASH in the month (not counting duplicates): the share that are "
            "re-referrals, because a child named had another contact in the 12 months before. The breakdown "
            "counts the re-referrals the MASH decided to send to children's social care (assessment, strategy "
            "discussion or immediate protection) and to targeted early help. Given to the Local Area Team "
            "covering the children's address; contacts from outside the city count in the city figure only.",
            "percent",
            _e_re_referrals,
            breakdown_labels={"social_care": "To children's social care", "targeted": "To targeted early help"},
        ),
        Indicator(
            "f",
            "Families on child in need and child protection plans",
            "Families on the last day of the month whose most recent step-up outcome recorded by then is a child "
            "in need plan or a child protection plan, and who have not been stepped down to early help since "
            "that outcome. Given to the Local Area Team of the episode stepped up, or of the contact the MASH "
            "stepped up, or else of the family.",
            "count",
            _f_cin_cp,
            breakdown_labels={"cin": "Child in need plan", "cp": "Child protection plan"},
        ),
        Indicator(
            "g",
            "Contacts requesting a service from a Local Area Team",
            "Contacts the MASH decided in the month with the outcome targeted early help, given to the Local Area "
            "Team the MASH passed them to.",
            "count",
            _g_contacts_for_local_area_teams,
        ),
        Indicator(
            "h",
            "Partner-led assessments and TAF meetings",
            "Early Help Assessments completed in the month by an organisation other than the local authority, "
            "plus Team Around the Family meetings held in the month on partner-led episodes. An assessment is "
            "given to the family's Local Area Team, a meeting to its episode's Local Area Team.",
            "count",
            _h_partner_led,
            breakdown_labels={"assessments": "Assessments", "meetings": "TAF meetings"},
        ),
        Indicator(
            "i",
            "Case audits of assessments and plans graded good practice",
            "Audits of an assessment and plan carried out in the month: the share graded good practice. Given "
            "to the Local Area Team recorded on the audit.",
            "percent",
            _audits_graded_good("assessment_plan"),
        ),
        Indicator(
            "j",
            "Case audits of Child and Family Support direct work graded good practice",
            "Audits of Child and Family Support direct work carried out in the month: the share graded good "
            "practice. Given to the Local Area Team recorded on the audit.",
            "percent",
            _audits_graded_good("direct_work"),
        ),
        Indicator(
            "k",
            "Practitioners trained in understanding parental conflict",
            "Practitioners who completed the understanding parental conflict course in the month, each counted "
            "once (by e-mail address). Given to the Local Area Team on the training record; practitioners in "
            "city-wide services count in the city figure only.",
            "count",
            _practitioners_trained(("parental_conflict",), by_course=False),
        ),
        Indicator(
            "l",
            "Practitioners trained in early help courses",
            "Practitioners who completed a neglect, domestic abuse or mental health course in the month, each "
            "counted once (by e-mail address) however many of the courses they took; the breakdown counts them "
            "per course. Given to the Local Area Team on the training record; practitioners in city-wide "
            "services count in the city figure only.",
            "count",
            _practitioners_trained(("neglect", "domestic_abuse", "mental_health"), by_course=True),
            breakdown_labels={
                "neglect": "Neglect",
                "domestic_abuse": "Domestic abuse",
                "mental_health": "Mental health",
            },
        ),
        Indicator(
            "mash_in_time",
            "MASH decisions made within time",
            "MASH decisions made in the month: the share made by the time the contact's decision was due (set "
            "by its RAG rating in working time). Given to the Local Area Team the MASH passed the contact to, or "
            "else the team covering the children's address; contacts from outside the city count in the city "
            "figure only.",
            "percent",
            _mash_in_time,
        ),
        Indicator(
            "assessment_in_time",
            "Early Help Assessments completed within time",
            f"Early Help Assessments completed in the month: the share completed within {ASSESSMENT_DAYS} "
            "calendar days of being started (the service sets no other timescale). Given to the family's Local "
            "Area Team.",
            "percent",
            _assessment_in_time,
        ),
        Indicator(
            "reviews_on_time",
            "TAF reviews held on time",
            "Team Around the Family reviews due in the month (not counting cancelled ones): the share held on or "
            "before the day they were due. A review not yet held counts as late. In the month in progress only "
            "reviews due by today count. Given to the Local Area Team of the review's episode.",
            "percent",
            _reviews_on_time,
        ),
        Indicator(
            "intervention_length",
            "Length of Child and Family Support interventions",
            "Child and Family Support interventions that ended in the month (completed or ended early): the "
            "average number of days from their start to their end. Given to the Local Area Team of the "
            "intervention's episode.",
            "average",
            _intervention_length,
            average_of="days",
        ),
        Indicator(
            "step_up_rate",
            "Episodes ending in a step-up",
            "Episodes of early help that ended in the month, by a step-up to children's social care or by an "
            "approved closure: the share that ended in a step-up (a step-up recorded on the episode, or a "
            "closure for the reason stepped up). Given to the Local Area Team of the episode.",
            "percent",
            _step_up_rate,
        ),
        Indicator(
            "step_down_rate",
            "New episodes stepped down from children's social care",
            "Episodes of early help requested in the month: the share that came as a step-down from children's "
            "social care. Given to the Local Area Team of the episode.",
            "percent",
            _step_down_rate,
        ),
    )
}


def compute(period: Period, codes: list[str] | None = None) -> dict[str, Figures]:
    """Every indicator's figures (or those in `codes`) for `period`, per team and city-wide."""
    return {code: indicator.compute(period) for code, indicator in INDICATORS.items() if codes is None or code in codes}
