"""Identity resolution end to end: import -> resolve -> golden records, with constraints,
stable ids, atomic apply and one run at a time."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from connectors.models import SourceRecord, SourceSystem
from profiles.choices import CustomerEventKind, CustomerStatus, Decision, ModelKind, PairStatus, RunMode, RunStatus
from profiles.models import Customer, CustomerEvent, MatchModel, MatchPair, MatchRun
from profiles.selectors import golden_record_evaluation
from profiles.services.decisions import NotEnoughDecisions, match_pair_decide, supervised_model_train
from profiles.services.resolution import RunAlreadyActive, match_run_start, records_resolve_now, resolve_now

pytestmark = pytest.mark.django_db


def links() -> dict[int, int | None]:
    return dict(SourceRecord.objects.filter(is_deleted=False).values_list("pk", "customer_id"))


def full(actor: str = "test") -> MatchRun:
    run = resolve_now(mode=RunMode.FULL, actor=actor)
    assert run.status == RunStatus.SUCCEEDED, run.error
    return run


def incremental(actor: str = "test") -> MatchRun:
    run = resolve_now(mode=RunMode.INCREMENTAL, actor=actor)
    assert run.status == RunStatus.SUCCEEDED, run.error
    return run


def add_record(source_code: str, external_id: str, **attributes) -> SourceRecord:
    """A record as an upsert would store it: standardised through the source's mapping."""
    from connectors.row_standardisation import standardise_row
    from connectors.services.records import source_row_mapping

    source = SourceSystem.objects.get(code=source_code)
    mapping = source_row_mapping(source)
    reverse = {attribute: spec["field"] for attribute, spec in source.mapping.items()}
    raw = {reverse[a]: v for a, v in attributes.items()}
    fields = standardise_row(raw, {}, mapping)
    return SourceRecord.objects.create(
        source=source, external_id=external_id, raw=raw, received_at="2026-01-01T00:00:00Z", content_hash="t", **fields
    )


def test_first_run_links_every_record_with_good_quality(imported):
    run = incremental()
    assert run.records == SourceRecord.objects.count()
    assert not SourceRecord.objects.filter(customer__isnull=True).exists()
    assert not SourceRecord.objects.filter(pending_resolution=True).exists()
    assert run.golden_records == Customer.objects.filter(status=CustomerStatus.ACTIVE).count()
    assert MatchModel.objects.get(is_active=True).kind == ModelKind.FELLEGI_SUNTER
    figures = golden_record_evaluation(truth_path=imported / "truth.csv")
    assert figures["precision"] >= 0.97
    assert figures["over_merge_rate"] <= 0.02
    assert figures["unified_rate_multi_record"] >= 0.75
    assert sum(run.figures["score_histogram"]) == run.candidate_pairs
    assert CustomerEvent.objects.filter(kind=CustomerEventKind.CREATED).count() == run.golden_records
    golden = Customer.objects.filter(status=CustomerStatus.ACTIVE).exclude(full_name="").first()
    assert golden.full_name in set(golden.source_records.values_list("full_name", flat=True))


def test_full_rerun_keeps_every_golden_id(imported):
    incremental()
    before = links()
    run = full()
    assert links() == before
    assert (run.created_customers, run.merged_customers, run.split_customers) == (0, 0, 0)


def test_nothing_pending_means_nothing_to_do(imported):
    incremental()
    run = incremental()
    assert run.records == 0
    assert MatchRun.objects.count() == 2


def test_new_record_of_a_known_person_joins_their_golden_record_incrementally(imported):
    incremental()
    known = SourceRecord.objects.filter(source__code="crm").exclude(email="").exclude(date_of_birth=None).first()
    copy = add_record(
        "support",
        "T-1",
        full_name=f"{known.given_name} {known.family_name}",
        email=known.email.upper(),
        phone=known.phone,
    )
    run = incremental()
    copy.refresh_from_db()
    assert copy.customer_id == known.customer_id
    assert run.records < SourceRecord.objects.count() / 10  # only the neighbourhood was looked at


def test_real_time_resolution_of_one_record(imported):
    incremental()
    known = SourceRecord.objects.filter(source__code="crm").exclude(email="").first()
    copy = add_record("support", "T-2", full_name=f"{known.given_name} {known.family_name}", email=known.email)
    result = records_resolve_now(record_ids=[copy.pk], actor="api")
    assert result == {copy.pk: known.customer_id}
    stranger = add_record("support", "T-3", full_name="Zebediah Quixote", email="zq@nowhere.example")
    result = records_resolve_now(record_ids=[stranger.pk], actor="api")
    assert Customer.objects.get(pk=result[stranger.pk]).source_records.count() == 1


def test_household_members_are_not_chained(imported):
    incremental()
    shared = {"street": "7 Quarry Lane", "city": "Bendigo", "postcode": "3550", "phone": "(03) 5441 7777"}
    alice = add_record(
        "crm",
        "H-1",
        given_name="Alice",
        family_name="Marchetti",
        date_of_birth="04/02/1961",
        email="alice.marchetti@example.com",
        **shared,
    )
    bruno = add_record("crm", "H-2", given_name="Bruno", family_name="Marchetti", date_of_birth="11/30/1958", **shared)
    carla = add_record(
        "crm",
        "H-3",
        given_name="Carla",
        family_name="Marchetti",
        date_of_birth="06/15/1990",
        email="marchetti.family@example.com",
        **shared,
    )
    carla_again = add_record("erp", "H-4", full_name="MARCHETTI, Carla", email="marchetti.family@example.com")
    incremental()
    customers = {r: SourceRecord.objects.get(pk=r.pk).customer_id for r in (alice, bruno, carla, carla_again)}
    assert len({customers[alice], customers[bruno], customers[carla]}) == 3
    assert customers[carla] == customers[carla_again]


