"""Monthly range partitions for the interval tables on PostgreSQL (docs/scaling.md); nothing on SQLite.

On an empty database the partitioned tables are swapped in at once. With data, the tables are converted in
place, month by month, while the database stays in use (usage.storage.conversion); for a big database run
``manage.py partition_intervals`` before this migration, which then finds the tables partitioned. Not atomic:
the conversion commits month by month.
"""

from django.db import migrations


def _partition(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from usage.storage.conversion import convert_to_partitioned

    convert_to_partitioned(log=print)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("usage", "0006_ingestfile_announced_at"),
    ]

    operations = [
        migrations.RunPython(_partition, migrations.RunPython.noop, elidable=False),
    ]
