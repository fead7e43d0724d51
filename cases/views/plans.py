"""Pages for the family plan: versions, goals and their scaling, actions, and "My actions"."""

from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from cases.forms.plans import ActionForm, GoalForm, GoalScoreForm, PlanAgreeForm, PlanEditForm, PlanStartForm
from cases.models import Action, FamilyPlan, Goal
from cases.selectors import plans as selectors
from cases.selectors.episodes import episode_get
from cases.services import plans as services
from cases.services.episodes import EpisodeError
from earlyhelp.audit.services import access_event_record
from earlyhelp.core import perms
from earlyhelp.core.forms import errors_from_validation
from earlyhelp.core.locking import StaleEdit
from earlyhelp.core.submit_once import submit_once

PER_PAGE = 25


def _posted(request: HttpRequest):
    return request.POST if request.method == "POST" else None


def _refusal(plan: FamilyPlan) -> str:
    """Why `plan` cannot be changed now, or "" if it can (the services refuse the same things)."""
    if not plan.episode.is_open:
        return f"This episode is {plan.episode.get_status_display().lower()}, so its records can no longer be changed"
    if plan.status == FamilyPlan.Status.SUPERSEDED:
        return services.SUPERSEDED_READ_ONLY
    return ""


def _display(field: forms.Field, value) -> str:
    if value is None or value == "":
        return ""
    if isinstance(field, forms.ModelChoiceField):
        return field.label_from_instance(value)
    if isinstance(field, forms.ChoiceField):
        return str(dict(field.choices).get(value, value))
    if hasattr(value, "strftime"):
        return value.strftime("%-d %B %Y")
    return str(value)


def _typed(form: forms.Form) -> list[tuple[str, str]]:
    """What the person typed, to show back to them when their save was refused as stale."""
    return [
        (field.label or name, _display(field, form.cleaned_data.get(name)))
        for name, field in form.fields.items()
        if not field.widget.is_hidden and name in form.cleaned_data
    ]


def _form_page(
    request: HttpRequest,
    *,
    plan: FamilyPlan,
    form: forms.Form,
    template: str,
    save: Callable[[dict], object],
    success: str,
    current: Callable[[], forms.Form] | None = None,
    context: dict | None = None,
) -> HttpResponse:
    """The shape every plan page shares: refuse if the plan is read-only, validate, call the service, say what
    happened. A stale save shows the current version, who changed it and when, and what the person typed."""
    refusal = _refusal(plan)
    page = {"plan": plan, "refusal": refusal, **(context or {})}
    if request.method == "POST" and form.is_valid():
        if refusal:
            form.add_error(None, refusal)
        else:
            try:
                save(form.cleaned_data)
            except StaleEdit as stale:
                page.update(stale=str(stale), typed=_typed(form))
                form = current()
            except ValidationError as error:
                errors_from_validation(form, error)
            except EpisodeError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, success)
                return redirect("cases:plan_detail", uuid=plan.uuid)
    return render(request, template, {**page, "form": form})


@login_required
@permission_required(perms.EDIT_PLAN, raise_exception=True)
@require_http_methods(["GET", "POST"])
@submit_once
def plan_new(request: HttpRequest, uuid) -> HttpResponse:
    """Start the plan: the first version from the assessment's needs, a later one copied from the agreed plan."""
    episode = episode_get(user=request.user, uuid=uuid)
    draft = selectors.plan_draft_for(episode=episode)
    agreed = selectors.plan_agreed_for(episode=episode)
    assessment = None if agreed else selectors.plan_source_assessment(episode=episode)
    suggestions = selectors.plan_goal_suggestions(user=request.user, assessment=assessment) if not draft else []
    form = PlanStartForm(
        _posted(request), suggestions=suggestions, initial={"summary": agreed.summary if agreed else ""}
    )
    refusal = ""
    if not episode.is_open:
        refusal = f"This episode is {episode.get_status_display().lower()}, so its plan can no longer be changed"
    elif draft:
        refusal = services.DRAFT_EXISTS
    if request.method == "POST" and form.is_valid():
        try:
            plan = services.plan_create(
                user=request.user,
                episode=episode,
                summary=form.cleaned_data["summary"],
                goals=[services.GoalDraft(**row) for row in form.goal_rows()],
            )
        except ValidationError as error:
            errors_from_validation(form, error)
        except EpisodeError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Draft plan version {plan.version} started. Agree it with the family next.")
            return redirect("cases:plan_detail", uuid=plan.uuid)
    context = {
        "episode": episode,
        "form": form,
        "draft": draft,
        "agreed": agreed,
        "assessment": assessment,
        "copy_counts": selectors.plan_copy_counts(plan=agreed) if agreed else None,
        "refusal": refusal,
    }
    return render(request, "cases/plans/plan_new.html", context)


