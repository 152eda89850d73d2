# The Escarcelle import plans move to the import pipeline's table (imports.ImportPlan);
# escarcelle keeps a proxy. Plans live two hours at most: the old ones are dropped, not copied,
# and the history (ImportRun) keeps its counts but loses its link to them.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('escarcelle', '0001_initial'),
        ('imports', '0001_initial'),
    ]

    operations = [
        migrations.RemoveField(
            model_name='importrun',
            name='plan',
        ),
        migrations.DeleteModel(
            name='ImportPlan',
        ),
        migrations.CreateModel(
            name='ImportPlan',
            fields=[],
            options={
                'verbose_name': "plan d'import Escarcelle",
                'verbose_name_plural': "plans d'import Escarcelle",
                'proxy': True,
                'indexes': [],
                'constraints': [],
            },
            bases=('imports.importplan',),
        ),
        migrations.AddField(
            model_name='importrun',
            name='plan',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, to='imports.importplan'),
        ),
    ]
