"""Forms for the front door. Fields check their own shape; services decide what the rules allow."""

import re
from datetime import datetime, time, timedelta

from crispy_forms_gds.layout import Field, Fieldset, Size
from django import forms
from django.utils import timezone

from cases.models import NAME_MAX
from consent.models import ConsentRecord
from earlyhelp.core.codes import LevelOfNeed
from earlyhelp.core.forms import GovDateField, ModelChoicesField, gov_form_helper, gov_text_field, query_form_helper
from earlyhelp.core.validators import validate_postcode
from locality.models import Agency
from referrals.models import ConcernFlag, Contact, ContactSource, MashDecision, Rag

NEW_CHILD_ROWS = 3
TIME_FORMAT = re.compile(r"^([01]?\d|2[0-3])[:.]([0-5]\d)$")

# The DfE source a practitioner's referral is given from their agency's type; they can change it.
SOURCE_FOR_AGENCY = {
    Agency.Type.SCHOOL: ContactSource.SCHOOLS,
    Agency.Type.EARLY_YEARS: ContactSource.EDUCATION_SERVICES,
    Agency.Type.HEALTH: ContactSource.OTHER_HEALTH,
    Agency.Type.GP: ContactSource.GP,
    Agency.Type.POLICE: ContactSource.POLICE,
    Agency.Type.HOUSING: ContactSource.HOUSING,
    Agency.Type.LOCAL_AUTHORITY: ContactSource.LA_EARLY_HELP,
    Agency.Type.VOLUNTARY: ContactSource.OTHER,
}


def _short(label: str, required: bool = False, max_length: int = 150, message: str = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=max_length,
        error_messages={"required": message or f"Enter the {label.lower()}", "max_length": f"{label} is too long"},
    )


def _radios(label: str, choices, message: str, required: bool = True) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label, choices=choices, widget=forms.RadioSelect, required=required, error_messages={"required": message}
    )


