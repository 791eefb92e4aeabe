"""Catalog-as-code: the new optional keys, data domains as rows, and the export round trip."""

from __future__ import annotations

from datetime import timedelta

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError

from connectors.models import SourceSystem
from governance.catalog import (
    CatalogError,
    catalog_dump,
    catalog_parse,
    format_duration,
    parse_duration,
)
from governance.models import DataDomain, Integration, ObjectChange
from governance.selectors import catalog_get
from governance.services import catalog_load
from tests.governance.conftest import catalog_data

FULL = {
    "integration__protocol": "https",
    "integration__endpoint": "https://crm.example.com/api/contacts",
    "integration__docs": "https://wiki.example.com/crm-integration",
    "integration__domains": ["customer", "sales"],
    "integration__classification": ["pii", "consent"],
}


def problems_of(data: object) -> list[str]:
    with pytest.raises(CatalogError) as info:
        catalog_parse(data)
    return info.value.problems


class TestNewKeys:
    def test_protocol_endpoint_and_docs_are_optional(self):
        plain = catalog_parse(catalog_data()).sources[0].integration
        assert (plain.protocol, plain.endpoint, plain.docs) == ("", "", "")
        full = catalog_parse(catalog_data(**FULL)).sources[0].integration
        assert full.protocol == "https"
        assert full.endpoint == "https://crm.example.com/api/contacts"
        assert full.docs == "https://wiki.example.com/crm-integration"

    @pytest.mark.parametrize(
        ("changes", "expected"),
        [
            ({"integration__docs": "wiki page"}, "source 'crm': integration.docs: 'wiki page' is not an http(s) URL"),
            ({"integration__docs": "ftp://x.example.com/a"}, "source 'crm': integration.docs: 'ftp://"),
            ({"integration__protocol": 443}, "source 'crm': integration.protocol: must be a string of at most 50"),
            ({"integration__endpoint": "x" * 501}, "source 'crm': integration.endpoint: must be a string of at most"),
            ({"integration__domains": ["Customer Data"]}, "source 'crm': integration.domains: 'Customer Data' must"),
            ({"integration__steward": "x" * 255}, "source 'crm': integration.steward: must be a string of at most"),
        ],
    )
    def test_bad_values_are_named(self, changes, expected):
        problems = problems_of(catalog_data(**changes))
        assert any(p.startswith(expected) for p in problems), problems


@pytest.mark.django_db
class TestDomains:
    def test_domains_become_rows_and_order_does_not_matter(self, apply_catalog):
        apply_catalog(**FULL)
        crm = Integration.objects.get(source__code="crm")
        assert sorted(d.slug for d in crm.domains.all()) == ["customer", "sales"]
        assert set(DataDomain.objects.values_list("slug", flat=True)) == {"customer", "sales"}
        again = apply_catalog(**{**FULL, "integration__domains": ["sales", "customer", "sales"]})
        assert again.unchanged == ["crm", "erp"]
        changed = apply_catalog(**{**FULL, "integration__domains": ["sales"]})
        assert changed.updated == ["crm"]
        assert [d.slug for d in crm.domains.all()] == ["sales"]
        assert DataDomain.objects.filter(slug="customer").exists()  # rows outlive their last use


@pytest.mark.django_db
class TestRoundTrip:
    def test_load_export_load_changes_nothing_and_exporting_twice_is_identical(self, write_file, capsys):
        data = catalog_data(**FULL)
        data["sources"].append(  # a source without an integration, with a date format and its own country
            {
                "code": "legacy",
                "name": "Legacy: ‘quoted’ name",
                "id_field": "ID #",
                "default_country": "NZ",
                "mapping": {"date_of_birth": {"field": "DOB", "format": "%d/%m/%Y"}, "email": "yes"},
            }
        )
        catalog_load(path=write_file("in.yaml", yaml.safe_dump(data)))
        changes = ObjectChange.objects.count()
        stamps = {s.code: s.updated_at for s in SourceSystem.objects.all()}

        call_command("export_catalog")
        first = capsys.readouterr().out
        result = catalog_load(path=write_file("out.yaml", first))
        assert result.counts() == {"created": 0, "updated": 0, "unchanged": 3}
        assert ObjectChange.objects.count() == changes
        assert {s.code: s.updated_at for s in SourceSystem.objects.all()} == stamps
        call_command("export_catalog")
        assert capsys.readouterr().out == first

        exported = yaml.safe_load(first)
        assert [s["code"] for s in exported["sources"]] == ["crm", "erp", "legacy"]
        crm = exported["sources"][0]
        assert crm["mapping"]["date_of_birth"] == {"field": "Birthdate", "format": "%m/%d/%Y"}
        assert crm["integration"]["cadence"] == "PT5M"
        assert crm["integration"]["docs"] == "https://wiki.example.com/crm-integration"
        assert crm["integration"]["domains"] == ["customer", "sales"]
        assert "owner" not in exported["sources"][1]["integration"]  # erp has none
        assert "integration" not in exported["sources"][2]
        assert "domains: [customer, sales]" in first  # written as the documentation shows it

    def test_parse_of_dump_is_the_same_catalog(self):
        catalog = catalog_parse(catalog_data(**FULL))
        assert catalog_parse(yaml.safe_load(catalog_dump(catalog))).sources == sorted(
            catalog.sources, key=lambda s: s.code
        )

    def test_the_database_catalog_parses_back_equal(self, apply_catalog):
        apply_catalog(**FULL)
        catalog = catalog_get()
        assert catalog_parse(yaml.safe_load(catalog_dump(catalog))) == catalog

    def test_output_file_and_errors(self, apply_catalog, tmp_path, capsys):
        with pytest.raises(CommandError, match="no sources to export"):
            call_command("export_catalog")
        apply_catalog()
        target = tmp_path / "catalog.yaml"
        call_command("export_catalog", "--output", str(target))
        assert capsys.readouterr().out == ""
        assert yaml.safe_load(target.read_text())["sources"][0]["code"] == "crm"
        with pytest.raises(CommandError, match="cannot write"):
            call_command("export_catalog", "--output", str(tmp_path / "missing" / "catalog.yaml"))


@pytest.mark.parametrize(
    ("span", "text"),
    [
        (timedelta(minutes=5), "PT5M"),
        (timedelta(days=1, hours=12), "P1DT12H"),
        (timedelta(weeks=1), "P7D"),
        (timedelta(seconds=0.5), "PT0.5S"),
        (timedelta(0), "PT0S"),
    ],
)
def test_format_duration(span, text):
    assert format_duration(span) == text
    if span:
        assert parse_duration(text) == span
