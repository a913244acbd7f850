"""The validator's sign-off, and a policy revision for tiers 1 and 2 that requires it
before approvers can sign (tier 3 keeps its revision: not required)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def require_signoff_for_tiers_1_and_2(apps, schema_editor):
    TierPolicy = apps.get_model("workflow", "TierPolicy")
    for tier in (1, 2):
        latest = TierPolicy.objects.filter(tier=tier).order_by("-revision").first()
        if latest is None or latest.requires_validation_signoff:
            continue
        latest.pk, latest.id = None, None
        latest.revision += 1
        latest.requires_validation_signoff = True
        latest.created_by = None
        latest.reason = "Assay's default: the validator's sign-off is required for tiers 1 and 2"
        latest._state.adding = True
        latest.save()


class Migration(migrations.Migration):

    dependencies = [
        ('registry', '0004_alter_modelversion_status'),
        ('workflow', '0002_default_policies'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='tierpolicy',
            name='requires_validation_signoff',
            field=models.BooleanField(default=False, help_text="approvers may sign only after the validator has signed 'validation complete' with a favourable opinion"),
        ),
        migrations.CreateModel(
            name='ValidationSignOff',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('round', models.PositiveIntegerField(help_text='the submission this sign-off answers')),
                ('validation_type', models.CharField(choices=[('initial', 'Initial validation'), ('periodic', 'Periodic revalidation'), ('change', 'Validation of a change')], max_length=12)),
                ('scope', models.TextField(help_text='what was validated and what was not')),
                ('opinion', models.CharField(choices=[('fit', 'Fit for purpose'), ('fit_with_conditions', 'Fit for purpose with conditions'), ('not_fit', 'Not fit for purpose')], max_length=24)),
                ('rationale', models.TextField()),
                ('signer_name', models.CharField(help_text='frozen at signing', max_length=200)),
                ('artifact_sha256', models.CharField(max_length=64)),
                ('evidence', models.JSONField(default=dict, help_text="what the validator signed over, bound like a decision's evidence")),
                ('signed_at', models.DateTimeField()),
                ('signer', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('version', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='signoffs', to='registry.modelversion')),
            ],
            options={
                'ordering': ['-signed_at', '-id'],
                'constraints': [models.UniqueConstraint(fields=('version', 'round'), name='one_signoff_per_round')],
            },
        ),
        migrations.RunPython(require_signoff_for_tiers_1_and_2, migrations.RunPython.noop),
    ]
