"""On PostgreSQL, refuse UPDATE and DELETE on the access log at the database, not just in Python."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION audit_access_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_accessevent is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_access_event_no_update BEFORE UPDATE OR DELETE ON audit_accessevent
    FOR EACH ROW EXECUTE FUNCTION audit_access_event_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS audit_access_event_no_update ON audit_accessevent;
DROP FUNCTION IF EXISTS audit_access_event_append_only();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
