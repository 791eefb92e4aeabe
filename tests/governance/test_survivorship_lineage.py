"""Survivorship figures, trust suggestion, consumers, lineage and blast radius on a crafted dataset.

Every expected figure is worked out by hand in the comments of `world` below.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from connectors.choices import BatchStatus
from governance.models import ObjectChange
from governance.selectors import (
    attribute_lineage_list,
    blast_radius_customers,
    blast_radius_get,
    consumer_list,
    customer_lineage,
    source_field_lineage,
    source_scorecard,
    survivorship_figures,
    trust_suggestion,
)
from profiles.choices import CustomerEventKind, CustomerStatus, Decision, PairStatus, ValueRule
from profiles.models import Customer, CustomerEvent, GoldenAttribute, MatchPair, ValuePin


def _golden(customer, attribute, value, record, *, rule=ValueRule.HIGHEST_TRUST, pinned=False, source=None):
    return GoldenAttribute.objects.create(
        customer=customer,
        attribute=attribute,
        value=value,
        source_record=record,
        source=source if source is not None else (record.source if record else None),
        rule=ValueRule.STEWARD_OVERRIDE if pinned else rule,
        pinned=pinned,
        fingerprint="x",
    )


def _pair(a, b, *, decision=""):
    low, high = sorted((a, b), key=lambda r: r.pk)
    return MatchPair.objects.create(
        record_a=low,
        record_b=high,
        probability=0.5,
        match_weight=0.0,
        status=PairStatus.DECIDED if decision else PairStatus.REVIEW,
        decision=decision,
    )


@pytest.fixture
def world(sources, make_record):
    """crm (trust 0.9) and erp (trust 0.8) records on golden records Ann, Bob, Cat (live) and Dan (retired).

    crm: r1→Ann (Ann, a@x.com, phone), r2→Bob (Bob, b@x.com), r3→Cat (Cat, born 1990-01-01),
         r4 unlinked (email rejected), r5→Dan (retired). 5 active records, 4 linked.
    erp: e1→Ann (full name "Ann Lee", ann@erp.com), e2→Bob (b@x.com), e3→Cat (full name "Catherine Ng").
    """
    crm, erp = sources["crm"], sources["erp"]
    ann, bob, cat = (Customer.objects.create(full_name=n) for n in ("Ann", "Bob", "Catherine"))
    dan = Customer.objects.create(full_name="Dan")
    Customer.objects.filter(pk=dan.pk).update(status=CustomerStatus.RETIRED, merged_into=ann)
    r1 = make_record(crm, customer=ann, given_name="Ann", email="a@x.com", phone="+61200000000")
    r2 = make_record(crm, customer=bob, given_name="Bob", email="b@x.com")
    r3 = make_record(crm, customer=cat, given_name="Cat", date_of_birth=date(1990, 1, 1))
    r4 = make_record(crm, quality_issues={"email": "invalid email 'd@'"})
    make_record(crm, customer=dan, email="dan@x.com")
    e1 = make_record(erp, customer=ann, given_name="Ann", family_name="Lee", email="ann@erp.com")
    e2 = make_record(erp, customer=bob, email="b@x.com")
    e3 = make_record(erp, customer=cat, given_name="Catherine", family_name="Ng")

    # Golden values. Wins of crm (pins and derived values excluded): Ann.email, Ann.phone, Bob.given_name.
    _golden(ann, "email", "a@x.com", r1, rule=ValueRule.MOST_RECENT)
    _golden(ann, "phone", "+61200000000", r1)
    _golden(ann, "given_name", "Ann", r1, pinned=True)  # pinned to crm's own value: kept, not overruled
    _golden(ann, "family_name", "Lee", e1)
    _golden(ann, "full_name", "Ann Lee", r1, rule=ValueRule.DERIVED)
    _golden(bob, "email", "bob@pin.com", None, pinned=True)  # typed pin: replaces crm's and erp's b@x.com
    _golden(bob, "given_name", "Bob", r2)
    _golden(cat, "given_name", "Catherine", e3)  # erp wins over crm's "Cat"
    _golden(cat, "family_name", "Ng", e3)
    _golden(cat, "date_of_birth", "1990-01-01", r3, pinned=True)  # pinned to crm's own date: kept
    ValuePin.objects.create(customer=ann, attribute="given_name", value="Ann", source_record=r1, actor="stew")
    ValuePin.objects.create(customer=bob, attribute="email", value="bob@pin.com", actor="stew")
    ValuePin.objects.create(customer=cat, attribute="date_of_birth", value="1990-01-01", source_record=r3, actor="s")

    # Steward decisions: crm is in r1–e1 (match) and r2–e2 (no-match); r3–r4 is still in review;
    # e1–e2 (no-match) involves erp only.
    _pair(r1, e1, decision=Decision.MATCH)
    _pair(r2, e2, decision=Decision.NO_MATCH)
    _pair(r3, r4)
    _pair(e1, e2, decision=Decision.NO_MATCH)

    # Splits: a steward split moving r1 counts; an undone one (r2) and a run's split (r3) do not.
    CustomerEvent.objects.create(
        customer=ann,
        kind=CustomerEventKind.SPLIT,
        actor="stew",
        parameters={"steward": True, "action": "split", "records": [r1.pk]},
    )
    undo = CustomerEvent.objects.create(customer=bob, kind=CustomerEventKind.UNDONE, actor="stew")
    CustomerEvent.objects.create(
        customer=bob,
        kind=CustomerEventKind.SPLIT,
        actor="stew",
        reverted_by=undo,
        parameters={"steward": True, "action": "split", "records": [r2.pk]},
    )
    CustomerEvent.objects.create(
        customer=cat, kind=CustomerEventKind.SPLIT, actor="run", parameters={"records": [r3.pk]}
    )
    return {"crm": crm, "erp": erp, "ann": ann, "bob": bob, "cat": cat, "dan": dan, "r1": r1, "e3": e3}


@pytest.fixture
def consumers(world):
    """Consumers: an active webhook syncing into erp and a read token; a paused webhook, a revoked
    read token and a write token are not consumers."""
    from access.services import api_token_issue, api_token_revoke
    from connectors.models import WebhookSubscription

    WebhookSubscription.objects.create(name="billing-sync", url="http://127.0.0.1:9/h", secret="s", source=world["erp"])
    WebhookSubscription.objects.create(name="paused", url="http://127.0.0.1:9/p", secret="s", active=False)
    api_token_issue(name="bi", scope="read", actor="admin")
    revoked, _ = api_token_issue(name="old-bi", scope="read", actor="admin")
    api_token_revoke(token=revoked, actor="admin")
    api_token_issue(name="crm-writer", scope="write", source=world["crm"], actor="admin")
    return world


@pytest.mark.django_db
class TestSurvivorshipFigures:
    def test_wins_pins_decisions_and_splits_of_crm(self, world):
        figures = survivorship_figures(source=world["crm"])
        rows = {a.attribute: (a.supplied, a.won, a.pins, a.overruled) for a in figures.attributes}
        assert rows == {
            # supplied: Ann, Bob, Cat; won: Bob only (Ann pinned, Cat won by erp); Ann's pin keeps crm's value
            "given_name": (3, 1, 1, 0),
            # supplied: Ann, Bob (r4 unlinked, r5 on a retired record); Bob's typed pin replaces b@x.com
            "email": (2, 1, 1, 1),
            "phone": (1, 1, 0, 0),
            "date_of_birth": (1, 0, 1, 0),  # Cat's pin holds crm's date (dates compared as ISO text)
        }
        assert (figures.supplied, figures.won, figures.win_share) == (7, 3, pytest.approx(3 / 7))
        assert (figures.pins, figures.overruled, figures.overrule_share) == (3, 1, pytest.approx(1 / 3))
        assert (figures.decided_pairs, figures.rejected_pairs, figures.rejection_rate) == (2, 1, 0.5)
        assert (figures.linked, figures.split_off, figures.split_rate) == (4, 1, 0.25)
        assert figures.link_rejection_rate == pytest.approx(2 / 3)  # (1 no-match + 1 split) / (2 decided + 1 split)

    def test_erp(self, world):
        figures = survivorship_figures(source=world["erp"])
        rows = {a.attribute: (a.supplied, a.won, a.pins, a.overruled) for a in figures.attributes}
        assert rows == {
            "given_name": (2, 1, 1, 0),  # Ann (pin "Ann" is e1's value too), Cat (won)
            "family_name": (2, 2, 0, 0),
            "email": (2, 0, 1, 1),  # Ann, Bob; Bob's pin replaces e2's b@x.com
        }
        assert (figures.decided_pairs, figures.rejected_pairs) == (3, 2)
        assert figures.split_off == 0

    def test_trust_suggestion(self, world):
        crm = world["crm"]
        card, figures = source_scorecard(source=crm), survivorship_figures(source=crm)
        suggestion = trust_suggestion(source=crm, scorecard=card, figures=figures)
        validity = (3 / 4 + 1 + 1) / 3  # email 3 valid of 4 (r4 rejected); phone and date all valid
        completeness = (3 / 5 + 0 + 3 / 5 + 1 / 5 + 1 / 5 + 0 * 6) / 11  # 11 mapped attributes, 5 active records
        expected = 0.3 * validity + 0.2 * completeness + 0.25 * (1 - 1 / 3) + 0.25 * (1 - 2 / 3)
        assert expected == pytest.approx(0.5541, abs=1e-4)
        assert dict((name, score) for name, score, _ in suggestion.components) == {
            "validity": pytest.approx(validity),
            "completeness": pytest.approx(completeness),
            "values kept by stewards": pytest.approx(2 / 3),
            "links kept by stewards": pytest.approx(1 / 3),
        }
        assert (suggestion.current, suggestion.suggested, suggestion.differs) == (0.9, 0.55, True)

    def test_no_suggestion_without_evidence(self, sources):
        erp = sources["erp"]
        suggestion = trust_suggestion(
            source=erp, scorecard=source_scorecard(source=erp), figures=survivorship_figures(source=erp)
        )
        assert suggestion.suggested is None and not suggestion.differs


@pytest.mark.django_db
class TestConsumersLineageBlastRadius:
    def test_consumers(self, consumers):
        assert [(c.ref, c.source_code) for c in consumer_list()] == [
            ("webhook:billing-sync", "erp"),
            ("api-token:bi", None),
        ]

    def test_lineage_of_a_mapped_attribute(self, consumers):
        lineage = {item.attribute: item for item in attribute_lineage_list()}
        email = lineage["email"]
        assert [(f.source_code, f.field, f.via) for f in email.feeds] == [
            ("crm", "Email", ""),
            ("erp", "SMTP_ADDR", ""),
        ]
        assert (email.rule.name, email.rule.strategy, email.rule.detail) == ("email", "Most recent", "min trust 0.6")
        assert [c.ref for c in email.consumers] == ["webhook:billing-sync", "api-token:bi"]
        given = lineage["given_name"]
        assert [(f.source_code, f.field, f.via) for f in given.feeds] == [
            ("crm", "FirstName", ""),
            ("erp", "NAME1", "full_name"),
        ]
        assert lineage["street"].rule.name == "address"
        assert lineage["full_name"].rule.strategy == "derived"
        assert lineage["national_id"].feeds[0].field == "STCD1"

    def test_lineage_of_a_source_field(self, world):
        fields = {f.field: f for f in source_field_lineage(source=world["erp"])}
        assert fields["NAME1"].attributes == [
            ("given_name", "split from full_name"),
            ("family_name", "split from full_name"),
            ("full_name", "mapped"),
        ]
        assert [r.strategy for r in fields["NAME1"].rules] == [
            "Highest source trust",
            "Highest source trust",
            "derived",
        ]
        assert fields["SMTP_ADDR"].attributes == [("email", "mapped")]

    def test_lineage_of_one_golden_value(self, world):
        values = {v.attribute: v for v in customer_lineage(customer=world["ann"])}
        assert list(values) == ["given_name", "family_name", "full_name", "email", "phone"]  # canonical order
        email = values["email"]
        assert (email.value, email.source_code, email.record_id, email.external_id) == (
            "a@x.com",
            "crm",
            world["r1"].pk,
            world["r1"].external_id,
        )
        assert (email.rule, email.pinned) == (ValueRule.MOST_RECENT, False)
        assert values["given_name"].pinned and values["given_name"].rule == ValueRule.STEWARD_OVERRIDE
        assert values["family_name"].source_code == "erp"

    def test_blast_radius(self, consumers):
        crm = consumers["crm"]
        blast = blast_radius_get(source=crm)
        # Ann (email, phone, given name, full name), Bob (given name), Cat (date of birth); Dan is retired
        assert blast.customers == 3
        assert list(blast_radius_customers(source=crm)) == [consumers["ann"], consumers["bob"], consumers["cat"]]
        assert blast.values == [("given_name", 2), ("full_name", 1), ("email", 1), ("phone", 1), ("date_of_birth", 1)]
        assert blast.describe() == (
            "blast radius: 3 golden record(s) take surviving values from it, "
            "received by 2 consumer(s): webhook:billing-sync, api-token:bi"
        )
        assert blast_radius_get(source=consumers["erp"]).customers == 2  # Ann (family name), Cat

    def test_stale_and_failing_findings_name_their_blast_radius(self, consumers, make_batch):
        from governance.models import Finding
        from governance.services.policies import policies_evaluate

        now = timezone.now()
        make_batch(consumers["crm"], finished_at=now - timedelta(hours=1))  # cadence PT5M: stale past 15 min
        make_batch(consumers["erp"], finished_at=now - timedelta(minutes=10))
        make_batch(consumers["erp"], finished_at=now - timedelta(minutes=1), status=BatchStatus.FAILED)
        policies_evaluate(actor="test", now=now)
        stale = Finding.objects.get(rule__code="freshness-sla", source=consumers["crm"], resolved_at__isnull=True)
        assert stale.message.startswith("stale: last successful sync")
        assert "blast radius: 3 golden record(s) take surviving values from it" in stale.message
        assert "webhook:billing-sync" in stale.message
        failing = Finding.objects.get(rule__code="sync-failing", resolved_at__isnull=True)
        assert failing.source == consumers["erp"]
        assert failing.message.startswith("its latest run failed (1 of 2 runs failed in the last 7 days)")
        assert "blast radius: 2 golden record(s)" in failing.message
        # the next successful run clears the failing finding
        make_batch(consumers["erp"], finished_at=now + timedelta(minutes=1), started_at=now + timedelta(seconds=30))
        policies_evaluate(actor="test", now=now + timedelta(minutes=2))
        assert not Finding.objects.filter(rule__code="sync-failing", resolved_at__isnull=True).exists()


@pytest.fixture
def viewer_client(client, make_user):
    client.force_login(make_user("vic", "viewer"))
    return client


@pytest.fixture
def admin_client_(client, make_user):
    client.force_login(make_user("ada", "admin"))
    return client


@pytest.mark.django_db
class TestPages:
    def test_anonymous_is_sent_to_login(self, client, world):
        for url in (
            reverse("lineage"),
            reverse("lineage-customer", args=[world["ann"].pk]),
            reverse("integration-trust-apply", args=["crm"]),
        ):
            response = client.get(url) if "trust" not in url else client.post(url, {"trust": "0.55"})
            assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        world["crm"].refresh_from_db()
        assert world["crm"].trust == 0.9

    def test_viewer_sees_figures_but_cannot_apply_trust(self, viewer_client, consumers):
        page = viewer_client.get(reverse("integration-detail", args=["crm"])).content.decode()
        assert "42.9%</strong> of the values it supplies win survivorship (3 of 7)" in page
        assert "33.3%</strong> of stewards' pins where it had a say replaced its value (1 of 3)" in page
        assert "50.0%</strong> of its decided match pairs rejected" in page
        assert "suggested\n  <strong>0.55</strong>" in page
        assert "Apply trust" not in page
        assert "Count and list them now" in page  # healthy (never synced, not failing): counted on request
        assert "golden records take surviving values from it" not in page
        assert "Golden values supplied: given_name 2, full_name 1, email 1, phone 1, date_of_birth 1." in page
        page = viewer_client.get(reverse("integration-detail", args=["crm"]), {"blast": "1"}).content.decode()
        assert "<strong>3</strong> golden records take surviving values from it" in page
        assert reverse("lineage-customer", args=[consumers["ann"].pk]) in page
        assert "golden records via webhook:billing-sync" not in page  # that webhook syncs into erp
        erp_page = viewer_client.get(reverse("integration-detail", args=["erp"])).content.decode()
        assert "golden records via webhook:billing-sync" in erp_page  # Backstage: erp consumes
        response = viewer_client.post(reverse("integration-trust-apply", args=["crm"]), {"trust": "0.55"})
        assert response.status_code == 403
        consumers["crm"].refresh_from_db()
        assert consumers["crm"].trust == 0.9

    def test_admin_applies_the_suggested_trust_with_a_change_record(
        self, admin_client_, world, monkeypatch, django_capture_on_commit_callbacks
    ):
        page = admin_client_.get(reverse("integration-detail", args=["crm"])).content.decode()
        assert 'name="trust" value="0.55"' in page and "csrfmiddlewaretoken" in page
        url = reverse("integration-trust-apply", args=["crm"])
        assert admin_client_.get(url).status_code == 405
        stale = admin_client_.post(url, {"trust": "0.6"}, follow=True)
        assert "is now 0.55, not 0.60" in stale.content.decode()
        bad = admin_client_.post(url, {"trust": "high"}, follow=True)
        assert "send the suggested trust" in bad.content.decode()
        world["crm"].refresh_from_db()
        assert world["crm"].trust == 0.9
        queued = []
        monkeypatch.setattr("django_q.tasks.async_task", lambda *args, **kwargs: queued.append(args))
        with django_capture_on_commit_callbacks(execute=True):
            response = admin_client_.post(url, {"trust": "0.55"})
        assert response.status_code == 302
        assert queued == [("profiles.tasks.golden_recompute_task", "ada")]  # survivorship reruns with it
        world["crm"].refresh_from_db()
        assert world["crm"].trust == 0.55
        change = ObjectChange.objects.filter(object_id=world["crm"].pk, actor="ada").get()
        assert change.diff() == [("trust", 0.9, 0.55)]
        page = admin_client_.get(reverse("integration-detail", args=["crm"])).content.decode()
        assert "(the current trust fits)" in page and "Apply trust" not in page

    def test_a_failing_source_shows_its_blast_radius_page_by_page(self, steward_client, world, make_batch, monkeypatch):
        monkeypatch.setattr("governance.views.BLAST_RADIUS_PAGE_SIZE", 2)
        make_batch(world["crm"], finished_at=timezone.now(), status=BatchStatus.FAILED)
        url = reverse("integration-detail", args=["crm"])
        page = steward_client.get(url).content.decode()
        assert "This source is failing (its latest run failed)" in page
        assert "<strong>3</strong> golden records take surviving values from it" in page
        assert "page 1 of 2" in page and "?blast_page=2#blast-radius" in page
        ann, bob, cat = (reverse("lineage-customer", args=[world[n].pk]) for n in ("ann", "bob", "cat"))
        assert ann in page and bob in page and cat not in page
        second = steward_client.get(url, {"blast_page": "2"}).content.decode()
        assert cat in second and ann not in second
        assert "page 2 of 2" in steward_client.get(url, {"blast_page": "99"}).content.decode()  # clamped, no 404

    def test_csrf_is_required(self, make_user, world):
        from django.test import Client

        client = Client(enforce_csrf_checks=True)
        client.force_login(make_user("ada", "admin"))
        assert client.post(reverse("integration-trust-apply", args=["crm"]), {"trust": "0.55"}).status_code == 403

    def test_catalog_lists_consumers(self, viewer_client, consumers):
        page = viewer_client.get(reverse("governance")).content.decode()
        assert "<code>webhook:billing-sync</code>" in page and "<code>api-token:bi</code>" in page
        assert "old-bi" not in page and "crm-writer" not in page and "paused" not in page
        assert reverse("lineage") in page

    def test_lineage_pages(self, viewer_client, make_user, consumers):
        from django.test import Client

        steward_client = Client()
        steward_client.force_login(make_user("stew", "steward"))
        page = viewer_client.get(reverse("lineage")).content.decode()
        assert '<tr id="attribute-email">' in page and "<code>SMTP_ADDR</code>" in page
        assert "<code>webhook:billing-sync</code>" in page
        ann = consumers["ann"].pk
        assert viewer_client.get(reverse("lineage") + f"?customer={ann}")["Location"] == reverse(
            "lineage-customer", args=[ann]
        )
        assert "is not a golden record id" in viewer_client.get(reverse("lineage") + "?customer=x1").content.decode()
        masked = viewer_client.get(reverse("lineage-customer", args=[ann])).content.decode()
        assert "a••••••" in masked and "a@x.com" not in masked
        assert consumers["r1"].external_id in masked
        shown = steward_client.get(reverse("lineage-customer", args=[ann])).content.decode()
        assert "a@x.com" in shown and "Most recent" in shown and "pinned by a steward" in shown
        assert steward_client.get(reverse("lineage-customer", args=[999999])).status_code == 404
