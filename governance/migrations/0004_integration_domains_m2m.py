"""The JSON list of domain slugs gives way to the many-to-many link to DataDomain rows."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("governance", "0003_domains_to_rows")]

    operations = [
        migrations.RemoveField(model_name="integration", name="domains"),
        migrations.RenameField(model_name="integration", old_name="data_domains", new_name="domains"),
    ]
