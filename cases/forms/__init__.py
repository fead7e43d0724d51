"""Forms for people and families: they check input; services do the writing."""

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Fieldset, Layout, Size, Submit
from django import forms
from django.urls import reverse_lazy

from cases.models import Family, FamilyMember, Person, ProfessionalInvolvement, Relationship
from earlyhelp.core.forms import GovDateField, gov_form_helper
from earlyhelp.core.validators import nhs_number_is_valid, nhs_number_normalise, postcode_normalise, validate_postcode
from locality.models import Agency, LocalAreaTeam


def _required(form: forms.BaseForm, messages: dict[str, str]) -> None:
    for name, message in messages.items():
        form.fields[name].error_messages["required"] = message


def _max_length_messages(form: forms.BaseForm) -> None:
    for field in form.fields.values():
        if isinstance(field, forms.CharField) and field.max_length:
            field.error_messages["max_length"] = f"{field.label} must be {field.max_length} characters or fewer"


class SearchForm(forms.Form):
    name = forms.CharField(label="Name", required=False, max_length=200)
    date_of_birth = GovDateField(label="Date of birth", required=False)
    nhs_number = forms.CharField(label="NHS number", required=False, max_length=12)
    postcode = forms.CharField(label="Postcode", required=False, max_length=10)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _max_length_messages(self)
        self.helper = FormHelper()
        self.helper.form_action = reverse_lazy("cases:search")
        self.helper.layout = Layout(
            Field.text("name", field_width=20),
            Field("date_of_birth", context={"legend_size": Size.for_legend(Size.SMALL)}),
            Field.text("nhs_number", field_width=10),
            Field.text("postcode", field_width=10),
            Submit("search", "Search"),
        )

    def clean_nhs_number(self) -> str:
        value = nhs_number_normalise(self.cleaned_data["nhs_number"])
        if value and not nhs_number_is_valid(value):
            raise forms.ValidationError("Enter a valid NHS number, 10 digits like 943 476 5919")
        return value

    def clean_postcode(self) -> str:
        value = self.cleaned_data["postcode"].strip()
        if value:
            validate_postcode(value)
            return postcode_normalise(value)
        return value

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not any(cleaned.get(f) for f in ("name", "date_of_birth", "nhs_number", "postcode")):
            raise forms.ValidationError("Enter a name, date of birth, NHS number or postcode to search for")
        return cleaned


