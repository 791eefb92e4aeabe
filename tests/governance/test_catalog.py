"""load_catalog (SPEC §2): validated whole, applied all or nothing, idempotent."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError

from connectors.models import SourceSystem
from governance.catalog import CatalogError, catalog_parse, format_duration, parse_duration
from governance.models import Integration, Team
from governance.services import catalog_apply, catalog_load
from tests.conftest import CRM_CATALOG


def catalog_with(**changes) -> dict:
    """The test catalog with one source's keys replaced, for one fault at a time."""
    data = yaml.safe_load(CRM_CATALOG)
    for dotted, value in changes.items():
        target = data["sources"][0]
        *path, last = dotted.split("__")
        for key in path:
            target = target[key]
        target[last] = value
    return data


def problems_of(data: object) -> list[str]:
    with pytest.raises(CatalogError) as info:
        catalog_parse(data)
    return info.value.problems


@pytest.mark.django_db
class TestLoad:
    def test_creates_sources_and_integrations(self, catalog_path):
        result = catalog_load(path=catalog_path)
        assert sorted(result.created) == ["crm", "erp"]
        crm = SourceSystem.objects.get(code="crm")
        assert (crm.name, crm.kind, crm.trust, crm.default_country) == ("Sales CRM", "crm", 0.9, "AU")
        assert crm.id_field == "Id"
        assert crm.updated_at_field == "LastModified"
        assert crm.mapping["date_of_birth"] == {"field": "Birthdate", "format": "%m/%d/%Y"}
        assert crm.mapping["email"] == {"field": "Email", "format": None}
        integration = crm.integration
        assert integration.pattern == "event-driven"
        assert integration.cadence == timedelta(minutes=5)
        assert integration.owner == Team.objects.get(slug="sales-ops")
        assert integration.classification == ["pii"]
        erp = SourceSystem.objects.get(code="erp")
        assert erp.default_country == "AU"
        assert erp.integration.owner is None
        assert erp.integration.direction == "inbound"
        assert erp.integration.lifecycle == "production"

    def test_loading_twice_changes_nothing(self, catalog_path):
        catalog_load(path=catalog_path)
        stamps = {s.code: s.updated_at for s in SourceSystem.objects.all()}
        integration_stamps = {i.pk: i.updated_at for i in Integration.objects.all()}
        result = catalog_load(path=catalog_path)
        assert result.counts() == {"created": 0, "updated": 0, "unchanged": 2}
        assert {s.code: s.updated_at for s in SourceSystem.objects.all()} == stamps
        assert {i.pk: i.updated_at for i in Integration.objects.all()} == integration_stamps

    def test_a_changed_value_updates_that_source_only(self, catalog_path):
        catalog_load(path=catalog_path)
        result = catalog_apply(catalog=catalog_parse(catalog_with(trust=0.7, integration__cadence="PT10M")))
        assert result.updated == ["crm"]
        assert result.unchanged == ["erp"]
        crm = SourceSystem.objects.get(code="crm")
        assert crm.trust == 0.7
        assert crm.integration.cadence == timedelta(minutes=10)

    def test_json_is_accepted(self, write_file):
        path = write_file("catalog.json", json.dumps(yaml.safe_load(CRM_CATALOG)))
        assert len(catalog_load(path=path).created) == 2

    def test_one_bad_source_applies_nothing(self, write_file):
        data = yaml.safe_load(CRM_CATALOG)
        data["sources"][1]["integration"]["pattern"] = "carrier-pigeon"
        with pytest.raises(CatalogError):
            catalog_load(path=write_file("bad.yaml", yaml.safe_dump(data)))
        assert not SourceSystem.objects.exists()
        assert not Integration.objects.exists()

    def test_command_reports_and_exits_nonzero_on_errors(self, catalog_path, write_file, capsys):
        call_command("load_catalog", str(catalog_path), "--json")
        out = capsys.readouterr().out.strip().splitlines()
        assert json.loads(out[-1]) == {"created": 2, "updated": 0, "unchanged": 0}
        bad = write_file("bad.yaml", yaml.safe_dump(catalog_with(kind="mainframe")))
        with pytest.raises(CommandError, match="source 'crm': kind: 'mainframe' is not one of"):
            call_command("load_catalog", str(bad))


