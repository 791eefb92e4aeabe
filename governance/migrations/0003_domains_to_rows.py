"""Data domains become DataDomain rows: each slug listed on an integration becomes a row and a link."""

from django.db import migrations


def domains_to_rows(apps, schema_editor):
    DataDomain = apps.get_model("governance", "DataDomain")
    Integration = apps.get_model("governance", "Integration")
    for integration in Integration.objects.all():
        slugs = [s.strip() for s in integration.domains or [] if isinstance(s, str) and s.strip()]
        domains = [DataDomain.objects.get_or_create(slug=slug[:100])[0] for slug in slugs]
        integration.data_domains.set(domains)


def rows_to_domains(apps, schema_editor):
    Integration = apps.get_model("governance", "Integration")
    for integration in Integration.objects.all():
        integration.domains = sorted(integration.data_domains.values_list("slug", flat=True))
        integration.save(update_fields=["domains"])


class Migration(migrations.Migration):
    dependencies = [("governance", "0002_data_domains_policies_change_log")]

    operations = [migrations.RunPython(domains_to_rows, rows_to_domains)]
