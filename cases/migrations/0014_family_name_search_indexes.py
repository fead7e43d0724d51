"""A family search by name (`name__icontains`, or the reference exactly) through indexes on PostgreSQL: a GIN
trigram index on the upper-cased name for the LIKE, and one on the upper-cased reference. Without both, the `OR`
read every family. On SQLite this migration does nothing."""

from django.db import migrations

INDEXES = {
    "family_name_trgm": "CREATE INDEX IF NOT EXISTS family_name_trgm ON cases_family USING gin (upper(name) gin_trgm_ops)",
    "family_reference_upper": "CREATE INDEX IF NOT EXISTS family_reference_upper ON cases_family (upper(reference))",
}


def add_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in INDEXES.values():
        schema_editor.execute(statement)


def remove_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("cases", "0013_performance_indexes")]
    operations = [migrations.RunPython(add_indexes, remove_indexes)]
