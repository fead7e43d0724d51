import math

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Layout, Size, Submit
from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.utils import timezone

from earlyhelp.accounts.otp import code_check
from earlyhelp.core.forms import gov_form_helper


class SignInForm(AuthenticationForm):
    """Sign in with a work e-mail address. One message for every failure, known user or not."""

    error_messages = {
        "invalid_login": "Enter a correct e-mail address and password",
        "inactive": "Enter a correct e-mail address and password",
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"] = forms.CharField(
            label="E-mail address",
            max_length=254,
            error_messages={"required": "Enter your e-mail address"},
            widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
        )
        self.fields["password"].error_messages["required"] = "Enter your password"
        self.fields["password"].widget.attrs["autocomplete"] = "current-password"
        self.helper = FormHelper()
        self.helper.form_tag = False  # the page writes the <form> (with its action and the next address)
        self.helper.label_size = Size.SMALL
        self.helper.layout = Layout(
            Field.text("username", field_width=20),
            Field.text("password", field_width=20),
            Submit("submit", "Sign in"),
        )

    def clean_username(self) -> str:
        return self.cleaned_data["username"].strip().lower()


def _code_field(label: str, help_text: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        help_text=help_text,
        max_length=20,
        error_messages={"required": "Enter the code", "max_length": "Enter the code: it is 6 digits or 8 characters"},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "spellcheck": "false", "autocapitalize": "none"}
        ),
    )


CODE_WRONG = "The code is not right, or it has been used already. Enter the code your authenticator app shows now"
CODE_THROTTLED = (
    "You have entered a wrong code too many times. Wait {wait}, then enter the code your authenticator app shows at "
    "that time"
)


class CodeForm(forms.Form):
    """A code from the user's authenticator app, or one of their backup codes. Checking it uses it up."""

    code = _code_field("Code", "The 6-digit code from your authenticator app, or one of your backup codes")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.helper = gov_form_helper(Field.text("code", field_width=10))

    def clean_code(self) -> str:
        code = self.cleaned_data["code"]
        error = code_refusal(user=self.user, code=code)
        if error:
            raise forms.ValidationError(error)
        return code


def code_refusal(*, user, code: str) -> str:
    """Why `code` is refused for `user` (wrong, already used, or too many wrong codes: wait), or "" if accepted.
    Checking a code uses it up."""
    if "\x00" in code:
        return CODE_WRONG
    result = code_check(user=user, code=code)
    if result.throttled_until is not None:
        seconds = max(1, math.ceil((result.throttled_until - timezone.now()).total_seconds()))
        return CODE_THROTTLED.format(wait=f"{seconds} second{'s' if seconds != 1 else ''}")
    return "" if result.accepted else CODE_WRONG


class CodeConfirmedForm(forms.Form):
    """A sensitive action the user confirms with a code from their authenticator app (break-the-glass, disposing of
    records). The code is checked last, and only when the rest of the form is right, so a refused form does not use
    it up. Subclasses add their fields and a layout."""

    code = _code_field("Code from your authenticator app", "The 6-digit code your authenticator app shows now")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            error = code_refusal(user=self.user, code=cleaned.get("code", ""))
            if error:
                self.add_error("code", error)
        return cleaned


class AuthenticatorForm(forms.Form):
    """The first code a new authenticator app shows, to confirm it was set up with the right secret."""

    code = _code_field("Code from the app", "The 6-digit code your authenticator app shows for Early Help")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = gov_form_helper(Field.text("code", field_width=5))


class PasswordChangeGovukForm(PasswordChangeForm):
    """Django's password change, with GOV.UK labels and messages."""

    error_messages = {
        **PasswordChangeForm.error_messages,
        "password_incorrect": "Your current password is not right. Enter it again",  # nosec B105  # a message, not a password
        "password_mismatch": "The two new passwords are not the same",  # nosec B105  # a message, not a password
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        labels = {
            "old_password": ("Current password", "Enter your current password", "current-password"),
            "new_password1": ("New password", "Enter a new password", "new-password"),
            "new_password2": ("New password again", "Enter the new password again", "new-password"),
        }
        for name, (label, required, autocomplete) in labels.items():
            field = self.fields[name]
            field.label = label
            field.error_messages["required"] = required
            field.widget.attrs.pop("autofocus", None)
            field.widget.attrs["autocomplete"] = autocomplete
        self.fields[
            "new_password1"
        ].help_text = (
            "At least 12 characters, not a common password, not all numbers and not like your name or e-mail address"
        )
        self.fields["new_password2"].help_text = ""
        self.helper = gov_form_helper(
            Field.text("old_password", field_width=20),
            Field.text("new_password1", field_width=20),
            Field.text("new_password2", field_width=20),
        )
