from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("imports", "0003_plan_row_one_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="planrow",
            name="declined",
            field=models.BooleanField(default=False),
        ),
    ]
