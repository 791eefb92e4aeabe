"""Streaming readers for source files: one row at a time, with its line number and raw text.

Nothing is read whole into memory, so a 1 GB file costs what one batch of rows costs. Rows
that cannot be read (wrong column count, not valid text in the file's encoding, broken CSV
quoting, invalid JSON) come out as `BadRow`s with the reason, so the importer can quarantine
them instead of losing them or failing the file.
"""

from __future__ import annotations

import codecs
import csv
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

_SURROGATES = re.compile("[\udc80-\udcff]")
_MAX_RAW_TEXT = 100_000  # characters of a bad row kept in quarantine


@dataclass(slots=True)
class Row:
    """A readable row: column -> value (strings, or JSON values for JSON Lines)."""

    line_number: int
    values: dict[str, object]
    raw_text: str


@dataclass(slots=True)
class BadRow:
    """A row that cannot be read, kept verbatim with the reasons."""

    line_number: int
    raw_text: str
    reasons: list[str] = field(default_factory=list)


class UnreadableFile(Exception):
    """The file as a whole cannot be read (missing, not a file, no header row, unknown format)."""


def file_format(path: Path, *, force_json: bool = False) -> str:
    """'csv' or 'jsonl', by the file's extension (SPEC §3)."""
    if force_json:
        return "jsonl"
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in {".jsonl", ".ndjson", ".json"}:
        return "jsonl"
    if suffixes and suffixes[-1] in {".csv", ".txt", ".tsv"}:
        return "csv"
    raise UnreadableFile(f"{path.name}: unknown file type (expected .csv or .jsonl)")


def open_source_file(path: Path) -> BinaryIO:
    """Open a file for reading, turning OS errors into one clear message."""
    try:
        if not path.is_file():
            raise UnreadableFile(f"{path}: no such file")
        return path.open("rb")
    except OSError as exc:
        raise UnreadableFile(f"{path}: cannot be read ({exc.strerror or exc})") from exc


def _decoded_lines(stream: BinaryIO, encoding: str) -> Iterator[tuple[int, str]]:
    """Physical lines decoded one by one; undecodable bytes become surrogates to be caught later."""
    decoder = codecs.lookup(encoding).name
    for number, raw in enumerate(stream, start=1):
        text = raw.decode(decoder, "surrogateescape")
        if number == 1 and text.startswith("\ufeff"):
            text = text[1:]
        yield number, text


def _printable(text: str) -> str:
    """Raw text as it can be stored: undecodable bytes shown as U+FFFD, NUL bytes as \\0."""
    text = _SURROGATES.sub("\ufffd", text).replace("\x00", "\\0")
    return text[:_MAX_RAW_TEXT]


class _LineTap:
    """Feeds lines to the csv module while remembering which physical lines each row used."""

    def __init__(self, lines: Iterator[tuple[int, str]]) -> None:
        self._lines = lines
        self.buffer: list[str] = []
        self.first_line = 0
        self.last_line = 0

    def __iter__(self) -> _LineTap:
        return self

    def __next__(self) -> str:
        number, text = next(self._lines)
        if not self.buffer:
            self.first_line = number
        self.last_line = number
        self.buffer.append(text)
        return text

    def take(self) -> tuple[int, str]:
        """The first line number and the raw text of the row just read; resets the buffer."""
        raw = "".join(self.buffer).rstrip("\r\n")
        self.buffer = []
        return self.first_line, raw


def read_csv(stream: BinaryIO, *, encoding: str = "utf-8", required: tuple[str, ...] = ()) -> Iterator[Row | BadRow]:
    """Rows of a CSV file with a header row. Blank lines are skipped; they are not rows.

    `required` names columns the header must have; without them the file is unreadable.
    """
    tap = _LineTap(_decoded_lines(stream, encoding))
    reader = csv.reader(tap)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        raise UnreadableFile(f"header row cannot be read: {exc}") from exc
    tap.take()
    header = [h.strip() for h in header]
    if _SURROGATES.search("".join(header)):
        raise UnreadableFile(f"header row is not valid {encoding} text")
    if not any(header):
        raise UnreadableFile("the header row is empty")
    duplicates = sorted({h for h in header if header.count(h) > 1 and h})
    if duplicates:
        raise UnreadableFile(f"duplicate column names in header: {', '.join(duplicates)}")
    missing = [c for c in required if c not in header]
    if missing:
        raise UnreadableFile(f"missing columns in header: {', '.join(missing)}")
    width = len(header)
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            line, raw = tap.take()
            yield BadRow(line, _printable(raw), [f"malformed CSV: {exc}"])
            continue
        line, raw = tap.take()
        if not cells or (len(cells) == 1 and not cells[0].strip()):
            continue
        reasons = []
        if len(cells) != width:
            reasons.append(f"expected {width} columns, found {len(cells)}")
        if _SURROGATES.search(raw):
            reasons.append(f"not valid {encoding} text")
        if reasons:
            yield BadRow(line, _printable(raw), reasons)
            continue
        yield Row(line, dict(zip(header, cells, strict=True)), raw)


def read_jsonl(stream: BinaryIO, *, encoding: str = "utf-8") -> Iterator[Row | BadRow]:
    """Rows of a JSON Lines file: one JSON object per line; blank lines are skipped."""
    for line, text in _decoded_lines(stream, encoding):
        raw = text.rstrip("\r\n")
        if not raw.strip():
            continue
        if _SURROGATES.search(raw):
            yield BadRow(line, _printable(raw), [f"not valid {encoding} text"])
            continue
        try:
            value = json.loads(raw)
        except (json.JSONDecodeError, RecursionError) as exc:
            message = exc.msg if isinstance(exc, json.JSONDecodeError) else "nested too deeply"
            yield BadRow(line, _printable(raw), [f"invalid JSON: {message}"])
            continue
        if not isinstance(value, dict):
            yield BadRow(line, _printable(raw), [f"expected a JSON object, found {type(value).__name__}"])
            continue
        yield Row(line, value, raw)


def read_rows(stream: BinaryIO, fmt: str, *, encoding: str = "utf-8") -> Iterator[Row | BadRow]:
    """Rows of a source file in the given format ('csv' or 'jsonl')."""
    try:
        codecs.lookup(encoding)
    except LookupError as exc:
        raise UnreadableFile(f"unknown encoding {encoding!r}") from exc
    if fmt == "jsonl":
        return read_jsonl(stream, encoding=encoding)
    return read_csv(stream, encoding=encoding)
