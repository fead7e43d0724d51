"""The need categories the service directory starts with: the Supporting Families headlines and three more."""

import uuid

from django.db import migrations

from earlyhelp.core.codes import SupportingFamiliesHeadline

EXTRA = [
    ("parenting", "Parenting support"),
    ("send", "Special educational needs and disabilities"),
    ("young_carers", "Young carers"),
]


def _categories() -> list[tuple[str, str]]:
    return [(str(code), str(name)) for code, name in SupportingFamiliesHeadline.choices] + EXTRA


def add_categories(apps, schema_editor):
    NeedCategory = apps.get_model("locality", "NeedCategory")
    for code, name in _categories():
        NeedCategory.objects.get_or_create(code=code, defaults={"name": name, "uuid": uuid.uuid4()})


def remove_categories(apps, schema_editor):
    # Categories a service already uses stay: deleting them would lose what the directory says.
    codes = [code for code, _ in _categories()]
    apps.get_model("locality", "NeedCategory").objects.filter(code__in=codes, services__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("locality", "0004_service_directory")]
    operations = [migrations.RunPython(add_categories, remove_categories)]
