"""Forms for the service directory. Its search is a GET form: no personal data goes in it."""

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Layout, Submit
from django import forms

from locality.models import LocalAreaTeam, NeedCategory, Service

AGE_RANGE_MESSAGE = f"Age must be between 0 and {Service.AGE_MAX}"


class ServiceSearchForm(forms.Form):
    text = forms.CharField(
        label="Name, provider or words in the description",
        required=False,
        max_length=100,
        error_messages={"max_length": "Search words must be 100 characters or fewer"},
    )
    local_area_team = forms.ModelChoiceField(
        queryset=LocalAreaTeam.objects.order_by("name"),
        to_field_name="slug",
        required=False,
        label="Local Area Team",
        empty_label="All teams",
        error_messages={"invalid_choice": "Choose a Local Area Team from the list"},
    )
    age = forms.IntegerField(
        label="Age of the child or young person",
        help_text="In years, from 0 to 25",
        required=False,
        min_value=0,
        max_value=Service.AGE_MAX,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "spellcheck": "false"}),
        error_messages={
            "invalid": "Age must be a whole number, like 8",
            "min_value": AGE_RANGE_MESSAGE,
            "max_value": AGE_RANGE_MESSAGE,
        },
    )
    need_category = forms.ModelChoiceField(
        queryset=NeedCategory.objects.order_by("name"),
        to_field_name="code",
        required=False,
        label="Need",
        empty_label="Any need",
        error_messages={"invalid_choice": "Choose a need from the list"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["local_area_team"].label_from_instance = lambda team: team.name
        self.fields["need_category"].label_from_instance = lambda category: category.name
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.attrs = {"novalidate": ""}
        self.helper.layout = Layout(
            Field.text("text"),
            Field.select("local_area_team"),
            Field.text("age", field_width=2),
            Field.select("need_category"),
            Submit("search", "Search"),
        )
