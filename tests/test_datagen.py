"""Tests for the synthetic multi-source customer generator (benchmarks.datagen); no Django needed."""

from __future__ import annotations

import csv
import json
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest
import yaml

from benchmarks import datagen

N = 2000
KINDS = {"order", "invoice", "payment", "ticket", "email", "call", "chat", "web_visit", "usage"}


def _read_rows(path: Path) -> tuple[list[str], list[dict]]:
    """Header and rows of a source file, CSV or JSON Lines."""
    if path.suffix == ".jsonl":
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        return list(rows[0].keys()), rows
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, float]:
    out = tmp_path_factory.mktemp("datagen")
    t0 = time.perf_counter()
    summary = datagen.generate(N, 11, out)
    return out, summary, time.perf_counter() - t0


@pytest.fixture(scope="module")
def catalog(dataset: tuple[Path, dict, float]) -> dict:
    return yaml.safe_load((dataset[0] / "catalog.yaml").read_text(encoding="utf-8"))


def _files(d: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(d.iterdir())}


def test_same_seed_is_byte_identical_and_other_seed_differs(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    datagen.generate(300, 5, a)
    datagen.generate(300, 5, b)
    datagen.generate(300, 6, c)
    fa, fb, fc = _files(a), _files(b), _files(c)
    assert fa == fb
    assert set(fa) == set(fc)
    assert fa["truth.csv"] != fc["truth.csv"]
    assert fa["crm.csv"] != fc["crm.csv"]
    assert not (a / ".datagen-tmp").exists()


def test_output_files_and_speed(dataset: tuple[Path, dict, float]) -> None:
    out, summary, seconds = dataset
    names = {p.name for p in out.iterdir()}
    expected = {f"{s}.csv" for s in datagen.SOURCES if s != "ecommerce"} | {"ecommerce.jsonl"}
    assert expected | {"catalog.yaml", "activities.csv", "truth.csv", "summary.json"} == names
    assert seconds < 15, f"N={N} took {seconds:.1f}s"
    assert json.loads((out / "summary.json").read_text(encoding="utf-8")) == summary


def test_scale_parameter_and_every_record_in_truth(dataset: tuple[Path, dict, float]) -> None:
    out, summary, _ = dataset
    with (out / "truth.csv").open(encoding="utf-8", newline="") as fh:
        truth = list(csv.DictReader(fh))
    assert list(truth[0].keys()) == ["source", "source_id", "entity_id"]
    assert len({t["entity_id"] for t in truth}) == N  # everyone has at least one record
    keys = {(t["source"], t["source_id"]) for t in truth}
    assert len(keys) == len(truth), "source ids must be unique within a source"
    seen = set()
    for src in datagen.SOURCES:
        source = next(s for s in yaml.safe_load((out / "catalog.yaml").read_text())["sources"] if s["code"] == src)
        _, rows = _read_rows(out / datagen.SOURCE_FILES[src])
        assert len(rows) == summary["records_per_source"][src]
        for row in rows:
            seen.add((src, str(row[source["id_field"]])))
    assert seen == keys
    assert summary["records"] == len(truth)
    assert 1.8 < len(truth) / N < 3.5


def test_activities_refer_to_existing_records(dataset: tuple[Path, dict, float]) -> None:
    out, summary, _ = dataset
    with (out / "truth.csv").open(encoding="utf-8", newline="") as fh:
        keys = {(t["source"], t["source_id"]) for t in csv.DictReader(fh)}
    with (out / "activities.csv").open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == ["source", "source_id", "kind", "occurred_at", "amount", "summary"]
        acts = list(reader)
    assert len(acts) == summary["activities"]
    assert 2 <= len(acts) / len(keys) <= 4
    assert {a["kind"] for a in acts} == KINDS
    previous = ""
    for a in acts:
        assert (a["source"], a["source_id"]) in keys
        datetime.fromisoformat(a["occurred_at"].replace("Z", "+00:00"))
        assert a["occurred_at"] >= previous  # the file is in time order
        previous = a["occurred_at"]
        if a["kind"] in ("order", "invoice", "payment"):
            assert float(a["amount"]) > 0
        else:
            assert a["amount"] == ""
        assert a["summary"]
    by_kind_source = Counter((a["kind"], a["source"]) for a in acts)
    assert by_kind_source[("order", "ecommerce")] == summary["activities_per_kind"]["order"]
    assert by_kind_source[("usage", "product")] == summary["activities_per_kind"]["usage"]


def test_catalog_contract(dataset: tuple[Path, dict, float], catalog: dict) -> None:
    out = dataset[0]
    assert catalog["default_country"] == "AU"
    sources = catalog["sources"]
    assert len(sources) == 7
    assert len({s["code"] for s in sources}) == 7
    assert {s["kind"] for s in sources} == {"crm", "erp", "billing", "marketing", "support", "ecommerce", "product"}
    canonical = set(datagen.CANONICAL_ATTRIBUTES)
    for s in sources:
        assert 0 <= s["trust"] <= 1
        header, rows = _read_rows(out / datagen.SOURCE_FILES[s["code"]])
        assert s["id_field"] in header
        assert s["updated_at_field"] in header
        assert set(s["mapping"]) <= canonical
        assert not ({"given_name", "family_name"} & set(s["mapping"]) and "full_name" in s["mapping"])
        unmapped = set(header) - {s["id_field"], s["updated_at_field"]}
        for attr, spec in s["mapping"].items():
            column = spec["field"] if isinstance(spec, dict) else spec
            assert column in header, (s["code"], attr, column)
            unmapped.discard(column)
            if isinstance(spec, dict):  # every non-empty value parses with the declared format
                for row in rows:
                    if row[column]:
                        datetime.strptime(row[column], spec["format"])  # noqa: DTZ007
        assert unmapped, f"{s['code']} should carry some raw payload columns"
        for row in rows[:50]:
            datetime.fromisoformat(str(row[s["updated_at_field"]]).replace("Z", "+00:00"))
        integ = s["integration"]
        assert integ["pattern"] in {"api-led", "event-driven", "batch", "virtualization"}
        assert integ["direction"] in {"inbound", "outbound", "bidirectional"}
        assert integ["lifecycle"] in {"proposed", "production", "deprecated"}
    product = next(s for s in sources if s["code"] == "product")
    assert product["integration"]["lifecycle"] == "proposed" or "owner" not in product["integration"]


def test_hard_negatives_and_summary(dataset: tuple[Path, dict, float]) -> None:
    summary = dataset[1]
    assert summary["people"] == N
    assert summary["households"] > 0
    assert 0.10 < summary["people_in_households"] / N < 0.25
    assert summary["twins"] > 0
    assert 0.002 < summary["twin_people"] / N < 0.03
    assert summary["name_collisions"] > 0
    assert summary["within_source_duplicates"] > 0
    assert summary["married_name_changes"] > 0 and summary["movers"] > 0
    assert sum(summary["people_by_source_count"].values()) == N
    assert summary["people_by_source_count"].get("5", 0) > 0
    assert 0.2 < summary["single_record_share"] < 0.6
    assert 0.5 < summary["linkable_ceiling"] <= 1.0
    assert summary["single_record_people"] + summary["multi_record_people"] == N


def test_households_share_address_and_landline_in_data(dataset: tuple[Path, dict, float]) -> None:
    """Different true people share a landline (households) - the hard negatives are in the files."""
    out = dataset[0]
    with (out / "truth.csv").open(encoding="utf-8", newline="") as fh:
        entity = {(t["source"], t["source_id"]): t["entity_id"] for t in csv.DictReader(fh)}
    owners: dict[str, set[str]] = {}
    _, rows = _read_rows(out / "erp.csv")
    for row in rows:
        phone = row["TELF1"].replace(" ", "")
        if phone.startswith("+61") and phone[3] != "4":  # landline
            owners.setdefault(phone, set()).add(entity[("erp", row["KUNNR"])])
    _, rows = _read_rows(out / "crm.csv")
    for row in rows:
        phone = row["Phone"].replace(" ", "").replace("(", "").replace(")", "")
        if phone.startswith("0") and phone[1] != "4":
            owners.setdefault("+61" + phone[1:], set()).add(entity[("crm", row["Id"])])
    assert any(len(v) > 1 for v in owners.values())


def test_noise_is_present(dataset: tuple[Path, dict, float]) -> None:
    out = dataset[0]
    _, crm = _read_rows(out / "crm.csv")
    _, marketing = _read_rows(out / "marketing.csv")
    _, erp = _read_rows(out / "erp.csv")
    assert any(r["FirstName"] != r["FirstName"].strip() for r in crm)  # whitespace mess
    assert any("+" in r["Email Address"] and "gmail" in r["Email Address"].lower() for r in marketing)
    assert any(r["Email Address"] != r["Email Address"].lower() for r in marketing)
    assert any(not r["First Name"] for r in marketing)
    assert all(r["NAME1"].isascii() for r in erp)  # the ERP drops accents
    assert any(not r["NAME1"].split(",")[0].strip().isupper() or "," not in r["NAME1"] for r in erp)
    assert any("," in r["NAME1"] and r["NAME1"].split(",")[0].strip().isupper() for r in erp)
    assert any(r["Phone"].startswith("(0") for r in crm) and any(r["Phone"].startswith("04") for r in crm)


def test_helpers() -> None:
    assert datagen.email_key("John.Smith+news@GoogleMail.com") == "johnsmith@gmail.com"
    assert datagen.email_key("john.smith@outlook.com") == "john.smith@outlook.com"
    assert datagen.norm_name(" O'Brien ") == datagen.norm_name("OBRIEN") == "obrien"
    assert datagen.norm_name("Müller") == "muller"
    assert datagen.fold("José Zoë") == "Jose Zoe"
    assert datagen._sf18("a0D30000001n7Pi") == "a0D30000001n7PiEAI"
    tfn = datagen._tfn(__import__("random").Random(1))
    weights = (1, 4, 3, 7, 5, 8, 6, 9, 10)
    assert sum(int(d) * w for d, w in zip(tfn, weights, strict=True)) % 11 == 0


def test_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert datagen.main(["--people", "40", "--seed", "3", "--out", str(tmp_path / "o")]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["people"] == 40
    assert (tmp_path / "o" / "catalog.yaml").exists()
