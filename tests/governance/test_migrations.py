"""The data migration that turns JSON lists of domain slugs into DataDomain rows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("governance", "0001_initial")]
AFTER = [("governance", "0004_integration_domains_m2m")]


@pytest.mark.django_db(transaction=True)
def test_json_domains_become_rows_and_links():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    # connectors stays migrated to its latest state: build its models from that, not from 0001's day
    connectors_now = [node for node in executor.loader.graph.leaf_nodes() if node[0] == "connectors"]
    old = executor.loader.project_state(BEFORE + connectors_now).apps
    SourceSystem = old.get_model("connectors", "SourceSystem")
    Integration = old.get_model("governance", "Integration")
    for code, domains in (("crm", ["customer", "sales", " customer "]), ("erp", []), ("web", ["customer"])):
        source = SourceSystem.objects.create(code=code, name=code, id_field="id")
        Integration.objects.create(source=source, pattern="batch", cadence=timedelta(days=1), domains=domains)

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps
    DataDomain = new.get_model("governance", "DataDomain")
    Integration = new.get_model("governance", "Integration")
    assert sorted(DataDomain.objects.values_list("slug", flat=True)) == ["customer", "sales"]
    links = {i.source.code: sorted(d.slug for d in i.domains.all()) for i in Integration.objects.all()}
    assert links == {"crm": ["customer", "sales"], "erp": [], "web": ["customer"]}

    executor = MigrationExecutor(connection)  # and back: the links become lists again
    executor.migrate([("governance", "0002_data_domains_policies_change_log")])
    back = executor.loader.project_state([("governance", "0002_data_domains_policies_change_log")]).apps
    lists = dict(back.get_model("governance", "Integration").objects.values_list("source__code", "domains"))
    assert lists == {"crm": ["customer", "sales"], "erp": [], "web": ["customer"]}

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
