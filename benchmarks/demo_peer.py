"""A small local HTTP server standing in for two SaaS sources in `make demo`.

It serves generated source files (``benchmarks.datagen`` output) the way their APIs would:

* ``GET /billing/customers?updated_since=&page_size=&offset=``: the billing source's records as a
  paginated JSON API (``{"data": [...], "next": "<link>"}``), oldest change first, for the
  ``http-pull`` connector;
* ``GET /product/accounts?...``: the same for the product source, whose identity attributes the
  ``virtualization`` connector syncs;
* ``GET /product/accounts/<id>``: one product record (``{"data": {...}}``), the live payload a
  profile page shows.

Run ``python -m benchmarks.demo_peer --dir var/demo --port 8765``; loopback only, standard library
only, threaded so a profile page and a sync can hit it at once.
"""

from __future__ import annotations

import argparse
import csv
import json
import signal
import sys
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

MAX_PAGE_SIZE = 1000


@dataclass(frozen=True)
class Collection:
    """One source file served as a list endpoint (and, with `by_id`, one endpoint per record)."""

    path: str  # e.g. /billing/customers
    file: str  # e.g. billing.csv
    id_field: str
    updated_field: str
    by_id: bool = False


COLLECTIONS = (
    Collection("/billing/customers", "billing.csv", "id", "updated"),
    Collection("/product/accounts", "product.csv", "user_id", "last_seen_at", by_id=True),
)


def load_records(path: Path, collection: Collection) -> list[dict[str, str]]:
    """A source file's rows, oldest change first (ISO timestamps of one format sort as text)."""
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return sorted(rows, key=lambda r: (r.get(collection.updated_field) or "", r[collection.id_field]))


class DemoPeer:
    """The peer's data and server; `start()` serves on a thread (tests), `serve_forever()` blocks (CLI)."""

    def __init__(self, data_dir: Path, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.data: dict[str, tuple[Collection, list[dict[str, str]], dict[str, dict[str, str]]]] = {}
        for collection in COLLECTIONS:
            records = load_records(Path(data_dir) / collection.file, collection)
            index = {r[collection.id_field]: r for r in records} if collection.by_id else {}
            self.data[collection.path] = (collection, records, index)
        self.requests: list[str] = []
        self.server = ThreadingHTTPServer((host, port), self._handler())
        self.server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:  # quiet: the demo prints its own summary
                return

            def do_GET(self) -> None:  # noqa: N802 - the http.server API
                peer.requests.append(self.path)
                status, body = peer.answer(self.path)
                data = json.dumps(body, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler

    def answer(self, target: str) -> tuple[int, dict[str, object]]:
        """(status, JSON body) of a GET."""
        parts = urlsplit(target)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        path = parts.path.rstrip("/")
        if path in self.data:
            return self._page(path, query)
        head, _, tail = path.rpartition("/")
        if head in self.data and self.data[head][0].by_id:
            record = self.data[head][2].get(unquote(tail))
            if record is None:
                return 404, {"error": f"no record {unquote(tail)!r}"}
            return 200, {"data": record}
        return 404, {"error": f"no endpoint {parts.path!r}"}

    def _page(self, path: str, query: dict[str, str]) -> tuple[int, dict[str, object]]:
        collection, records, _ = self.data[path]
        try:
            size = int(query.get("page_size", "100"))
            offset = int(query.get("offset", "0"))
        except ValueError:
            return 400, {"error": "page_size and offset must be whole numbers"}
        if not 1 <= size <= MAX_PAGE_SIZE or offset < 0:
            return 400, {"error": f"page_size must be 1..{MAX_PAGE_SIZE} and offset >= 0"}
        since = query.get("updated_since", "")
        if since:
            records = [r for r in records if (r.get(collection.updated_field) or "") >= since]
        page = records[offset : offset + size]
        following = None
        if offset + size < len(records):
            params = {"page_size": size, "offset": offset + size, **({"updated_since": since} if since else {})}
            following = f"{path}?{urlencode(params, quote_via=quote)}"
        return 200, {"data": page, "next": following}

    def start(self) -> DemoPeer:
        self._thread = threading.Thread(target=self.server.serve_forever, name="demo-peer", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> DemoPeer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dir", type=Path, required=True, help="datagen output directory")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args(argv)
    try:
        peer = DemoPeer(args.dir, host=args.host, port=args.port)
    except OSError as exc:
        print(f"demo peer: cannot serve on {args.host}:{args.port} or read {args.dir}: {exc}", file=sys.stderr)
        return 1
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"demo peer serving {args.dir} on {peer.url} (billing: http-pull, product: virtualization)", flush=True)
    try:
        peer.server.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        peer.server.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
