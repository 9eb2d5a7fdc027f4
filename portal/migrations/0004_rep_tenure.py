"""REP tenure: when the current REP of record began serving a period (a REP reads from there, not from the
move-in), and the history of REPs per period. Existing periods: one tenure from move-in."""

import django.db.models.deletion
from django.db import migrations, models


def backfill(apps, schema_editor):
    ServicePeriod = apps.get_model("portal", "ServicePeriod")
    RepTenure = apps.get_model("portal", "RepTenure")
    ServicePeriod.objects.update(rep_since=models.F("starts_on"))
    RepTenure.objects.bulk_create(
        [
            RepTenure(period_id=pk, rep_id=rep_id, starts_on=starts_on, ends_on=None)
            for pk, rep_id, starts_on in ServicePeriod.objects.values_list(
                "pk", "rep_id", "starts_on"
            ).iterator()
        ],
        batch_size=1000,
    )


class Migration(migrations.Migration):
    dependencies = [("portal", "0003_meter_read_request")]

    operations = [
        migrations.AddField(
            model_name="serviceperiod",
            name="rep_since",
            field=models.DateField(
                editable=False,
                null=True,
                help_text="When the current REP of record's tenure began: the move-in, or the latest switch.",
                verbose_name="REP of record since",
            ),
        ),
        migrations.CreateModel(
            name="RepTenure",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("starts_on", models.DateField()),
                (
                    "ends_on",
                    models.DateField(
                        blank=True, help_text="The switch date; empty while current.", null=True
                    ),
                ),
                (
                    "period",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="rep_tenures",
                        to="portal.serviceperiod",
                    ),
                ),
                (
                    "rep",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="tenures",
                        to="portal.rep",
                        verbose_name="REP",
                    ),
                ),
            ],
            options={"verbose_name": "REP tenure", "ordering": ["period", "starts_on", "id"]},
        ),
        migrations.AddConstraint(
            model_name="reptenure",
            constraint=models.UniqueConstraint(
                condition=models.Q(("ends_on__isnull", True)),
                fields=("period",),
                name="one_current_rep_tenure_per_period",
            ),
        ),
        migrations.AddConstraint(
            model_name="reptenure",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("ends_on__isnull", True), ("ends_on__gte", models.F("starts_on")), _connector="OR"
                ),
                name="rep_tenure_ends_after_start",
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="serviceperiod",
            name="rep_since",
            field=models.DateField(
                editable=False,
                help_text="When the current REP of record's tenure began: the move-in, or the latest switch.",
                verbose_name="REP of record since",
            ),
        ),
    ]
