"""The single chain-head row that access events lock while appending, starting at the genesis hash."""

from django.db import migrations

GENESIS_HASH = "0" * 64


def create_head(apps, schema_editor):
    apps.get_model("audit", "AccessChainHead").objects.get_or_create(pk=1, defaults={"last_hash": GENESIS_HASH})


def remove_head(apps, schema_editor):
    apps.get_model("audit", "AccessChainHead").objects.filter(pk=1).delete()


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_access_event_append_only")]
    operations = [migrations.RunPython(create_head, remove_head)]