class TestValidation:
    @pytest.mark.parametrize(
        ("changes", "expected"),
        [
            ({"colour": "red"}, "source 'crm': colour: unknown key"),
            ({"mapping__shoe_size": "Shoe"}, "source 'crm': mapping.shoe_size: unknown canonical attribute"),
            (
                {"integration__pattern": "smoke-signals"},
                "source 'crm': integration.pattern: 'smoke-signals' is not",
            ),
            (
                {"integration__cadence": "5 minutes"},
                "source 'crm': integration.cadence: '5 minutes' is not an ISO",
            ),
            ({"integration__cadence": "P1M"}, "source 'crm': integration.cadence: 'P1M' is not an ISO"),
            ({"integration__direction": "sideways"}, "source 'crm': integration.direction: 'sideways'"),
            ({"integration__lifecycle": "zombie"}, "source 'crm': integration.lifecycle: 'zombie'"),
            ({"integration__owner": "Sales Ops!"}, "source 'crm': integration.owner:"),
            ({"integration__domains": "customer"}, None),
            ({"integration__colour": 1}, "source 'crm': integration.colour: unknown key"),
            ({"trust": 1.5}, "source 'crm': trust: 1.5 must be a number from 0 to 1"),
            ({"trust": "high"}, "source 'crm': trust: 'high' must be a number from 0 to 1"),
            ({"default_country": "Oz"}, "source 'crm': default_country: 'Oz' is not an ISO 3166"),
            ({"kind": "mainframe"}, "source 'crm': kind: 'mainframe' is not one of"),
            ({"code": "Bad Code"}, "source 'Bad Code': code: 'Bad Code' must be a slug"),
            ({"mapping__email": {"field": "Email", "format": "%Y"}}, "source 'crm': mapping.email.format:"),
            (
                {"mapping__date_of_birth": {"field": "B", "format": "dd/mm/yyyy"}},
                "source 'crm': mapping.date_of_birth.format",
            ),
            ({"mapping__date_of_birth": {"column": "B"}}, "source 'crm': mapping.date_of_birth: unknown key"),
            ({"mapping__email": ""}, "source 'crm': mapping.email: the column name must be"),
            ({"mapping": []}, "source 'crm': mapping must be a non-empty map"),
        ],
    )
    def test_each_fault_is_named_with_source_and_key(self, changes, expected):
        data = catalog_with(**changes)
        if expected is None:
            assert catalog_parse(data).sources[0].integration.domains == ["customer"]
            return
        problems = problems_of(data)
        assert any(p.startswith(expected) for p in problems), problems

    def test_missing_required_keys_and_duplicates(self):
        data = yaml.safe_load(CRM_CATALOG)
        del data["sources"][0]["id_field"]
        del data["sources"][1]["integration"]["cadence"]
        data["sources"].append(dict(yaml.safe_load(CRM_CATALOG)["sources"][1]))
        problems = problems_of(data)
        assert "source 'crm': id_field: required" in problems
        assert "source 'erp': integration.cadence: required" in problems
        assert "source 'erp': code: appears more than once in the file" in problems

    def test_top_level_faults(self):
        assert problems_of([1, 2]) == ["catalog: the file must be a map with a 'sources' list"]
        problems = problems_of({"sources": [], "region": "AU", "default_country": "XX"})
        assert "catalog: region: unknown key" in problems
        assert "catalog: sources: must be a non-empty list" in problems
        assert any(p.startswith("catalog: default_country: 'XX'") for p in problems)

    def test_source_country_overrides_file_country(self):
        catalog = catalog_parse(catalog_with(default_country="nz"))
        assert catalog.sources[0].default_country == "NZ"
        assert catalog.sources[1].default_country == "AU"

    def test_unreadable_yaml(self, write_file):
        from governance.catalog import catalog_read

        with pytest.raises(CatalogError, match="not valid YAML"):
            catalog_read(write_file("x.yaml", "sources: [unclosed"))


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("PT5M", timedelta(minutes=5)),
        ("P1D", timedelta(days=1)),
        ("PT1H30M", timedelta(minutes=90)),
        ("P1W", timedelta(weeks=1)),
        ("P1DT12H", timedelta(hours=36)),
        ("pt15m", timedelta(minutes=15)),
    ],
)
def test_durations_parse_and_format_back(text, span):
    assert parse_duration(text) == span
    assert parse_duration(format_duration(span)) == span


@pytest.mark.parametrize("text", ["", "P", "PT", "5M", "P1Y", "PT-5M", "PT0S", "P1.5D", 5])
def test_bad_durations_are_refused(text):
    with pytest.raises(ValueError):
        parse_duration(text)
