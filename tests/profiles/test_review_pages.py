"""The review queue, learning from decisions and the thresholds what-if, through the Django test
client, for every role."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest
from django.urls import reverse

from profiles.choices import ConstraintKind, Decision, PairStatus
from profiles.models import LinkConstraint, MatchModel, MatchPair, MatchPairComment, ResolutionSettings

WEIGHTS = {"given": 3.2, "family": 4.1, "email": -2.5, "dob": 0.0, "phone": 1.4}


def pair(a, b, probability: float, weights: dict | None = None, **extra) -> MatchPair:
    low, high = sorted((a, b), key=lambda r: r.pk)
    return MatchPair.objects.create(
        record_a=low,
        record_b=high,
        probability=probability,
        match_weight=sum((weights or WEIGHTS).values()),
        weights=weights or WEIGHTS,
        status=extra.pop("status", PairStatus.REVIEW),
        **extra,
    )


@pytest.fixture
def queue(build, make_user):
    """Three pairs waiting for review (0.79 closest to the 0.8 auto-link threshold, then 0.6 and
    0.45), one linked pair, golden records holding one record each, and a user per role."""
    from profiles.models import Customer

    crm, shop = build.source("crm", 0.9), build.source("shop", 0.7)
    people = [
        ("Ann", "Lee", "ann@x.example", "+61354417777", crm),
        ("Anne", "Lee", "ann.lee@y.example", "+61354417777", shop),
        ("Bo", "Quist", "bo@x.example", "+61299990000", crm),
        ("Bob", "Quist", "bob@z.example", "", shop),
        ("Cy", "Moss", "cy@x.example", "", crm),
        ("Cyrus", "Moss", "cy@x.example", "", shop),
        ("Di", "Kay", "di@x.example", "", crm),
        ("Di", "Kay", "di@x.example", "", shop),
    ]
    records, customers = [], []
    for given, family, email, phone, source in people:
        record = build.record(
            source,
            given_name=given,
            family_name=family,
            full_name=f"{given} {family}",
            email=email,
            email_key=email,
            phone=phone,
            phone_key=phone,
            given_key=given.lower(),
            family_key=family.lower(),
        )
        records.append(record)
    for record in records[:6]:
        customer = Customer.objects.create(full_name=record.full_name, email=record.email, phone=record.phone)
        record.customer = customer
        record.save(update_fields=["customer"])
        customers.append(customer)
    di = Customer.objects.create(full_name="Di Kay", email="di@x.example")
    records[6].__class__.objects.filter(pk__in=[records[6].pk, records[7].pk]).update(customer=di)
    pairs = SimpleNamespace(
        close=pair(records[0], records[1], 0.79),
        low=pair(records[2], records[3], 0.45, {"given": 1.0, "family": 4.0, "email": -4.0}),
        mid=pair(records[4], records[5], 0.6, {"email": 5.0, "given": -1.0}),
        linked=pair(records[6], records[7], 0.95, status=PairStatus.LINKED),
    )
    return SimpleNamespace(
        records=records,
        customers=customers,
        di=di,
        pairs=pairs,
        steward=make_user("stew", "steward"),
        viewer=make_user("vera", "viewer"),
        admin=make_user("boss", "admin"),
    )


def login(client, user):
    client.force_login(user)
    return client


def html(response) -> str:
    return response.content.decode()


def head_pair(response) -> int:
    return response.context["pair"].pk


# ---- access -----------------------------------------------------------------------------------


def test_anonymous_users_are_sent_to_the_login_page(client, queue):
    p = queue.pairs.close.pk
    for url in (
        reverse("review-queue"),
        reverse("review-pair", args=[p]),
        reverse("review-learning"),
        reverse("run-progress", args=[1]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login")), url
    for url in (reverse("review-decide", args=[p]), reverse("review-bulk"), reverse("review-train")):
        response = client.post(url, {"decision": "match"})
        assert response.status_code == 302 and response["Location"].startswith(reverse("login")), url
    assert MatchPair.objects.get(pk=p).status == PairStatus.REVIEW


def test_viewers_see_the_queue_but_cannot_decide_comment_assign_or_train(client, queue):
    login(client, queue.viewer)
    page = html(client.get(reverse("review-queue")))
    assert "3 pairs waiting" in page.replace("</span>", "")
    assert 'id="decide-form"' not in page and "review.js" not in page and 'name="pairs"' not in page
    p = queue.pairs.close.pk
    forbidden = [
        (reverse("review-decide", args=[p]), {"decision": "match"}),
        (reverse("review-bulk"), {"action": "match", "pairs": [p]}),
        (reverse("review-comment", args=[p]), {"text": "hello"}),
        (reverse("review-assign", args=[p]), {"assignee": "vera"}),
        (reverse("review-train"), {}),
        (reverse("review-thresholds"), {"auto_link_threshold": 0.9, "review_threshold": 0.5}),
        (reverse("customer-merge", args=[queue.customers[0].pk]), {"others": str(queue.customers[1].pk)}),
        (reverse("customer-split", args=[queue.di.pk]), {"records": [queue.records[7].pk]}),
        (reverse("customer-pin", args=[queue.di.pk]), {"attribute": "email", "value": "x@y.example"}),
    ]
    for url, data in forbidden:
        assert client.post(url, data).status_code == 403, url
    assert MatchPair.objects.filter(status=PairStatus.REVIEW).count() == 3
    assert not MatchPairComment.objects.exists() and not LinkConstraint.objects.exists()
    learning = html(client.get(reverse("review-learning")))
    assert "Retrain now" not in learning


# ---- the queue ----------------------------------------------------------------------------------


def test_queue_orders_by_closeness_to_the_threshold_or_size_and_filters(client, queue):
    login(client, queue.steward)
    p = queue.pairs
    response = client.get(reverse("review-queue"))
    assert [x.pk for x in response.context["pairs"]] == [p.close.pk, p.mid.pk, p.low.pk]
    assert head_pair(response) == p.close.pk
    by_probability = client.get(reverse("review-queue"), {"order": "probability"}).context["pairs"]
    assert [x.pk for x in by_probability] == [p.close.pk, p.mid.pk, p.low.pk]
    oldest = client.get(reverse("review-queue"), {"order": "oldest"}).context["pairs"]
    assert [x.pk for x in oldest] == [p.close.pk, p.low.pk, p.mid.pk]
    # Largest golden records affected first: give the low pair's golden record two more records.
    from connectors.models import SourceRecord

    SourceRecord.objects.filter(pk__in=[queue.records[6].pk, queue.records[7].pk]).update(customer=queue.customers[2])
    by_size = client.get(reverse("review-queue"), {"order": "size"}).context["pairs"]
    assert by_size[0].pk == p.low.pk
    band = client.get(reverse("review-queue"), {"band": "40-50"}).context["pairs"]
    assert [x.pk for x in band] == [p.low.pk]
    assert client.get(reverse("review-queue"), {"source": "crm"}).context["page"].paginator.count == 3
    nothing = client.get(reverse("review-queue"), {"source": "nope", "band": "1-2"})
    assert nothing.status_code == 200 and "source:" in html(nothing) and "band:" in html(nothing)
    assert client.get(reverse("review-queue"), {"order": "weird"}).context["order"] == "threshold"


def test_pair_view_shows_both_records_their_golden_records_and_the_waterfall(client, queue):
    login(client, queue.steward)
    p = queue.pairs.close
    page = html(client.get(reverse("review-pair", args=[p.pk])))
    assert "ann@x.example" in page and "ann.lee@y.example" in page
    assert queue.customers[0].get_absolute_url() in page and queue.customers[1].get_absolute_url() in page
    assert '<svg class="waterfall"' in page
    for label in ("family", "given", "email", "phone", "prior (base rate)", "total"):
        assert f">{label}</text>" in page, label
    assert "+4.10" in page and "-2.50" in page
    assert 'class="wf-step wf-up"' in page and 'class="wf-step wf-down"' in page
    assert ">auto-link</text>" in page
    assert client.get(reverse("review-pair", args=[999999])).status_code == 404


def test_evidence_adds_up_to_the_pairs_probability(queue):
    from profiles.selectors import match_pair_evidence

    evidence = match_pair_evidence(queue.pairs.close)
    steps = evidence.steps
    assert steps[0].kind == "prior" and steps[-1].kind == "total"
    assert [s.label for s in steps[1:-1]] == ["family", "given", "email", "phone", "dob"]  # by effect
    assert steps[-2].end == pytest.approx(evidence.total)
    assert 1 / (1 + 2**-evidence.total) == pytest.approx(0.79)
    assert evidence.prior == pytest.approx(math.log2(0.79 / 0.21) - sum(WEIGHTS.values()))
    assert evidence.auto_link_weight == pytest.approx(2.0)  # log2(0.8 / 0.2)


def test_deciding_with_one_click_shrinks_the_queue_and_writes_the_constraint(client, queue):
    login(client, queue.steward)
    p = queue.pairs
    response = client.post(
        reverse("review-decide", args=[p.close.pk]),
        {"decision": "match", "comment": "same phone", "next": reverse("review-queue") + "?order=threshold"},
    )
    assert response.status_code == 302 and response["Location"] == reverse("review-queue") + "?order=threshold"
    decided = MatchPair.objects.get(pk=p.close.pk)
    assert (decided.status, decided.decision, decided.decided_by) == (PairStatus.DECIDED, Decision.MATCH, "stew")
    constraint = LinkConstraint.objects.get()
    assert constraint.kind == ConstraintKind.MUST_LINK and constraint.reason == "same phone"
    assert MatchPairComment.objects.get(pair=decided).text == "[match] same phone"
    after = client.get(reverse("review-queue"))
    assert after.context["page"].paginator.count == 2 and head_pair(after) == p.mid.pk
    # A second click on the same pair is refused, not applied twice.
    again = client.post(reverse("review-decide", args=[p.close.pk]), {"decision": "no-match"}, follow=True)
    assert "is no longer waiting for review" in html(again)
    assert MatchPair.objects.get(pk=p.close.pk).decision == Decision.MATCH
    bad = client.post(reverse("review-decide", args=[p.mid.pk]), {"decision": "maybe"}, follow=True)
    assert "Nothing decided: decision:" in html(bad)
    # An outside `next` is not followed.
    away = client.post(reverse("review-decide", args=[p.mid.pk]), {"decision": "skip", "next": "https://evil.example/"})
    assert away["Location"] == reverse("review-queue")
    assert client.post(reverse("review-decide", args=[999999]), {"decision": "match"}).status_code == 404


def test_skip_moves_the_head_of_the_queue_without_deciding(client, queue):
    login(client, queue.steward)
    p = queue.pairs
    client.post(reverse("review-decide", args=[p.close.pk]), {"decision": "skip"})
    response = client.get(reverse("review-queue"))
    assert head_pair(response) == p.mid.pk and response.context["page"].paginator.count == 3
    assert "skipped" in html(response)
    assert MatchPair.objects.get(pk=p.close.pk).status == PairStatus.REVIEW


def test_bulk_decisions_on_ticked_pairs_or_the_whole_filter(client, queue, django_capture_on_commit_callbacks):
    login(client, queue.steward)
    p = queue.pairs
    empty = client.post(reverse("review-bulk"), {"action": "match"}, follow=True)
    assert "tick some pairs" in html(empty)
    client.post(reverse("review-bulk"), {"action": "no-match", "pairs": [p.low.pk, p.linked.pk]})
    assert MatchPair.objects.get(pk=p.low.pk).decision == Decision.NO_MATCH
    assert MatchPair.objects.get(pk=p.linked.pk).status == PairStatus.LINKED  # not waiting: left alone
    response = client.post(
        reverse("review-bulk"),
        {"action": "match", "everything_filtered": "on", "band": "70-80", "comment": "checked by phone"},
        follow=True,
    )
    assert "1 pair decided: match." in html(response)
    assert MatchPair.objects.get(pk=p.close.pk).decision == Decision.MATCH
    assert MatchPair.objects.get(pk=p.mid.pk).status == PairStatus.REVIEW
    assert MatchPairComment.objects.get(pair=p.close).text == "[bulk match] checked by phone"


def test_comments_and_assignment(client, queue):
    login(client, queue.steward)
    p = queue.pairs.mid
    client.post(reverse("review-comment", args=[p.pk]), {"text": "  looks like twins  "})
    assert MatchPairComment.objects.get(pair=p).text == "looks like twins"
    empty = client.post(reverse("review-comment", args=[p.pk]), {"text": "  "}, follow=True)
    assert "No comment added: text: This field is required." in html(empty)
    assert "looks like twins" in html(client.get(reverse("review-pair", args=[p.pk])))

    client.post(reverse("review-assign", args=[p.pk]), {"assignee": "boss"})
    assert MatchPair.objects.get(pk=p.pk).assigned_to == queue.admin
    assert "there is no user" in html(
        client.post(reverse("review-assign", args=[p.pk]), {"assignee": "x"}, follow=True)
    )
    refused = client.post(reverse("review-assign", args=[p.pk]), {"assignee": "vera"}, follow=True)
    assert "vera is not a steward" in html(refused)
    client.post(reverse("review-bulk"), {"action": "assign-me", "pairs": [p.pk, queue.pairs.low.pk]})
    mine = client.get(reverse("review-queue"), {"assigned": "me"}).context["pairs"]
    assert {x.pk for x in mine} == {p.pk, queue.pairs.low.pk}
    unassigned = client.get(reverse("review-queue"), {"assigned": "unassigned"}).context["pairs"]
    assert [x.pk for x in unassigned] == [queue.pairs.close.pk]
    client.post(reverse("review-assign", args=[p.pk]), {"assignee": ""})
    assert MatchPair.objects.get(pk=p.pk).assigned_to is None


def test_review_queue_query_budget(client, queue, django_assert_max_num_queries):
    login(client, queue.steward)
    for i in range(30):  # more than a page
        a = queue.records[0].__class__.objects.create(
            source=queue.records[0].source, external_id=f"X{i}", received_at="2026-01-01T00:00:00Z", content_hash="h"
        )
        pair(queue.records[0], a, 0.5 + i / 100)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("review-queue"))
    assert response.status_code == 200 and len(response.context["pairs"]) == 25


# ---- learning and thresholds ----------------------------------------------------------------


def test_thresholds_what_if_previews_moves_and_only_admins_save(client, queue):
    login(client, queue.steward)
    page = client.get(
        reverse("review-learning"),
        {"preview": "1", "auto_link_threshold": "0.5", "review_threshold": "0.5", "retrain_after_decisions": "0"},
    )
    what_if = page.context["what_if"]
    # close (0.79) and mid (0.6) would be linked; low (0.45) would drop to no-match; linked stays.
    assert what_if.moves == {"link_to_review": 0, "link_to_no_match": 0, "review_to_link": 2, "review_to_no_match": 1}
    assert what_if.merges == 2 and what_if.splits == 0
    assert "Only an admin can save thresholds." in html(page)
    higher = client.get(
        reverse("review-learning"),
        {"preview": "1", "auto_link_threshold": "0.99", "review_threshold": "0.4", "retrain_after_decisions": "0"},
    ).context["what_if"]
    assert higher.moves["link_to_review"] == 1 and higher.splits == 1  # Di's two records lose their link
    bad = client.get(
        reverse("review-learning"),
        {"preview": "1", "auto_link_threshold": "0.3", "review_threshold": "0.5", "retrain_after_decisions": "0"},
    )
    assert bad.context["what_if"] is None and "must not be above" in html(bad)

    login(client, queue.admin)
    response = client.post(
        reverse("review-thresholds"),
        {"auto_link_threshold": "0.85", "review_threshold": "0.35", "retrain_after_decisions": "20"},
    )
    assert response.status_code == 302
    settings = ResolutionSettings.current()
    assert (settings.auto_link_threshold, settings.review_threshold, settings.retrain_after_decisions) == (
        0.85,
        0.35,
        20,
    )
    refused = client.post(
        reverse("review-thresholds"),
        {"auto_link_threshold": "2", "review_threshold": "0.35", "retrain_after_decisions": "20"},
        follow=True,
    )
    assert "Thresholds not saved" in html(refused)
    assert ResolutionSettings.current().auto_link_threshold == 0.85


@pytest.fixture
def decided(queue):
    """Twelve labelled pairs: same name and email (match), or different people (no match)."""
    from connectors.models import SourceRecord

    crm = queue.records[0].source
    pairs = []
    for i in range(12):
        same = i % 2 == 0
        a = SourceRecord.objects.create(
            source=crm,
            external_id=f"L{i}a",
            received_at="2026-01-01T00:00:00Z",
            content_hash="h",
            given_name=f"Given{i}",
            family_name=f"Family{i}",
            email=f"p{i}@x.example",
            email_key=f"p{i}@x.example",
        )
        b = SourceRecord.objects.create(
            source=crm,
            external_id=f"L{i}b",
            received_at="2026-01-01T00:00:00Z",
            content_hash="h",
            given_name=f"Given{i}" if same else f"Other{i}",
            family_name=f"Family{i}" if same else f"Else{i}",
            email=f"p{i}@x.example" if same else f"q{i}@y.example",
            email_key=f"p{i}@x.example" if same else f"q{i}@y.example",
        )
        pairs.append(pair(a, b, 0.9 if same else 0.5))
    return pairs


def test_retraining_shows_held_out_figures_and_refuses_a_worse_model(client, queue, decided, monkeypatch):
    from profiles import matching
    from profiles.services.decisions import match_pair_decide

    login(client, queue.steward)
    too_few = client.post(reverse("review-train"), follow=True)
    assert "No model trained: 0 decisions so far" in html(too_few)
    for i, p in enumerate(decided):
        match_pair_decide(pair=p, decision=Decision.MATCH if i % 2 == 0 else Decision.NO_MATCH, actor="stew")
    ResolutionSettings.objects.filter(pk=ResolutionSettings.current().pk).update(min_decisions_for_supervised=10)
    response = client.post(reverse("review-train"), follow=True)
    first = MatchModel.objects.get()
    assert first.is_active and "trained and activated" in html(response)
    held = first.metrics["held_out"]
    # Every 5th pair by id is held out (stable between trainings): 2 or 3 of these consecutive ids.
    expected_held = sum(1 for p in decided if p.pk % 5 == 0)
    assert expected_held >= 2
    assert held["pairs"] == expected_held and held["recall"] == 1.0 and held["f1"] > 0.6
    assert first.metrics["previous"] is None

    # A model that calls nothing a match (recall 0) must not replace the active one.
    real_fit = matching.SupervisedModel.fit

    def hopeless(levels, labels, **kwargs):
        model = real_fit(levels, labels, **kwargs)
        model.intercept = -50.0
        return model

    monkeypatch.setattr(matching.SupervisedModel, "fit", hopeless)
    response = client.post(reverse("review-train"), follow=True)
    second = MatchModel.objects.latest("id")
    assert not second.is_active and MatchModel.objects.get(is_active=True) == first
    assert "not activated" in second.metrics["verdict"] and "not activated" in html(response)
    assert second.metrics["previous"]["model"] == first.pk
    page = html(client.get(reverse("review-learning")))
    assert f"#{second.pk}" in page and "not activated" in page


def test_decisions_retrain_the_model_automatically_after_n(
    client, queue, decided, monkeypatch, django_capture_on_commit_callbacks
):
    from django_q.conf import Conf

    from profiles.services.review import match_pair_review_decide

    monkeypatch.setattr(Conf, "SYNC", True)
    ResolutionSettings.objects.filter(pk=ResolutionSettings.current().pk).update(
        min_decisions_for_supervised=10, retrain_after_decisions=12
    )
    for i, p in enumerate(decided[:11]):
        with django_capture_on_commit_callbacks(execute=True):
            match_pair_review_decide(pair=p, decision="match" if i % 2 == 0 else "no-match", actor="stew")
    assert not MatchModel.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        match_pair_review_decide(pair=decided[11], decision="no-match", actor="stew")
    model = MatchModel.objects.get()
    assert model.is_active and model.metrics["trained_by"] == "task:retrain (stew)"