def test_no_match_decision_is_a_cannot_link_that_survives_full_runs(imported):
    incremental()
    pair = MatchPair.objects.filter(status=PairStatus.LINKED).order_by("-probability").first()
    a, b = pair.record_a, pair.record_b
    assert a.customer_id == b.customer_id
    match_pair_decide(pair=pair, decision=Decision.NO_MATCH, actor="steward")
    incremental()
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.customer_id != b.customer_id
    full()
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.customer_id != b.customer_id
    assert MatchPair.objects.get(pk=pair.pk).decision == Decision.NO_MATCH


def test_match_decision_merges_golden_records_and_the_old_id_redirects(imported):
    incremental()
    singles = list(
        Customer.objects.filter(status=CustomerStatus.ACTIVE).order_by("id").values_list("pk", flat=True)[:2]
    )
    a = SourceRecord.objects.filter(customer_id=singles[0]).first()
    b = SourceRecord.objects.filter(customer_id=singles[1]).first()
    low, high = sorted((a.pk, b.pk))
    pair = MatchPair.objects.create(
        record_a_id=low, record_b_id=high, probability=0.5, match_weight=0, status=PairStatus.REVIEW
    )
    match_pair_decide(pair=pair, decision=Decision.MATCH, actor="steward")
    run = incremental()
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.customer_id == b.customer_id
    assert run.merged_customers >= 1
    retired = Customer.objects.get(pk=({singles[0], singles[1]} - {a.customer_id}).pop())
    assert retired.status == CustomerStatus.RETIRED
    assert retired.merged_into_id == a.customer_id
    assert CustomerEvent.objects.filter(customer=retired, kind=CustomerEventKind.MERGED).exists()
    out = io.StringIO()
    call_command("export_xrefs", stdout=out)
    exported = {int(row["customer_id"]) for row in csv.DictReader(io.StringIO(out.getvalue()))}
    assert exported and retired.pk not in exported
    assert exported <= set(Customer.objects.filter(status=CustomerStatus.ACTIVE).values_list("pk", flat=True))


def test_a_crash_while_applying_leaves_the_previous_golden_records(imported, monkeypatch):
    incremental()
    before = links()
    customers_before = Customer.objects.count()
    SourceRecord.objects.filter(pk__in=list(before)[:50]).update(pending_resolution=True)

    def crash(**kwargs):
        raise RuntimeError("killed mid-apply")

    monkeypatch.setattr("profiles.services.resolution.golden_records_recompute", crash)
    run = resolve_now(mode=RunMode.FULL, actor="test")
    assert run.status == RunStatus.FAILED
    assert "killed mid-apply" in run.error
    assert not run.is_active
    assert links() == before
    assert Customer.objects.count() == customers_before
    assert SourceRecord.objects.filter(pending_resolution=True).count() == 50
    monkeypatch.undo()
    assert full().status == RunStatus.SUCCEEDED
    assert links() == before


def test_a_second_run_is_refused_while_one_is_active(imported, capsys):
    match_run_start(mode=RunMode.FULL, actor="someone")
    with pytest.raises(RunAlreadyActive, match="another match run is in progress"):
        match_run_start(mode=RunMode.INCREMENTAL, actor="me")
    with pytest.raises(CommandError, match="another match run is in progress"):
        call_command("resolve", "--sync")


def test_resolve_command_prints_progress_and_a_json_summary(imported, capsys):
    call_command("resolve", "--worker-wait", "0", "--json")
    out = capsys.readouterr().out.strip().splitlines()
    assert "running it in this process" in "\n".join(out)
    assert out[-2].startswith("records ")
    summary = json.loads(out[-1])
    assert summary["status"] == "succeeded"
    assert summary["records"] == SourceRecord.objects.count()
    assert set(summary) >= {"records", "candidate_pairs", "auto_linked", "to_review", "golden_records", "seconds"}


def test_evaluate_command(imported, capsys, write_file):
    call_command("resolve", "--sync")
    capsys.readouterr()
    call_command("evaluate", "--truth", str(imported / "truth.csv"))
    figures = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert figures["records"] == SourceRecord.objects.count()
    assert 0.9 < figures["precision"] <= 1
    with pytest.raises(CommandError, match="missing columns"):
        call_command("evaluate", "--truth", str(write_file("bad.csv", "a,b\n1,2\n")))


def test_supervised_model_from_decisions_becomes_the_active_model(imported):
    incremental()
    with pytest.raises(NotEnoughDecisions):
        supervised_model_train()
    linked = MatchPair.objects.filter(status=PairStatus.LINKED).order_by("-probability")[:6]
    for pair in linked:
        match_pair_decide(pair=pair, decision=Decision.MATCH, actor="steward")
    for pair in MatchPair.objects.filter(status=PairStatus.REVIEW).order_by("probability")[:6]:
        match_pair_decide(pair=pair, decision=Decision.NO_MATCH, actor="steward")
    model = supervised_model_train(minimum=10)
    assert model.is_active and model.kind == ModelKind.SUPERVISED
    run = full()
    assert run.model_id == model.pk


def test_the_background_task_runs_a_queued_run_once(imported):
    from profiles.tasks import resolve_task

    run = match_run_start(mode=RunMode.INCREMENTAL, actor="test")
    assert resolve_task(run.pk) == f"run {run.pk} succeeded"
    assert resolve_task(run.pk) == f"run {run.pk} was not queued any more"
    assert MatchRun.objects.get(pk=run.pk).golden_records > 0
