#!/usr/bin/env python3
"""Example CRM sync client for the MDM REST API: push records in, pull golden-record changes out.

Needs only `requests`. Typical use, from cron or a loop:

    python examples/crm_sync.py --base-url http://127.0.0.1:8000 --token mdm_... \\
        --cursor-file crm.cursor --source crm --push changed_contacts.csv --output changes.jsonl

1. Push (optional, `--push FILE --source CODE`): a CSV (header row) or JSON file (a list of
   objects, or JSON Lines) of the source's own records is sent to
   `POST /api/v1/sources/{source}/records/` in requests of at most 1000 records. Each request
   carries a fresh `Idempotency-Key` that its retries reuse, so a retry after a timeout replays
   the stored answer instead of writing twice (pushing the same file again later is harmless
   too: identical records come back `unchanged`). Per-record outcomes and golden ids are printed on
   stderr; rejected records are reported (the MDM keeps them in quarantine).
2. Pull: `GET /api/v1/changes/?after=CURSOR` page by page until caught up (`--follow` keeps
   polling). Each change is written as one JSON line (stdout or `--output`, appended), and the
   cursor (the last `sequence` written) is saved to `--cursor-file` after each page, atomically.
   A client that crashes after writing a page and before saving the cursor sees that page again
   (at least once); keep the cursor with the data you apply changes to for exactly once.
   `--skip-origin CODE` leaves out changes caused by that source's own writes (no echo).

Exit status: 0 when everything went through, 1 when the API refused something or could not be
reached after retries, 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

import requests

MAX_RECORDS = 1000
RETRIES = 5
TIMEOUT = 60


class SyncError(Exception):
    """The API refused a request, or could not be reached after retries."""


class Client:
    """A thin session on the API: token auth, JSON, retries with backoff on 429/5xx/network errors."""

    def __init__(self, base_url: str, token: str) -> None:
        self.base = base_url.rstrip("/") + "/api/v1"
        self.session = requests.Session()
        self.session.headers.update({"Authorization": f"Token {token}", "Accept": "application/json"})

    def request(self, method: str, path: str, **kwargs: object) -> dict:
        delay = 0.5
        for attempt in range(1, RETRIES + 1):
            try:
                response = self.session.request(method, self.base + path, timeout=TIMEOUT, **kwargs)
            except requests.RequestException as exc:
                if attempt == RETRIES:
                    raise SyncError(f"{method} {path}: {exc}") from exc
            else:
                if response.status_code < 400:
                    return response.json()
                retryable = response.status_code == 429 or response.status_code >= 500
                if not retryable or attempt == RETRIES:
                    raise SyncError(f"{method} {path}: HTTP {response.status_code}: {_detail(response)}")
                delay = float(response.headers.get("Retry-After") or delay)
            time.sleep(min(delay, 30))
            delay *= 2
        raise SyncError(f"{method} {path}: gave up")  # pragma: no cover - the loop returns or raises


def _detail(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:300]
    return str(body.get("detail", body)) if isinstance(body, dict) else str(body)[:300]


# ---- push ---------------------------------------------------------------------------------------


def read_records(path: Path) -> list[dict]:
    """Records of a CSV (header row), JSON (a list or one object) or JSON Lines file."""
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() == ".csv":
        return list(csv.DictReader(io.StringIO(text, newline="")))
    try:
        data = json.loads(text) if text.strip() else []
    except ValueError:  # JSON Lines: one object a line
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    return data if isinstance(data, list) else [data]


def push(client: Client, source: str, records: list[dict], log: TextIO = sys.stderr) -> dict[str, int]:
    """Upsert the records in requests of at most 1000; returns the summed counts."""
    totals: dict[str, int] = {}
    for start in range(0, len(records), MAX_RECORDS):
        chunk = records[start : start + MAX_RECORDS]
        body = json.dumps(chunk, ensure_ascii=False, separators=(",", ":")).encode()
        key = str(uuid.uuid4())  # one key per request, reused by its retries only
        answer = client.request(
            "POST",
            f"/sources/{source}/records/",
            data=body,
            headers={"Content-Type": "application/json", "Idempotency-Key": key},
        )
        for name, value in answer["counts"].items():
            totals[name] = totals.get(name, 0) + value
        for item in answer["records"]:
            line = f"{source}/{item['source_id']}: {item['outcome']}"
            if item["customer_id"] is not None:
                line += f" -> customer {item['customer_id']}"
            if item["errors"]:
                line += f" ({'; '.join(item['errors'])})"
            log.write(line + "\n")
    return totals


# ---- pull ---------------------------------------------------------------------------------------


def read_cursor(path: Path) -> int:
    try:
        text = path.read_text().strip()
    except FileNotFoundError:
        return 0
    return int(text or 0)


def save_cursor(path: Path, cursor: int) -> None:
    """Write the cursor atomically (temporary file + rename): a crash never leaves half a number."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, prefix=".cursor-") as handle:
        handle.write(f"{cursor}\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(handle.name, path)


def changes(client: Client, after: int, limit: int) -> Iterator[tuple[list[dict], int]]:
    """Pages of (changes, cursor after them) until caught up."""
    while True:
        page = client.request("GET", "/changes/", params={"after": after, "limit": limit})
        after = int(page["next"])
        yield page["results"], after
        if not page.get("has_more"):
            return


def pull(client: Client, cursor_file: Path, out: TextIO, *, limit: int = 500, skip_origin: str = "") -> tuple[int, int]:
    """Write every change after the stored cursor, saving the cursor after each page;
    returns (changes written, cursor)."""
    cursor = read_cursor(cursor_file)
    written = 0
    for results, after in changes(client, cursor, limit):
        for change in results:
            if skip_origin and change.get("origin_source") == skip_origin:
                continue
            out.write(json.dumps(change, ensure_ascii=False, sort_keys=True) + "\n")
            written += 1
        out.flush()
        if after != cursor:
            save_cursor(cursor_file, after)
            cursor = after
    return written, cursor


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Push records to the MDM and pull golden-record changes.")
    parser.add_argument("--base-url", required=True, help="e.g. http://127.0.0.1:8000")
    parser.add_argument("--token", default=os.environ.get("MDM_TOKEN"), help="API token (or MDM_TOKEN)")
    parser.add_argument("--cursor-file", type=Path, required=True, help="where the last sequence is kept")
    parser.add_argument("--source", help="source code of the pushed records (e.g. crm)")
    parser.add_argument("--push", type=Path, help="CSV, JSON or JSON Lines file of the source's records")
    parser.add_argument("--output", type=Path, help="append changes here as JSON lines (default: stdout)")
    parser.add_argument("--skip-origin", default="", help="leave out changes caused by this source's writes")
    parser.add_argument("--limit", type=int, default=500, help="changes per page (1-1000)")
    parser.add_argument("--follow", action="store_true", help="keep polling for new changes")
    parser.add_argument("--interval", type=float, default=5.0, help="seconds between polls with --follow")
    args = parser.parse_args(argv)
    if not args.token:
        parser.error("give --token or set MDM_TOKEN")
    if args.push and not args.source:
        parser.error("--push needs --source")
    client = Client(args.base_url, args.token)
    try:
        if args.push:
            totals = push(client, args.source, read_records(args.push))
            sys.stderr.write(json.dumps({"pushed": totals}) + "\n")
        out = args.output.open("a", encoding="utf-8") if args.output else sys.stdout
        try:
            while True:
                written, cursor = pull(client, args.cursor_file, out, limit=args.limit, skip_origin=args.skip_origin)
                sys.stderr.write(json.dumps({"pulled": written, "cursor": cursor}) + "\n")
                if not args.follow:
                    break
                time.sleep(args.interval)
        finally:
            if out is not sys.stdout:
                out.close()
    except (SyncError, OSError, ValueError) as exc:
        sys.stderr.write(f"crm_sync: {exc}\n")
        return 1
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