class FamilyForm(forms.ModelForm):
    local_area_team = forms.ModelChoiceField(
        queryset=LocalAreaTeam.objects.all(),
        required=False,
        label="Local Area Team",
        empty_label="The team that covers the postcode",
        help_text=(
            "Leave this for a York postcode. Choose a team for a postcode outside York; "
            "only a Local Area Team manager can override the postcode's team"
        ),
    )

    class Meta:
        model = Family
        fields = ["name", "address_line_1", "address_line_2", "town", "postcode"]
        labels = {
            "address_line_1": "Address line 1",
            "address_line_2": "Address line 2 (optional)",
            "town": "Town or city",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.team_overridden:
            self.initial["local_area_team"] = self.instance.local_area_team
        _required(
            self,
            {
                "name": "Enter the family name",
                "address_line_1": "Enter the first line of the address",
                "town": "Enter the town or city",
                "postcode": "Enter the postcode",
            },
        )
        _max_length_messages(self)
        self.helper = FormHelper()
        self.helper.label_size = Size.SMALL
        self.helper.layout = Layout(
            Field.text("name", field_width=20),
            Fieldset(
                Field.text("address_line_1"),
                Field.text("address_line_2"),
                Field.text("town", field_width=20),
                Field.text("postcode", field_width=10),
                legend="Address",
                legend_size=Size.MEDIUM,
            ),
            Field.select("local_area_team"),
            Submit("submit", "Save family", data_module="govuk-button", data_prevent_double_click="true"),
        )

    def clean_postcode(self) -> str:
        value = self.cleaned_data["postcode"]
        validate_postcode(value)
        return postcode_normalise(value)

    def _post_clean(self) -> None:
        # The reference and team are set by the service, so skip model validation here.
        pass


PERSON_FIELDS = [
    "first_name",
    "middle_names",
    "last_name",
    "other_names",
    "date_of_birth",
    "expected_date_of_birth",
    "sex",
    "ethnicity",
    "first_language",
    "interpreter_needed",
    "disability",
    "sen_status",
    "school",
    "gp_practice",
    "nhs_number",
    "upn",
]


class PersonForm(forms.ModelForm):
    date_of_birth = GovDateField(label="Date of birth", required=False, help_text="For example, 27 3 2015")
    expected_date_of_birth = GovDateField(
        label="Expected date of birth", required=False, help_text="Only for an unborn child"
    )
    nhs_number = forms.CharField(label="NHS number (optional)", required=False, max_length=12)

    class Meta:
        model = Person
        fields = PERSON_FIELDS
        labels = {
            "middle_names": "Middle names (optional)",
            "other_names": "Other names (optional)",
            "first_language": "First language (optional)",
            "interpreter_needed": "Needs an interpreter",
            "disability": "Has a disability",
            "sen_status": "Special educational needs",
            "school": "School or setting (optional)",
            "gp_practice": "GP practice (optional)",
            "upn": "Unique pupil number (optional)",
        }
        widgets = {"sex": forms.RadioSelect, "sen_status": forms.RadioSelect}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = Agency.objects.filter(type__in=[Agency.Type.SCHOOL, Agency.Type.EARLY_YEARS])
        self.fields["gp_practice"].queryset = Agency.objects.filter(type=Agency.Type.GP)
        self.fields["school"].empty_label = "Not known or none"
        self.fields["gp_practice"].empty_label = "Not known or none"
        _required(self, {"first_name": "Enter the first name", "last_name": "Enter the last name"})
        _max_length_messages(self)
        self.helper = FormHelper()
        self.helper.label_size = Size.SMALL
        self.helper.form_tag = False
        self.helper.layout = Layout(*self.person_layout())

    def person_layout(self) -> list:
        return [
            Fieldset(
                Field.text("first_name", field_width=20),
                Field.text("middle_names", field_width=20),
                Field.text("last_name", field_width=20),
                Field.text("other_names"),
                legend="Name",
                legend_size=Size.MEDIUM,
            ),
            Field("date_of_birth", context={"legend_size": Size.for_legend(Size.SMALL)}),
            Field("expected_date_of_birth", context={"legend_size": Size.for_legend(Size.SMALL)}),
            Field.radios("sex", legend_size=Size.SMALL, inline=True),
            Field.select("ethnicity"),
            Field.text("first_language", field_width=20),
            Field.checkbox("interpreter_needed", small=True),
            Field.checkbox("disability", small=True),
            Field.radios("sen_status", legend_size=Size.SMALL),
            Field.select("school"),
            Field.select("gp_practice"),
            Field.text("nhs_number", field_width=10),
            Field.text("upn", field_width=20),
        ]

    def clean_nhs_number(self) -> str:
        value = nhs_number_normalise(self.cleaned_data["nhs_number"])
        if value and not nhs_number_is_valid(value):
            raise forms.ValidationError("Enter a valid NHS number, 10 digits like 943 476 5919")
        return value

    def _get_validation_exclusions(self):
        # The NHS number's uniqueness is checked by the service, after the duplicate check has had
        # the chance to offer the existing record, and without revealing records out of scope.
        exclusions = super()._get_validation_exclusions()
        exclusions.add("nhs_number")
        return exclusions

    def clean_upn(self) -> str:
        return self.cleaned_data["upn"].strip().upper()

    def person_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in PERSON_FIELDS}


class FamilyMemberForm(PersonForm):
    """A new member: their person details, their place in the family, and the duplicate check."""

    role = forms.ChoiceField(
        label="Role in the family",
        choices=FamilyMember.Role.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select the person's role in the family"},
    )
    in_household = forms.BooleanField(label="Lives in the household", required=False, initial=True)
    parental_responsibility = forms.BooleanField(label="Has parental responsibility", required=False)
    main_carer = forms.BooleanField(label="Is the main carer", required=False)
    duplicates_checked = forms.BooleanField(required=False, widget=forms.HiddenInput)

    field_order = ["role", *PERSON_FIELDS]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper.layout = Layout(
            Field.radios("role", legend_size=Size.MEDIUM),
            *self.person_layout(),
            Fieldset(
                Field.checkbox("in_household", small=True),
                Field.checkbox("parental_responsibility", small=True),
                Field.checkbox("main_carer", small=True),
                legend="Their place in the family",
                legend_size=Size.SMALL,
            ),
            Field("duplicates_checked"),
        )

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("role") == FamilyMember.Role.CHILD
            and not cleaned.get("date_of_birth")
            and not cleaned.get("expected_date_of_birth")
            and "date_of_birth" not in self.errors
        ):
            self.add_error("date_of_birth", "Enter the child's date of birth, or an expected date of birth")
        if cleaned.get("role") == FamilyMember.Role.CHILD and cleaned.get("parental_responsibility"):
            self.add_error("parental_responsibility", "A child in the family cannot hold parental responsibility")
        return cleaned

    def member_fields(self) -> dict:
        return {
            name: self.cleaned_data[name] for name in ("role", "in_household", "parental_responsibility", "main_carer")
        }


