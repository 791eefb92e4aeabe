"""Page render times of the steward pages on PostgreSQL: the 360° profile, the review queue and
the customer search, through Django's test client (URL routing, middleware, session, view,
queries and template rendering; no network or browser).

    python -m benchmarks.pages [--golden 100000] [--pairs 5000] [--repeat 40] [--database-url URL]

The database is filled directly (bulk inserts, not the import path, which `ingest` measures):
`--golden` active golden records with two source records each (crm + shop), three golden
attributes each, activities on 2 % of them, and `--pairs` match pairs waiting for review between
random records. Each page is fetched once to warm up, then `--repeat` times (the profile of a
different random customer each time); prints one JSON object with median and p95 in ms and the
number of queries per page. Uses its own database (mdm_bench_pages).
"""

from __future__ import annotations

import argparse
import json
import random
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from benchmarks.common import django_setup, machine_info, summarise, use_fresh_postgres

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/mdm_bench_pages"
GIVEN = ["Ann", "Bo", "Cy", "Di", "Ed", "Flo", "Gus", "Hal", "Ida", "Jo", "Kit", "Lou", "Max", "Ned", "Oz", "Pia"]
FAMILY = ["Lee", "Quist", "Moss", "Kay", "Nash", "Ortiz", "Pike", "Reyes", "Shaw", "Tran", "Underwood", "Vance"]


def fill(*, golden: int, pairs: int, seed: int = 7, chunk: int = 5000) -> dict[str, int]:
    """Golden records, source records, golden attributes, activities and review pairs, in bulk."""
    from connectors.models import Activity, SourceRecord, SourceSystem
    from profiles.choices import PairStatus
    from profiles.models import Customer, GoldenAttribute, MatchPair

    rng = random.Random(seed)
    now = datetime(2026, 11, 1, tzinfo=UTC)
    crm = SourceSystem.objects.create(code="crm", name="CRM", trust=0.9, id_field="id", default_country="AU")
    shop = SourceSystem.objects.create(code="shop", name="Shop", trust=0.7, id_field="id", default_country="AU")
    record_ids: list[int] = []
    customer_ids: list[int] = []
    for start in range(0, golden, chunk):
        n = min(chunk, golden - start)
        people = []
        for i in range(start, start + n):
            given, family = rng.choice(GIVEN), rng.choice(FAMILY)
            people.append((given, family, f"{given}.{family}.{i}@example.com".lower(), f"+614{i:08d}"))
        customers = Customer.objects.bulk_create(
            Customer(given_name=g, family_name=f, full_name=f"{g} {f}", email=e, phone=p) for g, f, e, p in people
        )
        records = []
        for customer, (g, f, e, p) in zip(customers, people, strict=True):
            for source in (crm, shop):
                records.append(
                    SourceRecord(
                        source=source,
                        external_id=f"{source.code}-{customer.pk}",
                        raw={"id": customer.pk, "name": f"{g} {f}", "email": e},
                        given_name=g,
                        family_name=f,
                        full_name=f"{g} {f}",
                        email=e,
                        email_key=e,
                        phone=p,
                        phone_key=p,
                        given_key=g.lower(),
                        family_key=f.lower(),
                        street=f"{rng.randint(1, 200)} High St",
                        city="Melbourne",
                        postcode="3000",
                        received_at=now,
                        content_hash=f"{source.code}{customer.pk}",
                        pending_resolution=False,
                        customer=customer,
                    )
                )
        records = SourceRecord.objects.bulk_create(records)
        record_ids += [r.pk for r in records]
        customer_ids += [c.pk for c in customers]
        attributes = []
        for customer, record in zip(customers, records[::2], strict=True):
            for attribute in ("given_name", "email", "phone"):
                attributes.append(
                    GoldenAttribute(
                        customer=customer,
                        attribute=attribute,
                        value=getattr(customer, attribute),
                        source_record=record,
                        source=crm,
                        rule="highest-trust",
                        fingerprint=f"{customer.pk}{attribute}",
                    )
                )
        GoldenAttribute.objects.bulk_create(attributes)
        activities = [
            Activity(
                source_record=record,
                kind=rng.choice(["order", "payment", "ticket", "email"]),
                occurred_at=now - timedelta(days=rng.randint(0, 700)),
                amount=Decimal(rng.randint(5, 500)),
                summary="benchmark activity",
                fingerprint=f"{record.pk}-{k}",
            )
            for record in records[:: 2 * 50]
            for k in range(20)
        ]
        Activity.objects.bulk_create(activities)
    seen: set[tuple[int, int]] = set()
    rows = []
    while len(rows) < pairs:
        a, b = sorted(rng.sample(record_ids, 2))
        if (a, b) in seen:
            continue
        seen.add((a, b))
        rows.append(
            MatchPair(
                record_a_id=a,
                record_b_id=b,
                probability=rng.uniform(0.4, 0.8),
                match_weight=3.0,
                weights={"given": 3.2, "family": 2.1, "email": -4.0, "phone": -3.0, "dob": 0.0, "address": 1.5},
                status=PairStatus.REVIEW,
            )
        )
    MatchPair.objects.bulk_create(rows, batch_size=chunk)
    return {"golden_records": len(customer_ids), "source_records": len(record_ids), "review_pairs": len(rows)}


def _time(client, url: str) -> tuple[float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        response = client.get(url)
        elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"{url} answered {response.status_code}")
    return elapsed, len(queries)


def measure(*, repeat: int, seed: int = 11) -> dict[str, dict[str, float]]:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.test import Client
    from django.urls import reverse

    from profiles.models import Customer

    user = get_user_model().objects.create_user("bench-steward", password="x")
    user.groups.add(Group.objects.get(name="steward"))
    client = Client()
    client.force_login(user)
    rng = random.Random(seed)
    ids = list(Customer.objects.values_list("pk", flat=True).order_by("?")[: repeat + 1])
    pages = {
        "profile": [reverse("customer-detail", args=[pk]) for pk in ids],
        "review_queue": [reverse("review-queue")] * (repeat + 1),
        "review_queue_by_size": [reverse("review-queue") + "?order=size"] * (repeat + 1),
        "customer_search": [
            reverse("customer-list") + f"?q={rng.choice(['nash', 'ann.lee', 'quist', '0412'])}"
            for _ in range(repeat + 1)
        ],
    }
    figures = {}
    for name, urls in pages.items():
        _time(client, urls[0])  # warm-up: template compilation, first plans
        samples = [_time(client, url) for url in urls[1:]]
        figures[name] = {**summarise([ms for ms, _ in samples]), "queries": max(q for _, q in samples)}
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--golden", type=int, default=100_000)
    parser.add_argument("--pairs", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    args = parser.parse_args()
    use_fresh_postgres(args.database_url)
    django_setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()  # allows the test client's host; templates rendered as in tests
    started = time.perf_counter()
    sizes = fill(golden=args.golden, pairs=args.pairs)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    fill_seconds = round(time.perf_counter() - started, 1)
    result = {
        "benchmark": "pages",
        "machine": machine_info(),
        **sizes,
        "fill_seconds": fill_seconds,
        "render_ms": measure(repeat=args.repeat),
    }
    print(json.dumps(result))  # noqa: T201 - the benchmark's output


if __name__ == "__main__":
    main()
