from django.db import migrations


def _month_blocks_out_of_line(apps, schema_editor):
    # A meter-month block (~4 KB) leaves most of an 8 KB heap page empty when kept in the row; stored out of
    # line (already zstd-compressed, so no second compression) its 2 KB TOAST chunks pack pages full.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE usage_intervalmonth ALTER COLUMN data SET STORAGE EXTERNAL")


class Migration(migrations.Migration):
    dependencies = [
        ("usage", "0004_intervalday_source_file_index"),
    ]

    operations = [
        migrations.RunPython(_month_blocks_out_of_line, migrations.RunPython.noop),
    ]
