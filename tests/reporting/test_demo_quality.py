"""The demo's case audits and training records, built on what seed_demo makes: consistent with the rules."""

import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from reporting.audits import CHECKLISTS
from reporting.demo_quality import seed_case_audits
from reporting.models import CaseAudit, TrainingRecord

pytestmark = pytest.mark.django_db


def test_seed_case_audits_and_training_follow_the_rules(york_reference_data):
    output = io.StringIO()
    call_command("seed_demo", families=40, seed=5, stdout=output)
    today = timezone.localdate()
    audits_summary, training_summary = (
        line for line in output.getvalue().splitlines() if "case audits" in line or "training records" in line
    )

    audits = list(CaseAudit.objects.select_related("family", "episode", "plan", "intervention"))
    assert audits_summary == f"{len(audits)} case audits recorded by the Local Area Team managers." and audits
    for audit in audits:
        assert audit.worker_id != audit.auditor_id and audit.worker_told_at
        assert (
            audit.episode.family_id == audit.family_id and audit.local_area_team_id == audit.family.local_area_team_id
        )
        assert set(audit.checklist) == {key for key, _ in CHECKLISTS[audit.kind]}
        if audit.kind == CaseAudit.Kind.DIRECT_WORK:
            assert audit.intervention.worker_id == audit.worker_id
        else:
            assert audit.plan.episode_id == audit.episode_id and audit.episode.lead_practitioner_id == audit.worker_id
        assert audit.audited_on <= today
    records = TrainingRecord.objects.all()
    assert records.exists() and training_summary.startswith(f"{records.count()} training records")
    assert not records.filter(completed_on__gt=today).exists()
    assert records.filter(user__isnull=False).exists() and records.filter(user__isnull=True).exists()
    assert seed_case_audits(today=today) == "Case audits already present; left as they are."
