import io

import pytest

from profiles.spreadsheet import escape_cell, safe_csv_writer


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
        ("+1+1", "'+1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("-2+3", "'-2+3"),
        ("-42", "-42"),
        ("+61291234567", "+61291234567"),
        ("plain", "plain"),
        (7, 7),
    ],
)
def test_formula_cells_are_escaped(value, expected):
    assert escape_cell(value) == expected


def test_writer_escapes_every_cell():
    out = io.StringIO()
    safe_csv_writer(out).writerow(["crm", '=HYPERLINK("x")', 5])
    assert out.getvalue() == 'crm,"\'=HYPERLINK(""x"")",5\n'
