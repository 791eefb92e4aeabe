"""Growth of the whole product path with size: import, full resolve and evaluation on PostgreSQL.

    python -m benchmarks.scale --people 4350 43500 [435000] [--seed 7] [--work DIR]
        [--database-url postgres://postgres@127.0.0.1:5432/mdm_bench_scale] [--timeout 1800] [--keep]

About 2.3 generated records a person, so 4,350 / 43,500 / 435,000 people give ~10k / ~100k / ~1M source
records. For each size, on a freshly created database, every phase runs as its own process under
``/usr/bin/time -v`` so that wall time and peak RSS belong to that phase only:

1. ``python -m benchmarks.scale --phase import``: migrate, ``catalog_load`` and ``records_import`` of every
   generated source file (the product's import path);
2. ``manage.py resolve --sync --full --json``: the full resolve, end to end (reads, engine, writes);
3. ``python -m benchmarks.scale --phase evaluate``: the run's stage timings (``MatchRun.timings``) and
   ``golden_record_evaluation`` against the generator's truth.

Prints one JSON object: per size the records, seconds and peak RSS of each phase, resolve stage timings,
quality figures, the load average before and after, and the growth factors between sizes (time per record
relative to the smallest size: 1.0 is linear). ``--keep`` leaves the last database in place (for
``benchmarks.search``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.common import machine_info, use_fresh_postgres

DEFAULT_SCALE_URL = "postgres://postgres@127.0.0.1:5432/mdm_bench_scale"
TARGET_1M = {"records": 950_000, "resolve_seconds_max": 600.0, "peak_rss_mib_max": 4096.0}


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text(encoding="utf-8").split()[:3])


def timed(cmd: list[str], env: dict[str, str], timeout: float) -> dict[str, Any]:
    """Run ``cmd`` under ``/usr/bin/time -v``; its stdout, exit code, wall seconds and peak RSS (MiB)."""
    load_before = _load()
    started = time.perf_counter()
    try:
        proc = subprocess.run(  # noqa: S603 - our own commands
            ["/usr/bin/time", "-v", *cmd], capture_output=True, text=True, env=env, timeout=timeout
        )
    except subprocess.TimeoutExpired as exc:
        return {"error": f"timed out after {timeout:.0f} s", "stdout": (exc.stdout or b"")[-2000:]}
    wall = time.perf_counter() - started
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
    out: dict[str, Any] = {
        "returncode": proc.returncode,
        "seconds": round(wall, 2),
        "peak_rss_mib": round(int(peak.group(1)) / 1024, 1) if peak else None,
        "load_before": load_before,
        "load_after": _load(),
        "stdout": proc.stdout,
    }
    if proc.returncode != 0:
        out["stderr"] = proc.stderr[-3000:]
    return out


def _last_json(text: str) -> dict[str, Any]:
    for line in reversed(text.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            return json.loads(line)
    return {}


def phase_import(data_dir: Path) -> int:
    """Child: migrate the (fresh) database named in DATABASE_URL and import every source file."""
    from benchmarks.common import django_setup

    django_setup()
    from benchmarks.resolve_e2e import import_all

    print(json.dumps(import_all(data_dir)))
    return 0


def phase_evaluate(data_dir: Path) -> int:
    """Child: the last run's stage timings and the evaluation against truth.csv."""
    from benchmarks.common import django_setup

    django_setup()
    from profiles.models import MatchRun
    from profiles.selectors import golden_record_evaluation

    run = MatchRun.objects.order_by("-pk").first()
    started = time.perf_counter()
    scores = golden_record_evaluation(truth_path=data_dir / "truth.csv")
    out = {
        "stages": run.timings if run else None,
        "summary": run.summary() if run else None,
        "evaluation": scores,
        "evaluate_seconds": round(time.perf_counter() - started, 2),
    }
    print(json.dumps(out, default=str))
    return 0


