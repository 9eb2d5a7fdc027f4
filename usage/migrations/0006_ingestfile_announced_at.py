from django.db import migrations, models
from django.db.models import F


def _earlier_files_were_announced(apps, schema_editor):
    # files loaded before this field existed were announced at load time (or had nothing to announce)
    IngestFile = apps.get_model("usage", "IngestFile")
    IngestFile.objects.filter(finished_at__isnull=False).update(announced_at=F("finished_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("usage", "0005_intervalmonth_storage_external"),
    ]

    operations = [
        migrations.AddField(
            model_name="ingestfile",
            name="announced_at",
            field=models.DateTimeField(
                blank=True,
                help_text="When data.available was sent for this file; empty while the announcement is pending "
                "(a sweep sends it when the broker was unreachable at load time).",
                null=True,
            ),
        ),
        migrations.RunPython(_earlier_files_were_announced, migrations.RunPython.noop),
    ]
