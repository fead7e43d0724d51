"""Template helpers for GOV.UK patterns that the form library does not cover."""

from django import forms, template

register = template.Library()


def _first_input_id(bound_field) -> str:
    """The id of the input an error summary link should focus: the first radio, checkbox or date part."""
    widget = bound_field.field.widget
    if isinstance(widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
        return f"id_{bound_field.html_name}_1"
    if isinstance(widget, forms.MultiWidget):
        return f"{bound_field.auto_id}_0"
    return bound_field.auto_id


@register.simple_tag
def error_summary_items(form) -> list[tuple[str, str]]:
    """(target id, message) for every error, in the order the questions appear on the page."""
    items: list[tuple[str, str]] = []
    fields = list(form.visible_fields())
    first_id = _first_input_id(fields[0]) if fields else ""
    items.extend((first_id, str(error)) for error in form.non_field_errors())
    for bound_field in fields:
        sub_errors: list[str] = []
        if isinstance(bound_field.field, forms.MultiValueField):
            for index, subfield in enumerate(bound_field.field.fields):
                for error in getattr(subfield.widget, "errors", []):
                    items.append((f"{bound_field.auto_id}_{index}", str(error)))
                    sub_errors.append(str(error))
        items.extend(
            (_first_input_id(bound_field), str(error)) for error in bound_field.errors if str(error) not in sub_errors
        )
    return items


@register.filter
def get_item(mapping, key):
    """`{{ answers|get_item:"health" }}`: a value from a dict, or empty."""
    return (mapping or {}).get(key, "")
