"""Forms for the Team Around the Family: inviting a practitioner, planning a meeting and recording it.

Fields check their own shape; `cases.services.taf` decides what the rules allow.
"""

from crispy_forms_gds.layout import Field, Fieldset, Size
from django import forms
from django.utils import timezone

from cases.models import TafAttendance, TafMeeting, TafMember
from cases.services.taf import FUTURE_HELD
from earlyhelp.core.forms import GovDateField, gov_form_helper

NOTES_MAX = 8000
NAME_MAX = 150
OTHERS_MAX = 20
SCALE = [(str(n), str(n)) for n in range(11)]


def practitioner_label(user) -> str:
    """How a practitioner is offered: name, job title, agency."""
    return ", ".join(part for part in (user.full_name, user.job_title, str(user.agency or "")) if part)


def _goal_for(goal) -> str:
    """Who a goal is for, without naming a family member the reader may not see."""
    if getattr(goal, "person_hidden", False):
        return "someone in the family"
    return goal.person.full_name if goal.person_id else "the whole family"


class TafInviteForm(forms.Form):
    practitioner = forms.ModelChoiceField(
        queryset=None,
        label="Practitioner",
        empty_label="Choose a practitioner",
        help_text="Listed by agency, then by name",
        error_messages={
            "required": "Choose the practitioner to invite",
            "invalid_choice": "Choose a practitioner from the list",
        },
    )
    role = forms.CharField(
        label="Their role in the team",
        max_length=TafMember._meta.get_field("role").max_length,
        help_text="For example, school nurse or class teacher",
        error_messages={
            "required": "Enter their role in the team, for example school nurse",
            "max_length": "Their role must be 150 characters or fewer",
        },
    )

    def __init__(self, *args, practitioners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["practitioner"].queryset = practitioners
        self.fields["practitioner"].label_from_instance = practitioner_label
        self.helper = gov_form_helper(Field.select("practitioner"), Field.text("role", field_width=20))


class MeetingPlanForm(forms.Form):
    kind = forms.ChoiceField(
        label="Type of meeting",
        choices=TafMeeting.Kind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select the type of meeting", "invalid_choice": "Select the type of meeting"},
    )
    due_on = GovDateField(
        label="Date the meeting is due",
        required=False,
        help_text="Leave it blank to use the date it is due by the rules, shown above. For example, 27 3 2027",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = gov_form_helper(
            Field.radios("kind", legend_size=Size.SMALL, small=True),
            Field("due_on", context={"legend_size": Size.for_legend(Size.SMALL)}),
        )


class MeetingRecordForm(forms.Form):
    """A meeting held: attendance for each practitioner and family member, each open goal scaled 0 to 10,
    the result and the decision. The attendance and scale fields are named by the record they are about."""

    held_on = GovDateField(label="Date the meeting was held", help_text="For example, 27 3 2027")
    family_present = forms.BooleanField(label="The family was at the meeting", required=False)
    others = forms.CharField(
        label="Anyone else who attended (optional)",
        required=False,
        max_length=OTHERS_MAX * (NAME_MAX + 2),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One name on each line, for example a grandparent or an interpreter",
        error_messages={"max_length": "The list of others who attended is too long"},
    )
    result = forms.ChoiceField(
        label="How have things changed for the family?",
        choices=TafMeeting.Result.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Select how things have changed for the family",
            "invalid_choice": "Select how things have changed for the family",
        },
    )
    decision = forms.ChoiceField(
        label="What did the meeting decide?",
        choices=TafMeeting.Decision.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Select what the meeting decided",
            "invalid_choice": "Select what the meeting decided",
        },
    )
    notes = forms.CharField(
        label="Notes (optional)",
        required=False,
        max_length=NOTES_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"max_length": f"Keep the notes to {NOTES_MAX:,} characters"},
    )
    next_review_due = GovDateField(
        label="Next review due",
        required=False,
        help_text="Needed unless the meeting decided to close or to step up. Change it if the team agreed another date",
    )

    def __init__(self, *args, practitioners, people, goals, **kwargs):
        super().__init__(*args, **kwargs)
        self.practitioners, self.people, self.goals = practitioners, people, goals
        for user in practitioners:
            self.fields[f"practitioner_{user.pk}"] = self._attended(practitioner_label(user), user.full_name)
        for person in people:
            self.fields[f"person_{person.pk}"] = self._attended(person.full_name, person.full_name)
        for goal in goals:
            message = f"Give the goal “{str(goal)[:60]}” a score from 0 to 10"
            self.fields[f"goal_{goal.pk}"] = forms.TypedChoiceField(
                label=goal.text,
                choices=SCALE,
                coerce=int,
                widget=forms.RadioSelect,
                help_text=f"For {_goal_for(goal)}. At the start {goal.baseline}, target "
                f"{goal.target}, last scaled {goal.latest}",
                error_messages={"required": message, "invalid_choice": message},
            )
        self.helper = gov_form_helper(*self._layout())

    @staticmethod
    def _attended(label: str, name: str) -> forms.ChoiceField:
        message = f"Select whether {name} attended"
        return forms.ChoiceField(
            label=label,
            choices=TafAttendance.Attended.choices,
            widget=forms.RadioSelect,
            error_messages={"required": message, "invalid_choice": message},
        )

    def _radios(self, prefix: str) -> list:
        return [
            Field.radios(name, legend_size=Size.SMALL, small=True, inline=True)
            for name in self.fields
            if name.startswith(prefix)
        ]

    def _layout(self) -> list:
        layout = [Field("held_on", context={"legend_size": Size.for_legend(Size.SMALL)})]
        if self.practitioners:
            layout.append(Fieldset(*self._radios("practitioner_"), legend="Practitioners", legend_size=Size.MEDIUM))
        if self.people:
            layout.append(Fieldset(*self._radios("person_"), legend="The family", legend_size=Size.MEDIUM))
        layout += [Field.checkbox("family_present", small=True), Field.textarea("others")]
        if self.goals:
            layout.append(
                Fieldset(
                    *self._radios("goal_"),
                    legend="Scaling: where is each goal now, from 0 to 10?",
                    legend_size=Size.MEDIUM,
                )
            )
        layout += [
            Field.radios("result", legend_size=Size.MEDIUM, small=True),
            Field.radios("decision", legend_size=Size.MEDIUM, small=True),
            Field.textarea("notes"),
            Field("next_review_due", context={"legend_size": Size.for_legend(Size.SMALL)}),
        ]
        return layout

    def clean_held_on(self):
        held_on = self.cleaned_data["held_on"]
        if held_on and held_on > timezone.localdate():
            raise forms.ValidationError(FUTURE_HELD)
        return held_on

    def clean_others(self) -> list[str]:
        names = [" ".join(line.split()) for line in self.cleaned_data["others"].splitlines()]
        names = [name for name in names if name]
        if len(names) > OTHERS_MAX:
            raise forms.ValidationError(f"List at most {OTHERS_MAX} other people")
        if any(len(name) > NAME_MAX for name in names):
            raise forms.ValidationError(f"Each name must be {NAME_MAX} characters or fewer")
        return names

    def record_fields(self) -> dict:
        """The cleaned data in the shape `meeting_record` takes."""
        data = self.cleaned_data
        return {
            "held_on": data["held_on"],
            "family_present": data["family_present"],
            "result": data["result"],
            "decision": data["decision"],
            "notes": data["notes"],
            "next_review_due": data["next_review_due"],
            "others": data["others"],
            "practitioners": {u: data[f"practitioner_{u.pk}"] for u in self.practitioners},
            "people": {p: data[f"person_{p.pk}"] for p in self.people},
            "scores": {g: data[f"goal_{g.pk}"] for g in self.goals},
        }