class FamilyMemberRoleForm(forms.ModelForm):
    class Meta:
        model = FamilyMember
        fields = ["role", "in_household", "parental_responsibility", "main_carer"]
        labels = {
            "role": "Role in the family",
            "parental_responsibility": "Has parental responsibility",
            "main_carer": "Is the main carer",
        }
        widgets = {"role": forms.RadioSelect}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = FamilyMember.Role.choices
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Field.radios("role", legend_size=Size.SMALL),
            Field.checkbox("in_household", small=True),
            Field.checkbox("parental_responsibility", small=True),
            Field.checkbox("main_carer", small=True),
            Submit("submit", "Save"),
        )


class RelationshipForm(forms.Form):
    person = forms.ModelChoiceField(
        queryset=None,
        label="Person",
        empty_label="Choose a person",
        error_messages={"required": "Choose the first person"},
    )
    kind = forms.ChoiceField(
        label="is the",
        choices=[("", "Choose a relationship"), *Relationship.Kind.choices],
        error_messages={"required": "Choose how they are related"},
    )
    relative = forms.ModelChoiceField(
        queryset=None,
        label="of",
        empty_label="Choose a person",
        error_messages={"required": "Choose the second person"},
    )

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people
        self.fields["relative"].queryset = people
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Field.select("person"),
            Field.select("kind"),
            Field.select("relative"),
            Submit("submit", "Save relationship", data_module="govuk-button", data_prevent_double_click="true"),
        )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("person") and cleaned.get("person") == cleaned.get("relative"):
            self.add_error("relative", "Choose two different people")
        return cleaned


class InvolvementForm(forms.ModelForm):
    started_on = GovDateField(label="Start date (optional)", required=False)
    ended_on = GovDateField(label="End date (optional)", required=False)

    class Meta:
        model = ProfessionalInvolvement
        fields = [
            "agency",
            "person",
            "practitioner_name",
            "practitioner_role",
            "contact_details",
            "started_on",
            "ended_on",
        ]
        labels = {
            "person": "Who the involvement is with",
            "practitioner_name": "Practitioner's name (optional)",
            "practitioner_role": "Practitioner's role (optional)",
            "contact_details": "Contact details (optional)",
        }

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people
        self.fields["person"].empty_label = "The whole family"
        self.fields["agency"].empty_label = "Choose an agency"
        _required(self, {"agency": "Choose the agency"})
        _max_length_messages(self)
        self.helper = FormHelper()
        self.helper.label_size = Size.SMALL
        self.helper.layout = Layout(
            Field.select("agency"),
            Field.select("person"),
            Field.text("practitioner_name", field_width=20),
            Field.text("practitioner_role", field_width=20),
            Field.text("contact_details"),
            Field("started_on", context={"legend_size": Size.for_legend(Size.SMALL)}),
            Field("ended_on", context={"legend_size": Size.for_legend(Size.SMALL)}),
            Submit("submit", "Save involvement", data_module="govuk-button", data_prevent_double_click="true"),
        )

    def _post_clean(self) -> None:
        # The family is set by the service, which validates the whole record.
        pass

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("started_on") and cleaned.get("ended_on") and cleaned["ended_on"] < cleaned["started_on"]:
            self.add_error("ended_on", "The end date must be on or after the start date")
        return cleaned

    def involvement_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class AllocateForm(forms.Form):
    worker = forms.ModelChoiceField(
        queryset=None,
        label="Allocate to",
        empty_label="Choose a worker",
        error_messages={"required": "Choose who to allocate to"},
    )

    def __init__(self, *args, workers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["worker"].queryset = workers
        self.helper = gov_form_helper(Field.select("worker"))