@login_required
@permission_required(perms.VIEW_FAMILY, raise_exception=True)
def plan_detail(request: HttpRequest, uuid) -> HttpResponse:
    """The plan: goals with their scale and history, actions by goal, the team, and the other versions."""
    plan = selectors.plan_page(user=request.user, uuid=uuid)
    access_event_record(user=request.user, action="view", obj=plan, request=request)
    refusal = _refusal(plan)
    context = {
        "plan": plan,
        "refusal": refusal,
        "may_edit": request.user.has_perm(perms.EDIT_PLAN) and not refusal,
        "scale": range(11),
    }
    return render(request, "cases/plans/plan_detail.html", context)


@login_required
@permission_required(perms.EDIT_PLAN, raise_exception=True)
@require_http_methods(["GET", "POST"])
@submit_once
def plan_edit(request: HttpRequest, uuid) -> HttpResponse:
    plan = selectors.plan_get(user=request.user, uuid=uuid)

    def current() -> PlanEditForm:
        fresh = FamilyPlan.objects.get(pk=plan.pk)
        return PlanEditForm(initial={"summary": fresh.summary, "lock_version": fresh.lock_version})

    form = PlanEditForm(_posted(request), initial={"summary": plan.summary, "lock_version": plan.lock_version})
    return _form_page(
        request,
        plan=plan,
        form=form,
        template="cases/plans/plan_edit.html",
        save=lambda data: services.plan_edit(user=request.user, plan=plan, **data),
        success="The plan's summary is saved.",
        current=current,
    )


@login_required
@permission_required(perms.EDIT_PLAN, raise_exception=True)
@require_http_methods(["GET", "POST"])
def plan_agree(request: HttpRequest, uuid) -> HttpResponse:
    """Record that the family and the lead practitioner agreed a draft; it replaces the agreed version."""
    plan = selectors.plan_get(user=request.user, uuid=uuid)
    goal_count = plan.goals.count()
    blocker = ""
    if plan.status != FamilyPlan.Status.DRAFT:
        blocker = f"This version is {plan.get_status_display().lower()}: only a draft can be agreed"
    elif not goal_count:
        blocker = "Add at least one goal before the plan is agreed"
    return _form_page(
        request,
        plan=plan,
        form=PlanAgreeForm(_posted(request)),
        template="cases/plans/plan_agree.html",
        save=lambda data: services.plan_agree(user=request.user, plan=plan, **data),
        success=f"Plan version {plan.version} is agreed. It is now the family's plan.",
        context={"blocker": blocker, "goal_count": goal_count},
    )


def _goal_form(user, plan: FamilyPlan, data=None, goal: Goal | None = None, **kwargs) -> GoalForm:
    """The goal form. Editing a goal about someone `user` may not see (or linked to a need they may not see), that
    field is left off and the goal keeps it: the lists offer only what `user` may see, so a save would lose it."""
    people = selectors.plan_people(user=user, plan=plan)
    needs = selectors.plan_needs(user=user, plan=plan)
    if goal is not None:
        if goal.person_id and not people.filter(pk=goal.person_id).exists():
            kwargs["kept_person"] = goal.person
        if goal.need_id and not needs.filter(pk=goal.need_id).exists():
            kwargs["kept_need"] = goal.need
    return GoalForm(data, people=people, needs=needs, **kwargs)


@login_required
@permission_required(perms.EDIT_PLAN, raise_exception=True)
@require_http_methods(["GET", "POST"])
@submit_once
def goal_add(request: HttpRequest, uuid) -> HttpResponse:
    plan = selectors.plan_get(user=request.user, uuid=uuid)
    return _form_page(
        request,
        plan=plan,
        form=_goal_form(request.user, plan, _posted(request)),
        template="cases/plans/goal_form.html",
        save=lambda data: services.goal_add(user=request.user, plan=plan, **data),
        success="Goal added to the plan.",
    )


def _goal_initial(goal: Goal) -> dict:
    fields = ("text", "person", "need", "baseline", "target", "status", "lock_version")
    return {name: getattr(goal, f"{name}_id" if name in ("person", "need") else name) for name in fields}


@login_required
@permission_required(perms.EDIT_PLAN, raise_exception=True)
@require_http_methods(["GET", "POST"])
@submit_once
def goal_edit(request: HttpRequest, uuid) -> HttpResponse:
    goal = selectors.goal_get(user=request.user, uuid=uuid)
    plan = goal.plan

    def current() -> GoalForm:
        fresh = Goal.objects.select_related("person", "need").get(pk=goal.pk)
        return _goal_form(request.user, plan, goal=fresh, editing=True, initial=_goal_initial(fresh))

    return _form_page(
        request,
        plan=plan,
        form=_goal_form(request.user, plan, _posted(request), goal=goal, editing=True, initial=_goal_initial(goal)),
        template="cases/plans/goal_form.html",
        save=lambda data: services.goal_edit(user=request.user, goal=goal, **data),
        success="Goal saved.",
        current=current,
        context={"goal": goal},
    )


