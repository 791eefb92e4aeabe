"""The API's JSON parser. A module of its own: `rest_framework.views` reads the parser setting when
it is imported, so the parser cannot live in `mdm/api.py`, which imports the views."""

from __future__ import annotations

from rest_framework import exceptions, parsers


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, with JSON nested deeper than the interpreter's stack (`[[[[…]]]]`, which
    makes `json.loads` raise RecursionError) refused as a 400 like any other malformed body."""

    def parse(self, stream, media_type=None, parser_context=None):  # noqa: ANN001, ANN201 - DRF's signature
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError("JSON parse error - nested too deeply.") from None
