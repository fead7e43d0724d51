"""Typo-tolerant person search on PostgreSQL: pg_trgm and a GIN trigram index on the search name.

On SQLite this migration does nothing; search falls back to plain matching.
"""

from django.db import migrations


def add_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS person_search_name_trgm ON cases_person USING gin (search_name gin_trgm_ops)"
    )


def remove_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS person_search_name_trgm")


class Migration(migrations.Migration):
    dependencies = [("cases", "0002_family_relations")]
    operations = [migrations.RunPython(add_trigram_index, remove_trigram_index)]