@login_required
@permission_required(perms.EDIT_PLAN, raise_exception=True)
@require_http_methods(["GET", "POST"])
@submit_once
def goal_score(request: HttpRequest, uuid) -> HttpResponse:
    """Scale a goal 0 to 10: a new point in its history, and its latest score."""
    goal = selectors.goal_get(user=request.user, uuid=uuid)
    history = list(goal.scores.select_related("recorded_by", "meeting"))
    return _form_page(
        request,
        plan=goal.plan,
        form=GoalScoreForm(_posted(request)),
        template="cases/plans/goal_score.html",
        save=lambda data: services.goal_score(user=request.user, goal=goal, **data),
        success="Score recorded.",
        context={"goal": goal, "history": history},
    )


def _action_form(
    request: HttpRequest, plan: FamilyPlan, *, data=None, owner=None, action: Action | None = None, **kwargs
) -> ActionForm:
    """The action form. Editing an action owned by someone in the family `request.user` may not see, they are not
    offered or named, and the action keeps them as its owner unless another owner is chosen."""
    people = selectors.plan_people(user=request.user, plan=plan)
    if action is not None and action.owner_person_id and not people.filter(pk=action.owner_person_id).exists():
        kwargs["kept_person"] = action.owner_person
    return ActionForm(
        data,
        goals=plan.goals.all(),
        practitioners=selectors.action_practitioners(episode=plan.episode, include=owner),
        agencies=selectors.action_agencies(),
        people=people,
        **kwargs,
    )


@login_required
@permission_required(perms.EDIT_PLAN, raise_exception=True)
@require_http_methods(["GET", "POST"])
@submit_once
def action_add(request: HttpRequest, uuid) -> HttpResponse:
    plan = selectors.plan_get(user=request.user, uuid=uuid)
    form = _action_form(request, plan, data=_posted(request))
    return _form_page(
        request,
        plan=plan,
        form=form,
        template="cases/plans/action_form.html",
        save=lambda data: services.action_add(
            user=request.user,
            plan=plan,
            what=data["what"],
            goal=data["goal"],
            due_on=data["due_on"],
            **form.owner_fields(),
        ),
        success="Action added to the plan.",
    )


@login_required
@permission_required(perms.EDIT_PLAN, raise_exception=True)
@require_http_methods(["GET", "POST"])
@submit_once
def action_edit(request: HttpRequest, uuid) -> HttpResponse:
    action = selectors.action_get(user=request.user, uuid=uuid)
    plan = action.plan
    form = _action_form(
        request,
        plan,
        data=_posted(request),
        owner=action.owner_user_id,
        action=action,
        editing=True,
        initial=ActionForm.initial_for(action),
    )

    def current() -> ActionForm:
        fresh = Action.objects.select_related("owner_person").get(pk=action.pk)
        return _action_form(
            request,
            plan,
            owner=fresh.owner_user_id,
            action=fresh,
            editing=True,
            initial=ActionForm.initial_for(fresh),
        )

    def save(data: dict) -> None:
        services.action_edit(
            user=request.user,
            action=action,
            what=data["what"],
            goal=data["goal"],
            due_on=data["due_on"],
            status=data["status"],
            lock_version=data["lock_version"],
            **form.owner_fields(),
        )

    return _form_page(
        request,
        plan=plan,
        form=form,
        template="cases/plans/action_form.html",
        save=save,
        success="Action saved.",
        current=current,
        context={"action": action},
    )


@login_required
@permission_required(perms.VIEW_FAMILY, raise_exception=True)
def my_actions(request: HttpRequest) -> HttpResponse:
    """Actions I own, or my agency owns in a Team Around the Family I belong to, soonest due first."""
    page = Paginator(selectors.my_actions(user=request.user), PER_PAGE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    for action in page.object_list:
        action.overdue = selectors.action_is_overdue(action, today)
    return render(request, "cases/plans/my_actions.html", {"page": page})


urlpatterns: list = [
    path("episodes/<uuid:uuid>/plans/new/", plan_new, name="plan_new"),
    path("plans/<uuid:uuid>/", plan_detail, name="plan_detail"),
    path("plans/<uuid:uuid>/edit/", plan_edit, name="plan_edit"),
    path("plans/<uuid:uuid>/agree/", plan_agree, name="plan_agree"),
    path("plans/<uuid:uuid>/goals/add/", goal_add, name="goal_add"),
    path("goals/<uuid:uuid>/edit/", goal_edit, name="goal_edit"),
    path("goals/<uuid:uuid>/score/", goal_score, name="goal_score"),
    path("plans/<uuid:uuid>/actions/add/", action_add, name="action_add"),
    path("actions/<uuid:uuid>/edit/", action_edit, name="action_edit"),
    path("my-actions/", my_actions, name="my_actions"),
]
