"""Forms for case notes, amendments and the chronology's filters. Fields check their own shape; the note rules
(`cases.services.notes.note_problems`) are checked here too, so every problem is shown at once."""

from urllib.parse import urlencode

from crispy_forms_gds.layout import Field, Fieldset, Size
from django import forms

from cases.models import CaseNote
from cases.selectors.chronology import CHRONOLOGY_CURSOR, EntryType
from cases.selectors.notes import NOTE_CURSOR
from cases.services.notes import note_problems
from earlyhelp.core.forms import GovDateField, ModelChoicesField, gov_form_helper, gov_text_field, query_form_helper
from earlyhelp.core.keyset import KeysetPageForm

NOTE_MAX = 100_000
REASON_MAX = 300


class NoteForm(forms.Form):
    """A case note: new, or its author's change within a day (then `lock_version` says which copy they started
    from)."""

    kind = forms.ChoiceField(
        label="Type of note",
        choices=CaseNote.Kind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the type of note", "invalid_choice": "Choose the type of note"},
    )
    happened_on = GovDateField(label="Date", help_text="When the visit, call or event happened. For example, 27 3 2025")
    people = ModelChoicesField(
        queryset=None,
        required=False,
        label="Who does the note concern?",
        help_text="Leave empty if it concerns the whole family",
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "invalid_choice": "Choose people from this family",
            "invalid_pk_value": "Choose people from this family",
        },
    )
    child_seen = forms.BooleanField(label="A child was seen", required=False)
    child_seen_alone = forms.BooleanField(label="A child was seen alone", required=False)
    text = gov_text_field("Note", message="Enter the note", rows=12, max_length=NOTE_MAX, strip=False)
    significant = forms.BooleanField(
        label="This is a significant event (it will be shown in the family's chronology)", required=False
    )
    lock_version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["people"].queryset = people
        self.fields["people"].label_from_instance = lambda person: person.full_name
        self.helper = gov_form_helper(
            Field.radios("kind", legend_size=Size.SMALL, small=True),
            Field("happened_on", context={"legend_size": Size.for_legend(Size.SMALL)}),
            Field.checkboxes("people", legend_size=Size.SMALL, small=True),
            Fieldset(
                Field.checkbox("child_seen", small=True),
                Field.checkbox("child_seen_alone", small=True),
                legend="Was a child seen?",
                legend_size=Size.SMALL,
            ),
            Field.textarea("text"),
            Field.checkbox("significant", small=True),
            Field("lock_version"),
        )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("text") is not None and not cleaned["text"].strip() and "text" not in self.errors:
            self.add_error("text", "Enter the note")
        problems = note_problems(
            happened_on=cleaned.get("happened_on"),
            child_seen=bool(cleaned.get("child_seen")),
            child_seen_alone=bool(cleaned.get("child_seen_alone")),
        )
        for name, message in problems.items():
            if name not in self.errors:
                self.add_error(name, message)
        return cleaned

    def note_fields(self) -> dict:
        """What the services take, from a valid form."""
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "happened_on": data["happened_on"],
            "people": list(data["people"]),
            "child_seen": data["child_seen"],
            "child_seen_alone": data["child_seen_alone"],
            "text": data["text"],
            "significant": data["significant"],
        }


class AmendmentForm(forms.Form):
    text = gov_text_field(
        "Amendment",
        message="Enter the amendment",
        rows=8,
        hint="What should be added or corrected",
        max_length=NOTE_MAX,
        strip=False,
    )
    reason = forms.CharField(
        label="Why are you amending the note?",
        max_length=REASON_MAX,
        error_messages={
            "required": "Say why you are amending the note",
            "max_length": f"Keep the reason to {REASON_MAX} characters",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = gov_form_helper(Field.textarea("text"), Field.text("reason"))

    def clean_text(self):
        text = self.cleaned_data["text"]
        if not text.strip():
            raise forms.ValidationError("Enter the amendment")
        return text


class NoteFilterForm(KeysetPageForm):
    """Which type of note to list, and where the page starts (`before`, the last note of the page before)."""

    cursor_kinds = NOTE_CURSOR
    start_from = "the newest notes"

    kind = forms.ChoiceField(label="Type of note", required=False, choices=[("", "All types"), *CaseNote.Kind.choices])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = query_form_helper(Field.select("kind"))


ORDER_CHOICES = [("oldest", "Oldest first"), ("newest", "Newest first")]


class ChronologyFilterForm(KeysetPageForm):
    """Which events to show, about whom, in which order, and where the page starts (`after`, the last event of the
    page before, in that order). People are offered by their UUID: none of them is named in the address."""

    cursor_name = "after"
    cursor_kinds = CHRONOLOGY_CURSOR
    start_from = "the first events"

    types = forms.MultipleChoiceField(
        label="Types of event",
        required=False,
        choices=EntryType.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="Leave all unticked to see every type",
        error_messages={"invalid_choice": "Choose types of event from the list"},
    )
    person = forms.ChoiceField(
        label="About", required=False, error_messages={"invalid_choice": "Choose a person from the list"}
    )
    order = forms.ChoiceField(
        label="Order", required=False, choices=ORDER_CHOICES, widget=forms.RadioSelect, initial="oldest"
    )

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.people = {str(person.uuid): person for person in people}
        self.fields["person"].choices = [("", "Everyone"), *((key, p.full_name) for key, p in self.people.items())]
        self.helper = query_form_helper(
            Field.checkboxes("types", legend_size=Size.SMALL, small=True),
            Field.select("person"),
            Field.radios("order", legend_size=Size.SMALL, inline=True, small=True),
        )

    def filters(self) -> dict:
        """The chronology's arguments: everything when the form is empty or a filter is wrong."""
        data = self.valid_data()
        if not data:
            return {}
        return {
            "types": set(data["types"]) or None,
            "person": self.people.get(data["person"]),
            "newest_first": data["order"] == "newest",
        }

    def filters_query(self) -> str:
        """The filters chosen, as the address's query, for the links to other pages."""
        data = self.valid_data()
        chosen = [("types", kind) for kind in data.get("types", [])]
        chosen += [(name, data[name]) for name in ("person", "order") if data.get(name)]
        return urlencode(chosen)
