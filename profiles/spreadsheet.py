"""CSV exports that are safe to open in a spreadsheet.

A cell starting with =, +, -, @, tab or carriage return can be run as a formula by Excel or
LibreOffice ("formula injection"); such cells are prefixed with a single quote, the escape
spreadsheets themselves use. Plain negative numbers are left alone.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any, TextIO

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")


def escape_cell(value: object) -> object:
    """The value, with a leading quote if a spreadsheet would take it for a formula."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _NUMBER.match(value):
        return "'" + value
    return value


class _SafeWriter:
    def __init__(self, stream: TextIO) -> None:
        self._writer = csv.writer(stream, lineterminator="\n")

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([escape_cell(v) for v in row])


def safe_csv_writer(stream: TextIO) -> _SafeWriter:
    """A csv writer that escapes formula-looking cells."""
    return _SafeWriter(stream)