class ContactForm(forms.Form):
    """A contact or referral. Practitioners refer from a family page; the MASH also records who called, when
    and how, and may record children who have no record yet."""

    children = ModelChoicesField(
        queryset=None,
        required=False,
        label="Which children is the concern about?",
        widget=forms.CheckboxSelectMultiple,
    )
    concern = gov_text_field("What is the concern?", message="Describe the concern", rows=8)
    source = forms.ChoiceField(
        label="Source of the contact",
        choices=[("", "Choose a source"), *ContactSource.choices],
        error_messages={"required": "Choose where the contact came from"},
    )
    family_aware = _radios(
        "Does the family know about this contact?", Contact.FamilyAware.choices, "Say whether the family knows"
    )
    consent_status = _radios(
        "Has the family consented to the referral?", Contact.ConsentStatus.choices, "Say whether consent was given"
    )
    consent_reason = gov_text_field("Why was consent refused or not sought?", required=False, rows=3)
    assessment = forms.ModelChoiceField(queryset=None, required=False, label="Attach an assessment", empty_label="None")
    requested_level = forms.TypedChoiceField(
        label="What level of need do you think applies?",
        choices=[("", "Not sure"), *LevelOfNeed.choices],
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )
    referrer_role = _short("Your role")
    referrer_telephone = _short("Telephone number", max_length=40)

    def __init__(self, *args, children=None, assessments=None, mash: bool = False, new_family: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.mash, self.new_family = mash, new_family
        layout = []
        if new_family:
            del self.fields["children"], self.fields["assessment"]
            layout.extend(self._add_new_family_fields())
        else:
            self.fields["children"].queryset = children
            self.fields["children"].label_from_instance = _child_label
            self.fields["assessment"].queryset = assessments
            self.fields["assessment"].label_from_instance = lambda a: f"{a} ({a.get_status_display().lower()})"
            layout.append(Field.checkboxes("children", legend_size=Size.SMALL, small=True))
        if mash:
            layout.extend(self._add_mash_fields())
        layout.extend(
            [
                Field.textarea("concern"),
                Field.select("source"),
                Field.radios("family_aware", legend_size=Size.SMALL, inline=True),
                Field.radios("consent_status", legend_size=Size.SMALL, inline=True),
                Field.textarea("consent_reason"),
            ]
        )
        if not new_family:
            layout.append(Field.select("assessment"))
        layout.append(Field.radios("requested_level", legend_size=Size.SMALL, small=True))
        if not mash:
            layout.extend([Field.text("referrer_role"), Field.text("referrer_telephone", field_width=20)])
        self.helper = gov_form_helper(*layout)
        # Errors are listed in the summary in the order the fields appear on the page (GOV.UK pattern).
        self.order_fields([pointer.name for pointer in self.helper.layout.get_field_names()])

    def _add_new_family_fields(self) -> list:
        self.fields["family_name"] = _short("Family name", required=True, max_length=NAME_MAX)
        self.fields["address_line_1"] = _short("Address", required=False, max_length=200)
        self.fields["postcode"] = forms.CharField(
            label="Postcode",
            max_length=8,
            validators=[validate_postcode],
            error_messages={"required": "Enter the postcode where the children live"},
        )
        layout = [
            Fieldset(
                Field.text("family_name"),
                Field.text("address_line_1"),
                Field.text("postcode", field_width=10),
                legend="The family",
                legend_size=Size.MEDIUM,
            )
        ]
        for row in range(1, NEW_CHILD_ROWS + 1):
            self.fields[f"child_{row}_first_name"] = _short("First name", max_length=NAME_MAX)
            self.fields[f"child_{row}_last_name"] = _short("Last name", max_length=NAME_MAX)
            self.fields[f"child_{row}_date_of_birth"] = GovDateField(label="Date of birth", required=False)
            layout.append(
                Fieldset(
                    Field.text(f"child_{row}_first_name"),
                    Field.text(f"child_{row}_last_name"),
                    Field(f"child_{row}_date_of_birth", context={"legend_size": Size.for_legend(Size.SMALL)}),
                    legend=f"Child {row}" + ("" if row == 1 else " (if there is one)"),
                    legend_size=Size.SMALL,
                )
            )
        self.fields["confirm_new"] = forms.BooleanField(
            required=False, label="I have searched, and these children have no record in this service"
        )
        layout.append(Field.checkbox("confirm_new"))
        return layout

    def _add_mash_fields(self) -> list:
        self.fields["received_on"] = GovDateField(label="Date received")
        self.fields["received_time"] = forms.CharField(
            label="Time received",
            help_text="24-hour clock, for example 14:30",
            max_length=5,
            error_messages={"required": "Enter the time the contact was received"},
        )
        self.fields["channel"] = _radios(
            "How did the contact arrive?", Contact.Channel.choices, "Choose how the contact arrived"
        )
        self.fields["referrer_kind"] = _radios(
            "Who made the contact?", Contact.ReferrerKind.choices[1:], "Choose who made the contact"
        )
        self.fields["referrer_name"] = _short("Referrer's name")
        self.fields["referrer_organisation"] = _short("Organisation", max_length=200)
        self.fields["referrer_role"] = _short("Role or relationship to the child")
        self.fields["referrer_telephone"] = _short("Telephone number", max_length=40)
        self.fields["referrer_email"] = forms.EmailField(
            label="E-mail address",
            required=False,
            help_text="The outcome is sent here",
            error_messages={"invalid": "Enter an e-mail address like name@example.org"},
        )
        if not self.is_bound:
            now = timezone.localtime()
            self.initial.update({"received_on": now.date(), "received_time": now.strftime("%H:%M")})
        return [
            Field("received_on", context={"legend_size": Size.for_legend(Size.SMALL)}),
            Field.text("received_time", field_width=5),
            Field.radios("channel", legend_size=Size.SMALL, small=True),
            Fieldset(
                Field.radios("referrer_kind", legend_size=Size.SMALL, small=True),
                Field.text("referrer_name"),
                Field.text("referrer_organisation"),
                Field.text("referrer_role"),
                Field.text("referrer_telephone", field_width=20),
                Field.text("referrer_email"),
                legend="Referrer",
                legend_size=Size.MEDIUM,
            ),
        ]

    def clean_received_time(self) -> time:
        match = TIME_FORMAT.match(self.cleaned_data["received_time"].strip())
        if not match:
            raise forms.ValidationError("Enter the time like 09:30 or 14:45")
        return time(int(match.group(1)), int(match.group(2)))

    def clean(self):
        cleaned = super().clean()
        if not self.new_family and "children" in self.fields and not cleaned.get("children"):
            self.add_error("children", "Choose at least one child the concern is about")
        if cleaned.get("consent_status") in ("refused", "not_sought") and not cleaned.get("consent_reason", "").strip():
            self.add_error("consent_reason", "Say why consent was refused or not sought")
        if self.mash:
            self._clean_received_at(cleaned)
            if (
                cleaned.get("referrer_kind") == Contact.ReferrerKind.OTHER
                and not cleaned.get("referrer_name", "").strip()
            ):
                self.add_error("referrer_name", "Enter the referrer's name, or record the contact as anonymous")
        if self.new_family:
            cleaned["new_children"] = self._new_children(cleaned)
        return cleaned

    def _clean_received_at(self, cleaned) -> None:
        day, at = cleaned.get("received_on"), cleaned.get("received_time")
        if day is None or at is None:
            return
        if day < timezone.localdate() - timedelta(days=365):  # also keeps year-1 dates out of the clock arithmetic
            self.add_error("received_on", "The date the contact was received must be within the last year")
            return
        received_at = timezone.make_aware(datetime.combine(day, at))
        if received_at > timezone.now() + timedelta(minutes=1):
            self.add_error("received_on", "The time the contact was received must be now or in the past")
        cleaned["received_at"] = received_at

    def _new_children(self, cleaned) -> list[dict]:
        children = []
        for row in range(1, NEW_CHILD_ROWS + 1):
            first = cleaned.get(f"child_{row}_first_name", "").strip()
            last = cleaned.get(f"child_{row}_last_name", "").strip()
            born = cleaned.get(f"child_{row}_date_of_birth")
            if not (first or last or born):
                continue
            if not first:
                self.add_error(f"child_{row}_first_name", f"Enter child {row}'s first name")
            if not last:
                self.add_error(f"child_{row}_last_name", f"Enter child {row}'s last name")
            if born and born > timezone.localdate():
                self.add_error(f"child_{row}_date_of_birth", f"Child {row}'s date of birth must be in the past")
            children.append({"first_name": first, "last_name": last, "date_of_birth": born})
        if not children:
            self.add_error("child_1_first_name", "Enter at least one child the concern is about")
        return children

    def contact_fields(self) -> dict:
        """The service's keyword arguments for the contact itself."""
        data = self.cleaned_data
        fields = {
            "concern": data["concern"],
            "source": data["source"],
            "family_aware": data["family_aware"],
            "consent_status": data["consent_status"],
            "consent_reason": data.get("consent_reason", ""),
            "requested_level": data.get("requested_level"),
            "referrer": {key: data.get(key, "") for key in self.fields if key.startswith("referrer_")},
        }
        if not self.new_family:
            fields.update(children=list(data["children"]), assessment=data.get("assessment"))
        if self.mash:
            fields.update(received_at=data["received_at"], channel=data["channel"], referrer_kind=data["referrer_kind"])
        return fields


def _child_label(person) -> str:
    born = person.date_of_birth or person.expected_date_of_birth
    return f"{person.full_name}, born {born:%d %B %Y}" if born else person.full_name


class FindChildForm(forms.Form):
    """The MASH's check for an existing record before a contact is recorded."""

    first_name = _short("First name", required=True, max_length=NAME_MAX)
    last_name = _short("Last name", required=True, max_length=NAME_MAX)
    date_of_birth = GovDateField(label="Date of birth")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = gov_form_helper(
            Field.text("first_name"),
            Field.text("last_name"),
            Field("date_of_birth", context={"legend_size": Size.for_legend(Size.SMALL)}),
        )


class InboxFilterForm(forms.Form):
    status = forms.ChoiceField(required=False, label="Status", choices=[("", "All open"), *Contact.Status.choices])
    rag = forms.ChoiceField(
        required=False, label="RAG rating", choices=[("", "Any"), *Rag.choices, ("unrated", "Not yet rated")]
    )
    source = forms.ChoiceField(required=False, label="Source", choices=[("", "Any"), *ContactSource.choices])
    overdue = forms.BooleanField(required=False, label="Overdue only")
    mine = forms.BooleanField(required=False, label="Assigned to me")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = query_form_helper(
            Field.select("status"),
            Field.select("rag"),
            Field.select("source"),
            Field.checkbox("overdue"),
            Field.checkbox("mine"),
        )


class RagForm(forms.Form):
    rag = _radios("RAG rating", Rag.choices, "Choose a RAG rating")
    reason = gov_text_field("Why?", required=False, hint="Needed when you change a rating", rows=3)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = gov_form_helper(
            Field.radios("rag", legend_size=Size.SMALL, inline=True), Field.textarea("reason")
        )


class ScreeningForm(forms.Form):
    checks = forms.MultipleChoiceField(
        required=False,
        label="Checks made",
        widget=forms.CheckboxSelectMultiple,
        choices=[
            ("involvement", "Existing involvement with the family"),
            ("previous_contacts", "Previous contacts"),
            ("police", "Police"),
            ("health", "Health"),
            ("education", "Education"),
        ],
    )
    information_gathered = gov_text_field("Information gathered", required=False, rows=8)
    ready = forms.BooleanField(required=False, label="Screening is finished: send for a manager's decision")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = gov_form_helper(
            Field.checkboxes("checks", legend_size=Size.SMALL, small=True),
            Field.textarea("information_gathered"),
            Field.checkbox("ready"),
        )


class EndForm(forms.Form):
    """Withdraw a contact, or close it as a duplicate of another (then `original_reference` is shown)."""

    original_reference = _short("Reference of the original contact", max_length=12)
    reason = gov_text_field("Why?", message="Say why", rows=3)

    def __init__(self, *args, duplicate: bool, **kwargs):
        super().__init__(*args, **kwargs)
        fields = [Field.textarea("reason")]
        if duplicate:
            self.fields["original_reference"].required = True
            self.fields["original_reference"].error_messages["required"] = "Enter the reference of the original contact"
            fields.insert(0, Field.text("original_reference", field_width=10))
        else:
            del self.fields["original_reference"]
        self.helper = gov_form_helper(*fields)


class DecisionForm(forms.Form):
    level = forms.TypedChoiceField(
        label="Level of need",
        choices=LevelOfNeed.choices,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the level of need"},
    )
    outcome = _radios("Outcome", MashDecision.Outcome.choices, "Choose the outcome")
    local_area_team = forms.ModelChoiceField(
        queryset=None, required=False, label="Local Area Team (for early help)", empty_label="Choose a team"
    )
    services = ModelChoicesField(
        queryset=None, required=False, label="Services suggested (for signposting)", widget=forms.CheckboxSelectMultiple
    )
    rationale = gov_text_field("Rationale", message="Give the rationale for the decision")
    next_steps = gov_text_field(
        "Next steps",
        message="Say what happens next: the referrer is told this",
        hint="The referrer is told this",
        rows=4,
    )
    consent_basis = _radios("Consent basis", MashDecision.ConsentBasis.choices, "Choose the consent basis")
    override_reason = forms.ChoiceField(
        required=False,
        label="Why is consent not being sought?",
        choices=ConsentRecord.OverrideReason.choices,
        widget=forms.RadioSelect,
    )
    override_detail = gov_text_field("Describe the risk", required=False, rows=3)
    override_approver = forms.ModelChoiceField(
        queryset=None, required=False, label="Override approved by", empty_label="Choose a manager"
    )
    override_review_on = GovDateField(label="Override review date", required=False)

    def __init__(self, *args, teams, services, approvers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["local_area_team"].queryset = teams
        self.fields["services"].queryset = services
        self.fields["override_approver"].queryset = approvers
        if not self.is_bound:
            self.initial["override_review_on"] = timezone.localdate() + timedelta(days=28)
        self.helper = gov_form_helper(
            Field.radios("level", legend_size=Size.SMALL, small=True),
            Field.radios("outcome", legend_size=Size.SMALL, small=True),
            Field.select("local_area_team"),
            Field.checkboxes("services", legend_size=Size.SMALL, small=True),
            Field.textarea("rationale"),
            Field.textarea("next_steps"),
            Field.radios("consent_basis", legend_size=Size.SMALL, small=True),
            Fieldset(
                Field.radios("override_reason", legend_size=Size.SMALL, small=True),
                Field.textarea("override_detail"),
                Field.select("override_approver"),
                Field("override_review_on", context={"legend_size": Size.for_legend(Size.SMALL)}),
                legend="Safeguarding override (only when consent is dispensed with)",
                legend_size=Size.SMALL,
            ),
        )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("outcome") in MashDecision.EARLY_HELP and not cleaned.get("local_area_team"):
            self.add_error("local_area_team", "Choose the Local Area Team that will provide early help")
        if cleaned.get("outcome") == MashDecision.Outcome.SIGNPOSTING and not cleaned.get("services"):
            self.add_error("services", "Choose the services suggested to the family")
        if cleaned.get("consent_basis") == MashDecision.ConsentBasis.DISPENSED:
            if not cleaned.get("override_reason"):
                self.add_error("override_reason", "Select why consent is not being sought")
            if not cleaned.get("override_detail", "").strip():
                self.add_error("override_detail", "Describe the risk that means consent is not being sought")
            if not cleaned.get("override_approver"):
                self.add_error("override_approver", "Choose the manager who approved the override")
            review_on = cleaned.get("override_review_on")
            if not review_on:
                self.add_error("override_review_on", "Enter the override review date")
            elif review_on <= timezone.localdate():
                self.add_error("override_review_on", "The review date must be in the future")
        return cleaned

    def decision_fields(self) -> dict:
        data = self.cleaned_data
        override = None
        if data["consent_basis"] == MashDecision.ConsentBasis.DISPENSED:
            override = {
                "reason": data["override_reason"],
                "detail": data.get("override_detail", ""),
                "approver": data["override_approver"],
                "review_on": data["override_review_on"],
            }
        return {
            "level": data["level"],
            "outcome": data["outcome"],
            "rationale": data["rationale"],
            "next_steps": data["next_steps"],
            "consent_basis": data["consent_basis"],
            "local_area_team": data.get("local_area_team"),
            "services": list(data.get("services") or ()),
            "override": override,
        }


class TransferReferenceForm(forms.Form):
    external_reference = _short("Children's social care reference", required=True, max_length=50)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = gov_form_helper(Field.text("external_reference", field_width=20))


class ConcernFlagForm(forms.Form):
    category = _radios("What kind of concern?", ConcernFlag.Category.choices, "Choose what kind of concern it is")
    raised_on = GovDateField(label="Date of the concern")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["raised_on"] = timezone.localdate()
        self.helper = gov_form_helper(
            Field.radios("category", legend_size=Size.SMALL, small=True),
            Field("raised_on", context={"legend_size": Size.for_legend(Size.SMALL)}),
        )

    def clean_raised_on(self):
        raised_on = self.cleaned_data["raised_on"]
        if raised_on and raised_on > timezone.localdate():
            raise forms.ValidationError("The date of the concern must be today or in the past")
        if raised_on and raised_on < timezone.localdate() - timedelta(days=365):
            raise forms.ValidationError("The date of the concern must be within the last year")
        return raised_on
