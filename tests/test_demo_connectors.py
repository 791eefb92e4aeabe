"""`make demo`'s connector steps on a small generated data set: one source per integration pattern
(http-pull and virtualization from the demo peer, sql-pull from a SQLite file, signed events)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.management import call_command

from benchmarks import datagen, demo_connectors
from benchmarks.demo_peer import DemoPeer
from connectors.models import ImportBatch, SourceRecord, SourceSystem

PEOPLE = 150


def demo_load(data_dir: Path, peer_url: str) -> None:
    """The demo's steps up to the connectors: demo catalog and SQLite file, catalog loaded."""
    demo_connectors.demo_catalog_write(data_dir, peer_url=peer_url)
    demo_connectors.sqlite_peer_write(data_dir)
    call_command("load_catalog", str(data_dir / demo_connectors.CATALOG))


@pytest.fixture
def demo_data(tmp_path: Path) -> Path:
    datagen.generate(PEOPLE, 7, tmp_path)
    return tmp_path


@pytest.fixture
def demo_env(monkeypatch, demo_data: Path) -> Path:
    monkeypatch.setenv(demo_connectors.DSN_ENV, f"sqlite:///{demo_data / demo_connectors.SQLITE_FILE}")
    monkeypatch.setenv(demo_connectors.SECRET_ENV, "test-secret")
    cache.clear()
    yield demo_data
    cache.clear()


def test_demo_catalog_declares_one_source_per_pattern(demo_data):
    path = demo_connectors.demo_catalog_write(demo_data, peer_url="http://127.0.0.1:8765")
    import yaml

    sources = {s["code"]: s for s in yaml.safe_load(path.read_text())["sources"]}
    kinds = {
        code: (s["connector"]["kind"], s["integration"]["pattern"]) for code, s in sources.items() if "connector" in s
    }
    assert kinds == {
        "billing": ("http-pull", "api-led"),
        "erp": ("sql-pull", "batch"),
        "support": ("events", "event-driven"),
        "product": ("virtualization", "virtualization"),
    }
    assert "secret" not in path.read_text().replace("secret_env", "")  # only variable names, never a secret


def test_demo_connector_steps_bring_in_every_pattern(db, demo_env, client):
    started = time.monotonic()
    with DemoPeer(demo_env) as peer:
        demo_load(demo_env, peer.url)
        call_command("sync", "--all")
        answers = demo_connectors.events_post(
            source="support", events=demo_connectors.support_events(demo_env), client=client
        )
        report = {line["source"]: line for line in demo_connectors.pattern_report()}

    expected = {code: sum(1 for _ in (demo_env / f"{code}.csv").open()) - 1 for code in demo_connectors.PATTERNS}
    held = {
        code: SourceRecord.objects.filter(source__code=code, is_deleted=False).count()
        for code in demo_connectors.PATTERNS
    }
    assert held == expected and all(n > 0 for n in held.values())
    for code, kind in (("billing", "http-pull"), ("erp", "sql-pull"), ("product", "virtualization")):
        batch = ImportBatch.objects.get(source__code=code)
        assert (batch.kind, batch.status, batch.created, batch.error) == (kind, "succeeded", expected[code], "")
        assert batch.watermark_before == "" and batch.watermark_after
        assert SourceSystem.objects.get(code=code).sync_watermark == batch.watermark_after
    events = ImportBatch.objects.filter(source__code="support", kind="events")
    assert events.count() == len(answers) and sum(b.created for b in events) == expected["support"]

    product = SourceRecord.objects.filter(source__code="product").first()
    assert set(product.raw) == {"user_id", "display_name", "email", "signup_country", "last_seen_at"}  # identity only
    sample = report["product"]["live_sample"]
    assert sample["status"] == "live" and set(sample["fields"]) == {
        "plan",
        "app_version",
        "marketing_opt_in",
        "created_at",
    }
    assert report["support"]["connector"] == "events" and report["erp"]["records"] == expected["erp"]

    # A second run is incremental: from the stored watermarks, nothing new is created.
    with DemoPeer(demo_env) as peer:
        SourceSystem.objects.update(sync_due_at=None)
        for code in ("billing", "product"):  # the new peer listens on another port
            source = SourceSystem.objects.get(code=code)
            old = source.connector["url"].split("/")[2]
            source.connector = {
                k: v.replace(old, peer.url[7:]) if isinstance(v, str) else v for k, v in source.connector.items()
            }
            source.save(update_fields=["connector"])
        call_command("sync", "--all")
        assert all("updated_since=" in path for path in peer.requests)
    again = ImportBatch.objects.filter(source__code__in=("billing", "erp", "product")).order_by("-pk")[:3]
    assert all(b.created == 0 and b.status == "succeeded" and b.rows_read >= 1 for b in again)
    assert time.monotonic() - started < 30
