from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import BaseUserCreationForm, UserChangeForm
from simple_history.admin import SimpleHistoryAdmin

from earlyhelp.accounts.models import User


class UserCreationAdminForm(BaseUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "full_name")


class UserChangeAdminForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"
        help_texts = {
            # earlyhelp.accounts.signals ends the sessions on any save that disables an account, not only this form.
            "is_active": "Untick to disable the account: the user is signed out of every session at once.",
        }


@admin.register(User)
class UserAdmin(SimpleHistoryAdmin, BaseUserAdmin):
    form = UserChangeAdminForm
    add_form = UserCreationAdminForm
    ordering = ["full_name"]
    list_display = ["full_name", "email", "job_title", "agency", "is_active"]
    list_filter = ["is_active", "is_staff", "groups"]
    search_fields = ["full_name", "email"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Details", {"fields": ("full_name", "job_title", "agency")}),
        ("Access", {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "full_name", "password1", "password2")}),)
    ACCESS_FIELDS = ("is_superuser", "is_staff", "groups")

    def get_readonly_fields(self, request, obj=None):
        """Roles come from team memberships; only a superuser may change access directly, never their own."""
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser or (obj is not None and obj.pk == request.user.pk):
            readonly += self.ACCESS_FIELDS
        return readonly
