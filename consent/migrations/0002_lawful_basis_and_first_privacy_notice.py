"""The lawful basis for early help records and a first privacy notice, so consent can be taken at once.

Information governance staff edit both in the administration site; the text here is a starting point.
"""

import datetime
import uuid

from django.db import migrations

NOTICE = (
    "City of York Council and its partners use the information you share with us to give your family early "
    "help. We keep it securely, share it only with the people and agencies you agree to (unless a child would "
    "be at risk of significant harm), and keep it until the youngest child is 25. You can ask to see what we "
    "hold, ask us to correct it, and withdraw your consent at any time."
)


def add(apps, schema_editor):
    apps.get_model("consent", "LawfulBasis").objects.get_or_create(
        record_type="early_help_record",
        defaults={
            "uuid": uuid.uuid4(),
            "article_6": "UK GDPR Article 6(1)(e): a task in the public interest",
            "article_9": "UK GDPR Article 9(2)(g): substantial public interest (safeguarding of children)",
            "explanation": "Children Act 2004 section 10 (co-operation to improve well-being); separate from "
            "the family's consent to take part in early help, which is voluntary.",
        },
    )
    apps.get_model("consent", "PrivacyNotice").objects.get_or_create(
        version="2026-01",
        defaults={"uuid": uuid.uuid4(), "text": NOTICE, "effective_from": datetime.date(2026, 1, 1)},
    )


def remove(apps, schema_editor):
    apps.get_model("consent", "LawfulBasis").objects.filter(record_type="early_help_record").delete()
    apps.get_model("consent", "PrivacyNotice").objects.filter(version="2026-01").delete()


class Migration(migrations.Migration):
    dependencies = [("consent", "0001_initial")]
    operations = [migrations.RunPython(add, remove)]
