"""The streaming readers: rows come out one at a time, so memory does not grow with the file."""

import io

from connectors.readers import BadRow, Row, read_csv


class EndlessCsv(io.RawIOBase):
    """A file that never ends: reading it whole would never return."""

    def __init__(self) -> None:
        self.lines_served = 0

    def readable(self) -> bool:
        return True

    def readline(self, size: int = -1) -> bytes:
        self.lines_served += 1
        return b"id,name\n" if self.lines_served == 1 else f"{self.lines_served},n\n".encode()

    def __iter__(self):
        return self

    def __next__(self) -> bytes:
        return self.readline()


def test_csv_rows_are_read_lazily():
    stream = EndlessCsv()
    rows = read_csv(stream)
    first = [next(rows) for _ in range(3)]
    assert [r.values["id"] for r in first] == ["2", "3", "4"]
    assert [r.line_number for r in first] == [2, 3, 4]
    assert stream.lines_served < 10


def test_blank_lines_are_not_rows_and_raw_text_is_kept():
    rows = list(read_csv(io.BytesIO(b"a,b\n\n1,2\n   \n3\n")))
    assert isinstance(rows[0], Row)
    assert rows[0].raw_text == "1,2"
    assert isinstance(rows[1], BadRow)
    assert rows[1].line_number == 5
