"""The default survivorship rules, one per attribute (a copy: migrations must not follow the code)."""

from django.db import migrations

DEFAULT_RULES = {
    "given_name": {"strategy": "highest-trust"},
    "family_name": {"strategy": "highest-trust"},
    "email": {"strategy": "most-recent", "min_trust": 0.6},
    "phone": {"strategy": "trust-decay", "decay_days": 730, "decay_floor": 0.5, "decay_curve": "linear"},
    "date_of_birth": {"strategy": "most-frequent", "flag_conflicts": True},
    "address": {"strategy": "most-recent", "min_trust": 0.6},
    "country": {"strategy": "highest-trust"},
    "company": {"strategy": "most-complete"},
    "national_id": {"strategy": "highest-trust", "flag_conflicts": True},
}


def create_rules(apps, schema_editor):
    Rule = apps.get_model("profiles", "SurvivorshipRule")
    for attribute, settings in DEFAULT_RULES.items():
        Rule.objects.get_or_create(attribute=attribute, defaults={**settings, "updated_by": "migration"})


def remove_rules(apps, schema_editor):
    apps.get_model("profiles", "SurvivorshipRule").objects.filter(attribute__in=DEFAULT_RULES).delete()


class Migration(migrations.Migration):
    dependencies = [("profiles", "0003_survivorship_provenance_change_log")]

    operations = [migrations.RunPython(create_rules, remove_rules)]
