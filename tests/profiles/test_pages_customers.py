"""Customer search and filters (the FilterSet shared with the API), PII masking for viewers, and
the dashboard, through the Django test client."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from profiles.filtersets import CustomerFilterSet
from profiles.models import Customer, GoldenAttribute
from tests.profiles.test_review_pages import html, login, queue  # noqa: F401 - the fixture


def ids(response) -> list[int]:
    return [c.pk for c in response.context["page"]]


def test_filterset_api_filters(queue):  # noqa: F811
    c = queue.customers
    by = lambda **data: sorted(x.pk for x in CustomerFilterSet(data).qs)  # noqa: E731
    assert by(q="quist") == [c[2].pk, c[3].pk]
    assert by(q="ANN@X") == [c[0].pk]
    assert by(q="02 9999 0000") == [c[2].pk]  # a local number, in the source's country (E.164 on record)
    assert by(q="+61 3 5441 7777") == [c[0].pk, c[1].pk]
    assert by(email="Ann@X.example") == [c[0].pk]
    assert by(email="cy@x.example") == [c[4].pk, c[5].pk]
    assert by(phone="+61299990000") == [c[2].pk]
    assert by(source="shop") == [c[1].pk, c[3].pk, c[5].pk, queue.di.pk]
    Customer.objects.filter(pk=c[0].pk).update(updated_at=timezone.now() + timedelta(days=2))
    later = (timezone.now() + timedelta(days=1)).isoformat()
    assert by(updated_after=later) == [c[0].pk]
    assert by(in_review="true") == [x.pk for x in c]
    assert by(in_review="false") == [queue.di.pk]
    GoldenAttribute.objects.create(
        customer=c[3],
        attribute="date_of_birth",
        value="1990-01-01",
        rule="most-frequent",
        conflict=True,
        fingerprint="x",
    )
    assert by(conflicts="1") == [c[3].pk]
    for bad in ({"source": "nope"}, {"updated_after": "yesterday"}, {"conflicts": "maybe"}):
        filterset = CustomerFilterSet(bad)
        assert not filterset.is_valid() and set(filterset.errors) == set(bad)


def test_customer_list_page_filters_and_reports_bad_values(client, queue):  # noqa: F811
    login(client, queue.steward)
    c = queue.customers
    assert ids(client.get(reverse("customer-list"), {"q": "moss", "source": "shop"})) == [c[5].pk]
    assert ids(client.get(reverse("customer-list"), {"in_review": "1"})) == [x.pk for x in c]
    response = client.get(reverse("customer-list"), {"updated_after": "not a date", "q": "moss"})
    assert response.status_code == 200 and "Filters not applied" in html(response)
    assert "updated_after" in html(response)
    nothing = html(client.get(reverse("customer-list"), {"source": "crm", "q": "zzz"}))
    assert "No golden records match “zzz”" in nothing


def test_customer_list_query_budget(client, queue, django_assert_max_num_queries):  # noqa: F811
    login(client, queue.steward)
    for i in range(60):
        Customer.objects.create(full_name=f"Extra {i}", email=f"e{i}@x.example")
    with django_assert_max_num_queries(7):
        response = client.get(reverse("customer-list"), {"q": "extra", "conflicts": "", "in_review": ""})
    assert len(response.context["page"].object_list) == 50
    with django_assert_max_num_queries(7):
        client.get(reverse("customer-list"), {"source": "crm", "in_review": "1", "page": "2"})


def test_viewers_see_personal_data_masked_and_stewards_in_full(client, queue):  # noqa: F811
    from connectors.models import SourceRecord

    c = queue.customers[0]
    SourceRecord.objects.filter(pk=queue.records[0].pk).update(
        date_of_birth=date(1980, 1, 2), street="7 Quarry Lane", national_id="123456789"
    )
    GoldenAttribute.objects.create(
        customer=c, attribute="email", value="ann@x.example", rule="most-recent", fingerprint="x"
    )
    GoldenAttribute.objects.create(
        customer=c, attribute="national_id", value="123456789", rule="highest-trust", fingerprint="y"
    )
    secrets = ["ann@x.example", "+61354417777", "1980-01-02", "7 Quarry Lane", "123456789"]
    pages = [
        reverse("customer-list"),
        c.get_absolute_url(),
        reverse("review-queue"),
        reverse("review-pair", args=[queue.pairs.close.pk]),
    ]
    login(client, queue.viewer)
    for url in pages:
        page = html(client.get(url))
        for secret in secrets:
            assert secret not in page, (url, secret)
    profile = html(client.get(c.get_absolute_url()))
    assert "a•••@x.example" in profile and "••••-••-••" in profile and "Raw payload hidden" in profile
    assert "••••••••••77" in profile

    login(client, queue.steward)
    profile = html(client.get(c.get_absolute_url()))
    for secret in secrets:
        assert secret in profile, secret
    assert "a•••@x.example" not in profile


def test_masked_filter_shapes():
    from profiles.templatetags.mdm_pages import masked

    assert masked("jane.doe@example.com", "email") == "j•••@example.com"
    assert masked("+61291234567", "phone") == "••••••••••67"
    assert masked(date(1990, 5, 6)) == "••••-••-••"
    assert masked("12 High St", "street") == "1•••••"
    assert masked("", "email") == "" and masked(None, "phone") == ""


@pytest.mark.django_db
def test_dashboard_figures_link_to_where_to_act(client, queue):  # noqa: F811
    from connectors.models import ImportBatch, QuarantinedRow

    batch = ImportBatch.objects.create(source=queue.records[0].source, actor="t", status="succeeded")
    QuarantinedRow.objects.create(batch=batch, line_number=3, raw_text="x", reasons=["bad"])
    login(client, queue.viewer)
    response = client.get(reverse("dashboard"))
    page = html(response)
    assert response.context["backlog"].waiting == 3
    assert response.context["records"]["active"] == 8 and response.context["customers"] == 7
    # Di's two records share a golden record: 2 of 8 resolved records are unified.
    assert response.context["unified"] == 2 and "25.0 %" in page
    assert f'href="{reverse("review-queue")}"><strong>3</strong> pairs to review' in page
    assert "oldest waiting" in page
    assert "stale integration" in page and "quarantined rows" in page
    assert response.context["quarantined"] == 1
