"""Revision 1 of each tier's policy: a starting point risk officers then edit
(every edit is a new revision, audited)."""

from django.db import migrations

DEFAULTS = {
    1: {"required_evidence": ["performance", "shap", "fairness", "drift"],
        "requires_validation_report": True, "approvals_required": 2,
        "risk_officer_must_approve": True, "four_fifths_min": 0.8,
        "equal_opportunity_max_difference": 0.1, "revalidation_months": 12, "grace_days": 30},
    2: {"required_evidence": ["performance", "shap", "fairness"],
        "requires_validation_report": False, "approvals_required": 1,
        "risk_officer_must_approve": False, "four_fifths_min": 0.8,
        "equal_opportunity_max_difference": None, "revalidation_months": 24, "grace_days": 30},
    3: {"required_evidence": ["performance"], "requires_validation_report": False,
        "approvals_required": 1, "risk_officer_must_approve": False, "four_fifths_min": None,
        "equal_opportunity_max_difference": None, "revalidation_months": 36, "grace_days": 60},
}


def create_default_policies(apps, schema_editor):
    TierPolicy = apps.get_model("workflow", "TierPolicy")
    for tier, fields in DEFAULTS.items():
        TierPolicy.objects.get_or_create(tier=tier, revision=1, defaults={
            **fields, "reason": "Assay's default policy"})


class Migration(migrations.Migration):
    dependencies = [("workflow", "0001_initial")]
    operations = [migrations.RunPython(create_default_policies, migrations.RunPython.noop)]
