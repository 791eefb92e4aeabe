"""The catalog's `connector:` block: validated with messages naming the source and key, stored on
the source, and exported so that loading the export changes nothing."""

from __future__ import annotations

import pytest
import yaml
from django.core.management import call_command

from connectors.models import SourceSystem
from governance.catalog import CatalogError, catalog_parse

BASE = {
    "code": "crm",
    "name": "CRM",
    "id_field": "Id",
    "updated_at_field": "Modified",
    "mapping": {"email": "Email"},
    "integration": {"pattern": "api-led", "cadence": "PT5M"},
}

HTTP = {
    "kind": "http-pull",
    "url": "https://crm.example.com/api/customers",
    "pagination": {"style": "cursor", "cursor_param": "after", "cursor_path": "meta.next"},
    "records_path": "data",
    "watermark_param": "updated_since",
    "auth": {"type": "bearer", "token_env": "CRM_TOKEN"},
    "params": {"status": "active"},
    "timeout": 10,
    "page_size": 200,
    "retries": 3,
}
SQL = {"kind": "sql-pull", "dsn_env": "ERP_DSN", "table": "erp.customers", "watermark_column": "Modified"}
EVENTS = {"kind": "events", "secret_env": "SHOP_SECRET"}
VIRTUAL = {"kind": "virtualization", "record_url": "https://crm.example.com/api/customers/{id}", "cache_seconds": 15}


def parse(connector: object, **source: object) -> list[str]:
    try:
        catalog_parse({"sources": [{**BASE, **source, "connector": connector}]})
    except CatalogError as exc:
        return exc.problems
    return []


@pytest.mark.parametrize("block", [HTTP, SQL, EVENTS, VIRTUAL, {**SQL, "table": None, "query": "select * from t"}])
def test_valid_blocks(block):
    block = {k: v for k, v in block.items() if v is not None}
    assert parse(block) == []


@pytest.mark.parametrize(
    "block,problem",
    [
        (
            {"kind": "ftp"},
            "source 'crm': connector.kind: 'ftp' is not one of http-pull, sql-pull, events, virtualization",
        ),
        ({"kind": "http-pull"}, "source 'crm': connector.url: required for kind http-pull"),
        ({**HTTP, "url": "ftp://x"}, "source 'crm': connector.url: 'ftp://x' is not an http(s) URL"),
        ({**HTTP, "colour": 1}, "source 'crm': connector.colour: unknown key"),
        (
            {**HTTP, "token": "abc"},
            "source 'crm': connector.token: unknown key (secrets are never stored in the catalog: "
            "name the environment variable with token_env)",
        ),
        ({**HTTP, "timeout": -1}, "source 'crm': connector.timeout: -1 must be a number from 0.1 to 600"),
        ({**HTTP, "page_size": 2.5}, "source 'crm': connector.page_size: 2.5 must be a whole number from 1 to 100000"),
        (
            {**HTTP, "pagination": {"style": "scroll"}},
            "source 'crm': connector.pagination.style: 'scroll' is not one of next-link, page, offset, cursor",
        ),
        (
            {**HTTP, "auth": {"type": "bearer", "token": "abc"}},
            "source 'crm': connector.auth.token: unknown key (secrets are never stored in the catalog: "
            "name the environment variable with token_env)",
        ),
        (
            {**HTTP, "auth": {"type": "basic", "username_env": "U"}},
            "source 'crm': connector.auth.password_env: required for basic auth",
        ),
        (
            {**HTTP, "auth": {"type": "bearer", "token_env": "not a name"}},
            "source 'crm': connector.auth.token_env: 'not a name' must be an environment variable name",
        ),
        ({**SQL, "query": "select 1"}, "source 'crm': connector: give either table or query (not both)"),
        ({**SQL, "table": "x; drop table y"}, "source 'crm': connector.table: 'x; drop table y' must be a table name"),
        (
            {"kind": "sql-pull", "dsn_env": "D", "query": "delete from t", "watermark_column": "m"},
            "source 'crm': connector.query: must be a SELECT (or WITH … SELECT) statement",
        ),
        ({"kind": "events"}, "source 'crm': connector.secret_env: required for kind events"),
        (
            {**VIRTUAL, "record_url": "https://x.example.com/customers"},
            "source 'crm': connector.record_url: must contain {id}, replaced by the record's source id",
        ),
        ("http-pull", "source 'crm': connector: must be a map with a kind"),
    ],
)
def test_invalid_blocks_name_the_source_and_key(block, problem):
    problems = parse(block)
    assert any(p.startswith(problem) for p in problems), problems


def test_events_need_an_updated_at_field():
    problems = parse(EVENTS, updated_at_field="")
    assert problems == [
        "source 'crm': connector: events need the source's updated_at_field, so that an older event never "
        "overwrites a newer state"
    ]


def test_connector_is_stored_and_the_export_round_trips(db, write_file, capsys):
    sources = [
        {**BASE, "connector": HTTP},
        {**BASE, "code": "erp", "connector": SQL},
        {**BASE, "code": "shop", "connector": EVENTS},
        {**BASE, "code": "web", "connector": VIRTUAL},
        {**BASE, "code": "files"},
    ]
    path = write_file("catalog.yaml", yaml.safe_dump({"sources": sources}))
    call_command("load_catalog", str(path))
    assert SourceSystem.objects.get(code="crm").connector == HTTP
    assert SourceSystem.objects.get(code="files").connector == {}
    capsys.readouterr()

    call_command("export_catalog")
    exported = capsys.readouterr().out
    document = yaml.safe_load(exported)
    assert {s["code"]: s.get("connector") for s in document["sources"]} == {
        "crm": HTTP,
        "erp": SQL,
        "files": None,
        "shop": EVENTS,
        "web": VIRTUAL,
    }
    again = write_file("exported.yaml", exported)
    call_command("load_catalog", str(again))
    assert "5 unchanged" in capsys.readouterr().out
    call_command("export_catalog")
    assert capsys.readouterr().out == exported


def test_invalid_connector_applies_nothing(db, write_file):
    path = write_file("catalog.yaml", yaml.safe_dump({"sources": [{**BASE, "connector": {"kind": "http-pull"}}]}))
    with pytest.raises(Exception, match="connector.url: required"):
        call_command("load_catalog", str(path))
    assert not SourceSystem.objects.exists()
