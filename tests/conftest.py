"""Shared fixtures: a source as a catalog declares it, files on disk, logged-in users."""

from __future__ import annotations

from pathlib import Path

import pytest

CRM_CATALOG = """
default_country: AU
sources:
  - code: crm
    name: Sales CRM
    kind: crm
    trust: 0.9
    id_field: Id
    updated_at_field: LastModified
    mapping:
      given_name: FirstName
      family_name: LastName
      email: Email
      phone: Phone
      date_of_birth: {field: Birthdate, format: "%m/%d/%Y"}
      street: MailingStreet
      city: MailingCity
      postcode: MailingPostalCode
      state: MailingState
      country: MailingCountry
      company: AccountName
    integration:
      pattern: event-driven
      direction: inbound
      cadence: PT5M
      owner: sales-ops
      steward: ops@example.com
      domains: [customer]
      classification: [pii]
      lifecycle: production
  - code: erp
    name: ERP
    kind: erp
    trust: 0.8
    id_field: KUNNR
    mapping:
      full_name: NAME1
      email: SMTP_ADDR
      national_id: STCD1
    integration:
      pattern: batch
      cadence: P1D
"""


@pytest.fixture
def write_file(tmp_path: Path):
    """Write text (or bytes) to a file under tmp_path and return its path."""

    def write(name: str, content: str | bytes) -> Path:
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    return write


@pytest.fixture
def catalog_path(write_file) -> Path:
    return write_file("catalog.yaml", CRM_CATALOG)


@pytest.fixture
def sources(db, catalog_path):
    """The crm and erp sources, loaded through the catalog as a user would."""
    from connectors.models import SourceSystem
    from governance.services import catalog_load

    catalog_load(path=catalog_path)
    return {s.code: s for s in SourceSystem.objects.all()}


@pytest.fixture
def crm(sources):
    return sources["crm"]


@pytest.fixture
def make_user(db):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    def make(username: str = "stew", role: str | None = "steward", password: str = "pw-Secret-123"):
        user = get_user_model().objects.create_user(username=username, password=password)
        if role:
            user.groups.add(Group.objects.get(name=role))
        return user

    return make


@pytest.fixture
def steward_client(client, make_user):
    client.force_login(make_user())
    return client
