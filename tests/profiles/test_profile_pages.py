"""The unified profile page and its steward actions, the survivorship rules page, the
customer list's conflict filter."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from connectors.models import Activity
from profiles.choices import CustomerEventKind, CustomerStatus
from profiles.models import Customer, CustomerEvent, SurvivorshipRule, SurvivorshipRuleChange
from profiles.selectors import customer_summary
from profiles.services.values import value_pin
from tests.profiles.conftest import golden_values

pytestmark = pytest.mark.django_db


def activity(record, kind, days_ago, amount=None, summary=""):
    return Activity.objects.create(
        source_record=record,
        kind=kind,
        occurred_at=timezone.now() - timedelta(days=days_ago),
        amount=amount,
        summary=summary,
        fingerprint=f"{record.pk}-{kind}-{days_ago}-{summary}",
    )


@pytest.fixture
def family(build):
    """Ann (two records that disagree on her date of birth, with activities) and Bo, who shares
    her address and landline (a household), plus a stranger."""
    from datetime import date

    crm, shop = build.source("crm", 0.9), build.source("shop", 0.7)
    home = {
        "street": "7 Quarry Lane",
        "street_key": "7 quarry ln",
        "postcode": "3550",
        "postcode_key": "3550",
        "phone": "+61354417777",
        "phone_key": "+61354417777",
    }
    a1 = build.record(
        crm,
        given_name="Ann",
        family_name="Lee",
        email="ann@x.example",
        date_of_birth=date(1980, 1, 2),
        updated_at="2010-01-01T00:00:00Z",
        **home,
    )
    a2 = build.record(shop, given_name="Ann", family_name="Lee", date_of_birth=date(1981, 2, 3))
    bo = build.record(crm, given_name="Bo", family_name="Lee", **home)
    stranger = build.record(shop, given_name="Zed", family_name="Quist")
    ann = build.customer(a1, a2)
    activity(a2, "order", 100, Decimal("100.00"), "Order #1")
    activity(a1, "invoice", 90, Decimal("70.00"), "Invoice 1")
    activity(a1, "payment", 80, Decimal("50.00"), "Payment for invoice 1")
    activity(a1, "ticket", 2, summary="Ticket #7: Can't log in")
    activity(a1, "ticket", 3, summary="Ticket #8: Refund request [closed]")
    activity(a1, "ticket", 400, summary="Ticket #2: Old problem")
    bo = build.customer(bo)
    value_pin(customer=bo, attribute="given_name", value="Beau", actor="stew")
    value_pin(customer=ann, attribute="family_name", value="Lee", actor="stew", reason="checked the passport")
    return {"ann": ann, "bo": bo, "stranger": build.customer(stranger), "a1": a1, "a2": a2}


@pytest.fixture
def viewer_client(client, make_user):
    client.force_login(make_user("vic", "viewer"))
    return client


@pytest.fixture
def admin_client_role(client, make_user):
    client.force_login(make_user("boss", "admin"))
    return client


def page(client, customer) -> str:
    response = client.get(customer.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def test_summary_figures_of_the_unified_profile(family):
    summary = customer_summary(family["ann"])
    assert summary.lifetime_value == Decimal("150.00")  # the order and the payment; invoices are not money yet
    assert summary.invoiced == Decimal("70.00")
    assert summary.open_tickets == 1  # recent and not closed
    assert summary.activities == 6
    assert summary.sources == 2 and summary.records == 2
    assert summary.first_seen.year == 2010  # the CRM record's last update predates every activity
    assert (timezone.now() - summary.last_interaction).days == 2


def test_profile_shows_provenance_conflicts_relationships_timeline_and_history(
    steward_client, family, django_assert_max_num_queries
):
    ann = family["ann"]
    with django_assert_max_num_queries(20):
        html = page(steward_client, ann)
    assert "Highest source trust" in html and "Most frequent across sources" in html
    assert "badge-conflict" in html  # two dates of birth
    assert "crm</a> / " + family["a1"].external_id in html
    assert "150.00" in html and "1</strong> open ticket" in html
    assert "Household: 7 Quarry Lane" in html
    assert family["bo"].get_absolute_url() in html
    assert "Ticket #7: Can&#x27;t log in" in html
    assert "Value pinned" in html and "checked the passport" in html  # history
    assert reverse("customer-pin", args=[ann.pk]) in html
    assert reverse("customer-merge", args=[ann.pk]) in html
    assert 'form="split-form"' in html


def test_a_viewer_sees_the_profile_but_no_steward_actions_and_cannot_post(viewer_client, family):
    ann = family["ann"]
    html = page(viewer_client, ann)
    assert "Highest source trust" in html
    assert reverse("customer-pin", args=[ann.pk]) not in html
    response = viewer_client.post(
        reverse("customer-pin", args=[ann.pk]), {"attribute": "email", "value": "x@y.example"}
    )
    assert response.status_code == 403
    assert golden_values(ann)["email"] == "ann@x.example"


def test_pin_and_unpin_from_the_profile(steward_client, family):
    ann = family["ann"]
    response = steward_client.post(
        reverse("customer-pin", args=[ann.pk]), {"attribute": "date_of_birth", "record": family["a2"].pk}, follow=True
    )
    html = response.content.decode()
    assert "date of birth pinned to “1981-02-03”" in html
    assert "badge-pinned" in html
    assert Customer.objects.get(pk=ann.pk).date_of_birth.isoformat() == "1981-02-03"
    response = steward_client.post(
        reverse("customer-unpin", args=[ann.pk]), {"attribute": "date_of_birth"}, follow=True
    )
    assert "date of birth unpinned." in response.content.decode()
    assert CustomerEvent.objects.filter(customer=ann, kind=CustomerEventKind.UNPINNED, actor="stew").exists()


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("customer-pin", {"attribute": "email"}, "Nothing pinned: pick a source value or type one"),
        ("customer-pin", {"attribute": "shoe_size", "value": "9"}, "Nothing pinned: attribute:"),
        (
            "customer-pin",
            {"attribute": "email", "value": "nope"},
            "Nothing pinned: &#x27;nope&#x27; is not a valid email",
        ),
        ("customer-pin", {"attribute": "email", "record": "abc"}, "Nothing pinned: record:"),
        ("customer-unpin", {"attribute": "email"}, "Nothing unpinned: email of golden record"),
        ("customer-merge", {"others": "abc"}, "Nothing merged: others: &#x27;abc&#x27; is not a golden record id"),
        ("customer-merge", {"others": ""}, "Nothing merged: others: This field is required."),
        ("customer-merge", {"others": "SELF"}, "Nothing merged: a golden record cannot be merged into itself"),
        ("customer-merge", {"others": "999999"}, "Nothing merged: no golden record 999999"),
        ("customer-split", {}, "Nothing split: records: choose the source records to split off"),
        ("customer-split", {"records": "STRANGER"}, "is not a source record of this golden record"),
        ("customer-split", {"records": "ALL"}, "Nothing split: a split must leave at least one source record"),
    ],
)
def test_bad_posts_come_back_with_a_clear_message(steward_client, family, name, data, message):
    ann = family["ann"]
    replace = {"SELF": str(ann.pk), "STRANGER": str(family["stranger"].source_records.get().pk)}
    data = {k: replace.get(v, v) for k, v in data.items()}
    if data.get("records") == "ALL":
        data["records"] = [family["a1"].pk, family["a2"].pk]
    before = Customer.objects.filter(status=CustomerStatus.ACTIVE).count()
    response = steward_client.post(reverse(name, args=[ann.pk]), data, follow=True)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Customer.objects.filter(status=CustomerStatus.ACTIVE).count() == before


def test_steward_urls_refuse_get_unknown_customers_and_foreign_events(steward_client, family):
    ann, bo = family["ann"], family["bo"]
    assert steward_client.get(reverse("customer-pin", args=[ann.pk])).status_code == 405
    assert steward_client.post(reverse("customer-merge", args=[999999]), {"others": "1"}).status_code == 404
    foreign = CustomerEvent.objects.filter(customer=bo).first()
    assert steward_client.post(reverse("customer-event-undo", args=[ann.pk, foreign.pk])).status_code == 404
    own = CustomerEvent.objects.filter(customer=ann).first()
    response = steward_client.post(reverse("customer-event-undo", args=[ann.pk, own.pk]), follow=True)
    assert "Not undone: only a steward&#x27;s merge or split can be undone" in response.content.decode()


def test_merge_split_and_undo_from_the_profile(steward_client, family):
    ann, bo = family["ann"], family["bo"]
    response = steward_client.post(
        reverse("customer-merge", args=[ann.pk]), {"others": f"#{bo.pk}", "reason": "same"}, follow=True
    )
    assert f"Merged #{bo.pk} into #{ann.pk}" in response.content.decode()
    redirect = steward_client.get(bo.get_absolute_url())
    assert (redirect.status_code, redirect["Location"]) == (302, ann.get_absolute_url())
    merge = CustomerEvent.objects.get(customer=ann, kind=CustomerEventKind.ABSORBED)
    html = page(steward_client, ann)
    assert reverse("customer-event-undo", args=[ann.pk, merge.pk]) in html

    response = steward_client.post(
        reverse("customer-split", args=[ann.pk]), {"records": [family["a2"].pk], "reason": "not her"}, follow=True
    )
    assert "Split 1 source record(s) off into #" in response.content.decode()
    split = CustomerEvent.objects.get(customer=ann, kind=CustomerEventKind.SPLIT)
    steward_client.post(reverse("customer-event-undo", args=[ann.pk, split.pk]))
    response = steward_client.post(reverse("customer-event-undo", args=[ann.pk, merge.pk]), follow=True)
    assert "The merge was undone." in response.content.decode()
    bo.refresh_from_db()
    assert bo.status == CustomerStatus.ACTIVE
    assert set(ann.source_records.values_list("pk", flat=True)) == {family["a1"].pk, family["a2"].pk}


def test_customer_list_filters_golden_records_with_conflicts(steward_client, family, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        everyone = steward_client.get(reverse("customer-list")).content.decode()
    assert "3 golden records" in everyone
    conflicted = steward_client.get(reverse("customer-list"), {"conflicts": "1"}).content.decode()
    assert "1 golden record with conflicting values" in conflicted
    assert family["ann"].get_absolute_url() in conflicted
    assert family["bo"].get_absolute_url() not in conflicted


def test_rules_page_lists_the_rules_and_only_admins_edit_them(steward_client, family, client, make_user):
    html = steward_client.get(reverse("rule-list")).content.decode()
    assert "Most recent" in html and "sources with trust ≥ 0.60" in html and "730 days to 0.50× trust" in html
    assert reverse("rule-edit", args=["email"]) not in html
    assert steward_client.get(reverse("rule-edit", args=["email"])).status_code == 403

    client.force_login(make_user("boss", "admin"))
    assert reverse("rule-edit", args=["email"]) in client.get(reverse("rule-list")).content.decode()
    assert client.get(reverse("rule-edit", args=["shoe_size"])).status_code == 404
    form = {
        "strategy": "source-priority",
        "source_priority": "shop, nope",
        "min_trust": "0",
        "decay_days": "730",
        "decay_floor": "0.5",
        "decay_curve": "linear",
    }
    response = client.post(reverse("rule-edit", args=["email"]), form)
    assert response.status_code == 200 and "unknown sources: nope" in response.content.decode()
    response = client.post(reverse("rule-edit", args=["email"]), {**form, "min_trust": "3"})
    assert "a number between 0 and 1" in response.content.decode() or "less than or equal" in response.content.decode()
    assert not SurvivorshipRuleChange.objects.exists()
    response = client.post(reverse("rule-edit", args=["email"]), {**form, "source_priority": "shop, crm"})
    assert response.status_code == 302
    rule = SurvivorshipRule.objects.get(attribute="email")
    assert (rule.strategy, rule.source_priority, rule.updated_by) == ("source-priority", ["shop", "crm"], "boss")
    change = SurvivorshipRuleChange.objects.get()
    assert change.before["strategy"] == "most-recent" and change.after["source_priority"] == ["shop", "crm"]
    assert "shop › crm" in client.get(reverse("rule-list")).content.decode()


def test_rule_edits_in_the_django_admin_are_audited_too(client, make_user):
    user = make_user("root", None)
    user.is_superuser = user.is_staff = True
    user.save()
    client.force_login(user)
    rule = SurvivorshipRule.objects.get(attribute="company")
    url = reverse("admin:profiles_survivorshiprule_change", args=[rule.pk])
    assert client.get(url).status_code == 200
    data = {
        "strategy": "highest-trust",
        "source_priority": "[]",
        "min_trust": "0",
        "decay_days": "730",
        "decay_floor": "0.5",
        "decay_curve": "linear",
    }
    assert client.post(url, data).status_code == 302
    assert SurvivorshipRule.objects.get(pk=rule.pk).strategy == "highest-trust"
    assert SurvivorshipRuleChange.objects.get().actor == "root"
