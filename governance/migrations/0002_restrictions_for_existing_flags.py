"""Records restricted before restrictions had reasons (the `restricted` flag set, no restriction in force) get one:
category "other", the reason below, restricted by the `restrictions` service account, and due for review at once,
so the daily job asks an information governance officer to review each. Reversible: the rows it made are removed
(the flags are left as they are)."""

from django.contrib.auth.hashers import make_password
from django.db import migrations
from django.utils import timezone

REASON = "Restricted before reasons were recorded"
SERVICE_EMAIL = "restrictions@service.earlyhelp.invalid"  # earlyhelp.accounts.services.service_account_get


def _history(historical, record, *, user, when) -> None:
    """The history row simple-history would have written for `record`'s creation (it does not run in migrations)."""
    names = {field.attname for field in historical._meta.concrete_fields}
    values = {f.attname: getattr(record, f.attname) for f in record._meta.concrete_fields if f.attname in names}
    historical.objects.create(**values, history_date=when, history_type="+", history_user_id=user.pk if user else None)


def _service_account(apps, now):
    User = apps.get_model("accounts", "User")
    account = User.objects.filter(email=SERVICE_EMAIL).first()
    if account is None:
        account = User.objects.create(
            email=SERVICE_EMAIL,
            full_name="System (restrictions)",
            is_active=False,
            is_service_account=True,
            password=make_password(None),
        )
        _history(apps.get_model("accounts", "HistoricalUser"), account, user=None, when=now)
    return account


def add(apps, schema_editor):
    Family = apps.get_model("cases", "Family")
    Person = apps.get_model("cases", "Person")
    Restriction = apps.get_model("governance", "Restriction")
    Historical = apps.get_model("governance", "HistoricalRestriction")
    active = Restriction.objects.filter(lifted_at__isnull=True)
    families = Family.objects.filter(restricted=True).exclude(pk__in=active.values("family_id").exclude(family=None))
    people = Person.objects.filter(restricted=True).exclude(pk__in=active.values("person_id").exclude(person=None))
    if not (families.exists() or people.exists()):
        return
    now = timezone.now()
    account = _service_account(apps, now)
    records = [{"family": family} for family in families] + [{"person": person} for person in people]
    for record in records:
        restriction = Restriction.objects.create(
            **record,
            category="other",
            reason=REASON,
            restricted_by=account,
            review_due=timezone.localdate(),
        )
        _history(Historical, restriction, user=account, when=now)


def remove(apps, schema_editor):
    Restriction = apps.get_model("governance", "Restriction")
    Historical = apps.get_model("governance", "HistoricalRestriction")
    made = Restriction.objects.filter(reason=REASON, restricted_by__email=SERVICE_EMAIL)
    Historical.objects.filter(id__in=list(made.values_list("pk", flat=True))).delete()
    made.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("governance", "0001_initial"),
        ("accounts", "0004_signed_in_sessions"),
        ("cases", "0011_supporting_families_headline_codes"),
    ]

    operations = [migrations.RunPython(add, remove)]
