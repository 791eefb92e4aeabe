"""The site shell: login required everywhere, roles exist, pages render real figures."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse

from connectors.services.records import records_import
from tests.connectors.test_import_records import ROW_1, csv_text

PAGES = ["dashboard", "customer-list", "source-list", "governance", "review-queue", "review-learning", "run-list"]


@pytest.mark.django_db
@pytest.mark.parametrize("name", PAGES)
def test_pages_require_login(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_detail_pages_require_login(client, crm):
    for url in (reverse("source-detail", args=["crm"]), reverse("batch-detail", args=[1]), "/customers/1/"):
        assert client.get(url).status_code == 302


@pytest.mark.django_db
def test_login_page_and_logging_in(client, make_user):
    make_user("alice", "viewer", password="correct-Horse-9")
    assert client.get(reverse("login")).status_code == 200
    bad = client.post(reverse("login"), {"username": "alice", "password": "wrong"})
    assert "did not match" in bad.content.decode()
    good = client.post(reverse("login"), {"username": "alice", "password": "correct-Horse-9"})
    assert good.status_code == 302
    assert client.get(reverse("dashboard")).status_code == 200


@pytest.mark.django_db
def test_roles_exist_with_their_permissions():
    viewer, steward, admin = (Group.objects.get(name=n) for n in ("viewer", "steward", "admin"))
    viewer_perms = set(viewer.permissions.values_list("codename", flat=True))
    assert "view_sourcerecord" in viewer_perms
    assert not any(p.startswith(("change_", "add_", "delete_")) for p in viewer_perms)
    assert "change_customer" in set(steward.permissions.values_list("codename", flat=True))
    admin_perms = set(admin.permissions.values_list("codename", flat=True))
    # Apps migrated after profiles (governance) get their permissions granted too.
    assert {"delete_sourcesystem", "change_integration", "change_policyrule"} <= admin_perms


@pytest.mark.django_db
def test_sources_page_and_batch_page_show_quarantine(steward_client, crm, write_file):
    batch = records_import(source=crm, path=write_file("crm.csv", csv_text(ROW_1, "003Z,short")), actor="t")
    page = steward_client.get(reverse("source-list")).content.decode()
    assert "Sales CRM" in page
    assert ">1</td>" in page  # one record, one quarantined row
    detail = steward_client.get(reverse("source-detail", args=["crm"])).content.decode()
    assert f"#{batch.pk}" in detail
    assert "LastModified" in detail
    batch_page = steward_client.get(reverse("batch-detail", args=[batch.pk])).content.decode()
    assert "expected 14 columns, found 2" in batch_page
    assert "003Z,short" in batch_page
    assert steward_client.get(reverse("source-detail", args=["nope"])).status_code == 404
    assert steward_client.get(reverse("batch-detail", args=[99999])).status_code == 404


@pytest.mark.django_db
def test_customer_pages_search_and_redirect_retired_ids(steward_client, crm, write_file):
    from connectors.models import SourceRecord
    from profiles.models import Customer

    records_import(source=crm, path=write_file("crm.csv", csv_text(ROW_1)), actor="t")
    survivor = Customer.objects.create(full_name="John Smith", email="john.smith@example.com")
    retired = Customer.objects.create(full_name="J Smith", status="retired", merged_into=survivor)
    SourceRecord.objects.update(customer=survivor)
    found = steward_client.get(reverse("customer-list"), {"q": "smith"}).content.decode()
    assert "john.smith@example.com" in found
    assert "J Smith" not in found
    assert "No golden records match" in steward_client.get(reverse("customer-list"), {"q": "zzz"}).content.decode()
    by_phone = steward_client.get(reverse("customer-list"), {"q": "02 9123 4567"}).content.decode()
    assert survivor.get_absolute_url() in by_phone
    profile = steward_client.get(survivor.get_absolute_url()).content.decode()
    assert "crm</a> / 003A" in profile
    response = steward_client.get(retired.get_absolute_url())
    assert response.status_code == 302
    assert response["Location"] == survivor.get_absolute_url()


@pytest.mark.django_db
def test_governance_page_lists_integrations(steward_client, sources):
    page = steward_client.get(reverse("governance")).content.decode()
    assert "Event-driven" in page
    assert "sales-ops" in page
    assert "no owner" in page


@pytest.mark.django_db
def test_static_files_are_served_without_login(client):
    response = client.get("/static/css/mdm.css")
    assert response.status_code == 200


@pytest.mark.django_db
def test_ensure_user_creates_a_login_in_a_role(client):
    call_command("ensure_user", "steward", "--role", "steward", "--password", "steward-demo-2026")
    call_command("ensure_user", "boss", "--role", "admin", "--password", "admin-demo-2026")
    assert client.login(username="steward", password="steward-demo-2026")
    assert client.get(reverse("admin:index")).status_code == 302
    client.logout()
    assert client.login(username="boss", password="admin-demo-2026")
    assert client.get(reverse("admin:index")).status_code == 200
    assert client.get(reverse("admin:connectors_sourcerecord_changelist")).status_code == 200


@pytest.mark.django_db
def test_logging_out_ends_the_session(steward_client):
    response = steward_client.post(reverse("logout"))
    assert response.status_code == 302
    assert steward_client.get(reverse("dashboard")).status_code == 302


@pytest.mark.django_db
def test_every_model_has_a_working_admin_page(client, make_user, sources):
    from django.contrib import admin

    user = make_user("root", None)
    user.is_superuser = user.is_staff = True
    user.save()
    client.force_login(user)
    mdm_models = [m for m in admin.site._registry if m._meta.app_label in ("connectors", "profiles", "governance")]
    assert len(mdm_models) >= 12
    for model in mdm_models:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        assert client.get(url).status_code == 200, url


@pytest.mark.django_db
def test_match_run_pages(steward_client):
    from profiles.models import MatchRun

    run = MatchRun.objects.create(
        mode="full", status="succeeded", is_active=False, actor="t", records=10, figures={"score_histogram": [1] * 20}
    )
    assert f"#{run.pk}" in steward_client.get(reverse("run-list")).content.decode()
    detail = steward_client.get(reverse("run-detail", args=[run.pk])).content.decode()
    assert "Score histogram" in detail
    assert detail.count('class="hist-bar"') == 20
    assert "auto-link 0.8" in detail and "review 0.4" in detail
    progress = steward_client.get(reverse("run-progress", args=[run.pk])).json()
    assert (progress["status"], progress["progress"], progress["active"]) == ("succeeded", 0, False)
    assert steward_client.get(reverse("run-detail", args=[run.pk + 1])).status_code == 404
