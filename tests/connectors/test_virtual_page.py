"""The pages of a virtual source: the live payload on the profile page (and "unavailable", quickly,
when the source is down), the watermark on a pull's batch page, lineage marking the rest as virtual."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.management import call_command

from benchmarks import datagen, demo_connectors
from benchmarks.demo_peer import DemoPeer
from connectors.models import ImportBatch, SourceRecord


@pytest.fixture
def product(db, tmp_path: Path):
    """The demo's virtual source (product) synced from a live demo peer, records resolved."""
    datagen.generate(40, 3, tmp_path)
    cache.clear()
    peer = DemoPeer(tmp_path).start()
    try:
        demo_connectors.demo_catalog_write(tmp_path, peer_url=peer.url)
        call_command("load_catalog", str(tmp_path / demo_connectors.CATALOG))
        call_command("sync", "product")
        call_command("resolve", "--sync")
        yield peer
    finally:
        peer.stop()
        cache.clear()


def _text(response) -> str:
    return " ".join(response.content.decode().split())


def test_profile_page_shows_the_live_payload_then_unavailable_when_down(product, steward_client):
    record = SourceRecord.objects.filter(source__code="product").exclude(customer=None).order_by("pk").first()
    live = product.data["/product/accounts"][2][record.external_id]
    page = _text(steward_client.get(f"/customers/{record.customer_id}/"))
    assert "Live from product" in page and ">live</span>" in page
    assert (
        f"<dt>plan</dt><dd>{live['plan']}</dd>" in page
        and f"<dt>app_version</dt><dd>{live['app_version']}</dd>" in page
    )
    assert f"{product.url}/product/accounts/{record.external_id}" in page

    product.stop()
    cache.clear()
    started = time.monotonic()
    response = steward_client.get(f"/customers/{record.customer_id}/")
    assert time.monotonic() - started < 3
    page = _text(response)
    assert response.status_code == 200 and "Live data unavailable: GET" in page and "connection failed" in page
    assert "<dt>plan</dt>" not in page


def test_batch_page_shows_the_watermark_of_a_pull(product, steward_client):
    batch = ImportBatch.objects.get(source__code="product")
    assert batch.watermark_after
    page = _text(steward_client.get(f"/batches/{batch.pk}/"))
    assert f"<dt>Watermark</dt><dd><code>(start)</code> → <code>{batch.watermark_after}</code></dd>" in page


def test_lineage_marks_the_virtual_source_fields(product, steward_client):
    page = _text(steward_client.get("/governance/lineage/"))
    assert "virtual (fetched live) from <code>" in page and "/product/accounts/{id}</code>" in page
    assert "product</a>: <code>display_name</code> <small>(split from full_name)</small> <small>(identity" in page
    assert page.count("virtual (fetched live)") == 1  # only the virtual source