def one_size(people: int, seed: int, work: Path, url: str, timeout: float) -> dict[str, Any]:
    """Generate (or reuse) one size, then import, resolve and evaluate it in separate processes."""
    data_dir = work / f"ms-{people}-{seed}"
    started = time.perf_counter()
    if not (data_dir / "truth.csv").exists():
        from benchmarks.datagen import generate

        generate(people, seed, data_dir)
    summary = json.loads((data_dir / "summary.json").read_text(encoding="utf-8"))
    out: dict[str, Any] = {
        "people": people,
        "records": summary["records"],
        "linkable_ceiling": summary.get("linkable_ceiling"),
        "generate_seconds": round(time.perf_counter() - started, 2),
    }
    use_fresh_postgres(url)
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "mdm.settings"}
    py = sys.executable
    imported = timed([py, "-m", "benchmarks.scale", "--phase", "import", "--data", str(data_dir)], env, timeout)
    out["import"] = {k: v for k, v in imported.items() if k != "stdout"}
    if imported.get("returncode") != 0:
        return out
    out["import"].update(_last_json(imported["stdout"]))
    resolved = timed([py, "manage.py", "resolve", "--sync", "--full", "--json"], env, timeout)
    out["resolve"] = {k: v for k, v in resolved.items() if k != "stdout"}
    if resolved.get("returncode") != 0:
        return out
    out["resolve"]["summary"] = _last_json(resolved["stdout"])
    evaluated = timed([py, "-m", "benchmarks.scale", "--phase", "evaluate", "--data", str(data_dir)], env, timeout)
    details = _last_json(evaluated.get("stdout", ""))
    out["resolve"]["stages"] = details.get("stages")
    out["evaluation"] = details.get("evaluation")
    out["evaluate_seconds"] = details.get("evaluate_seconds")
    if out["records"] >= TARGET_1M["records"]:
        out["target_1m"] = {
            **TARGET_1M,
            "met": resolved["seconds"] <= TARGET_1M["resolve_seconds_max"]
            and (resolved["peak_rss_mib"] or 0) <= TARGET_1M["peak_rss_mib_max"],
        }
    return out


def growth(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Seconds per record of each phase relative to the smallest size (1.0 = linear growth)."""
    base = results[0]
    out: dict[str, Any] = {}
    for phase in ("import", "resolve"):
        if "seconds" not in base.get(phase, {}):
            continue
        per = base[phase]["seconds"] / base["records"]
        out[phase] = {
            str(r["records"]): round(r[phase]["seconds"] / r["records"] / per, 2)
            for r in results
            if "seconds" in r.get(phase, {})
        }
    return out


def main(argv: list[str] | None = None) -> int:
    """As parent: every size in turn, one JSON report. As child: one phase (import / evaluate)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, nargs="+", default=[4350, 43500])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--work", type=Path, default=Path("/tmp/mdm-scale"), help="generated data cache")
    parser.add_argument("--database-url", default=DEFAULT_SCALE_URL)
    parser.add_argument("--timeout", type=float, default=1800, help="seconds allowed per phase")
    parser.add_argument("--keep", action="store_true", help="leave the last size's database in place")
    parser.add_argument("--phase", choices=("import", "evaluate"), help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.phase == "import":
        return phase_import(args.data)
    if args.phase == "evaluate":
        return phase_evaluate(args.data)

    args.work.mkdir(parents=True, exist_ok=True)
    results = []
    for people in args.people:
        results.append(one_size(people, args.seed, args.work, args.database_url, args.timeout))
        print(json.dumps(results[-1], default=str), file=sys.stderr, flush=True)
    report = {
        "benchmark": "scale",
        "database": "postgresql",
        "seed": args.seed,
        "results": results,
        "growth_per_record_vs_smallest": growth(results),
        "machine": machine_info(),
    }
    if not args.keep:
        import psycopg

        admin = args.database_url.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{args.database_url.rsplit("/", 1)[1]}" WITH (FORCE)')
    print(json.dumps(report, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
