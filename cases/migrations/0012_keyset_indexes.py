"""Indexes for the change history pages' keyset: each history table's rows of one family (or record, or person),
newest first, so a page reads its 51 rows from the index instead of sorting every row of the family.

simple-history indexes the filter columns and history_date one by one; these add both together. The historical
models are made by simple-history, so the indexes are written in SQL (the same on SQLite and PostgreSQL), outside the
models' state."""

from django.db import migrations

INDEXES = {
    "hist_family_id_date": ("cases_historicalfamily", "id"),
    "hist_member_family_date": ("cases_historicalfamilymember", "family_id"),
    "hist_relation_family_date": ("cases_historicalrelationship", "family_id"),
    "hist_involve_family_date": ("cases_historicalprofessionalinvolvement", "family_id"),
    "hist_person_id_date": ("cases_historicalperson", "id"),
    "hist_address_person_date": ("cases_historicalpersonaddress", "person_id"),
}


class Migration(migrations.Migration):
    dependencies = [("cases", "0011_supporting_families_headline_codes")]

    operations = [
        migrations.RunSQL(
            sql=f"CREATE INDEX {name} ON {table} ({column}, history_date, history_id)",
            reverse_sql=f"DROP INDEX {name}",
        )
        for name, (table, column) in INDEXES.items()
    ]
