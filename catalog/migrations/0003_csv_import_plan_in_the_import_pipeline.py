# The CSV import plans move to the import pipeline's table (imports.ImportPlan); catalog keeps
# a proxy. Plans live two hours at most: the old ones are dropped, not copied.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('catalog', '0002_csv_import_plan_thumbnail'),
        ('imports', '0001_initial'),
    ]

    operations = [
        migrations.DeleteModel(
            name='CsvImportPlan',
        ),
        migrations.CreateModel(
            name='CsvImportPlan',
            fields=[],
            options={
                'verbose_name': 'import CSV',
                'verbose_name_plural': 'imports CSV',
                'proxy': True,
                'indexes': [],
                'constraints': [],
            },
            bases=('imports.importplan',),
        ),
    ]
