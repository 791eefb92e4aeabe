"""Derive the columns matching needs from the standardised input frame.

The input follows the engine's frame contract (see ``profiles/matching/__init__.py``).  ``prepare`` adds
effective name keys (names recovered from e-mail local parts when a record has none), nickname-canonical
given names, initials, split dates of birth, street number/name parts and "shared identifier" flags
(an e-mail or phone used by records with clearly different given names is a household/shared contact,
so agreeing on it is weaker evidence).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import jellyfish
import numpy as np
import pandas as pd

from profiles.matching.names import (
    GIVEN_DIFFERENT,
    KNOWN_GIVEN,
    canonical_given,
    given_level,
    misspelt_given,
    names_from_email,
)

#: columns of the input contract (any may be absent; absent == all missing).
INPUT_COLUMNS: tuple[str, ...] = (
    "source",
    "given_name",
    "family_name",
    "given_key",
    "family_key",
    "given_phonetic",
    "family_phonetic",
    "email_key",
    "phone_key",
    "date_of_birth",
    "birth_year",
    "postcode_key",
    "street_key",
    "city",
    "company_key",
    "national_id_key",
)

#: given names that are at least as common as family names; a lone one is left where the source put it.
_FAMILY_LIKE_WORDS = (
    "james thomas john george henry lewis louis ross lee dean grant glenn douglas gordon graham mitchell "
    "morgan taylor jordan kelly campbell scott murray stuart stewart allan allen ellis harvey hayden"
)
KNOWN_FAMILY_LIKE = frozenset(_FAMILY_LIKE_WORDS.split())
_STR_COLUMNS = tuple(c for c in INPUT_COLUMNS if c != "birth_year")
_LETTERS_RE = re.compile(r"[^a-z]")
_ISO_DATE_RE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})")
_STREET_NUM_RE = re.compile(r"(\d+)\s+[a-z]")
_STREET_LEAD_RE = re.compile(r"^[\d\s]+")


@lru_cache(maxsize=1 << 16)
def phonetic(key: str) -> str | None:
    """Stabilised NYSIIS (same definition as connectors.standardisation.phonetic_key) of a name key."""
    seen: list[str] = []
    code = jellyfish.nysiis(key)
    while code and code not in seen and len(seen) < 32:
        seen.append(code)
        code = jellyfish.nysiis(code.lower())
    if not code:
        return None
    if code in seen:
        return min(seen[seen.index(code) :])
    return code


def _clean(values: list) -> list:
    """None for missing/blank/non-text values (the contract says "" means missing), else the stripped text."""
    return [(v.strip() or None) if isinstance(v, str) else None for v in values]


def _letters(values: list) -> list:
    """Lower-case ASCII letters only ("O'Brien" -> "obrien"); None when nothing is left."""
    return [(_LETTERS_RE.sub("", v.lower()) or None) if isinstance(v, str) else None for v in values]


def _local_letters(email: str | None) -> str | None:
    if not email:
        return None
    return _LETTERS_RE.sub("", email.split("@", 1)[0]) or None


def _recover_names(given: list, family: list, emails: list) -> tuple[list, list, list]:
    """Effective (given, family) keys + a from-email flag per record.

    * given/family written in each other's field ("Becker" / "Stephen") are swapped back when only the
      family field holds a known given name;
    * a lone name that is only the mailbox ("georgiasmith", "ssmith") is dropped in favour of the names
      the e-mail local part spells;
    * a lone name that is a given name (single-word display names put it in the family field) moves to
      the given field, and the family name is taken from the e-mail when the e-mail agrees on the given
      name ("Amanda" + amurray@ -> amanda / murray);
    * records without any name take both from the e-mail.
    """
    given = list(given)
    family = list(family)
    from_email = [False] * len(given)
    for i, email in enumerate(emails):
        g, f = given[i], family[i]
        if g and f:
            if (
                len(g) > 1
                and g not in KNOWN_GIVEN
                and f in KNOWN_GIVEN
                and f not in KNOWN_FAMILY_LIKE
                and not misspelt_given(g)  # "Maary" / "Ryan" is Mary misspelt, not a swap
            ):
                given[i], family[i] = f, g
            continue
        rg, rf = names_from_email(email) if email else (None, None)
        if f and not g and email and f == _local_letters(email):
            f = None
        if f and not g:
            agrees = rg is not None and given_level(f, rg) > GIVEN_DIFFERENT
            if rg is not None and rf is not None and f == rf:
                g, from_email[i] = rg, True
            elif agrees or (f in KNOWN_GIVEN and f not in KNOWN_FAMILY_LIKE):
                g, f = f, (rf if agrees else None)
                from_email[i] = f is not None
        elif g and not f:
            if rg is not None and rf is not None and given_level(g, rg) > GIVEN_DIFFERENT:
                f, from_email[i] = rf, True
        elif not g and not f and rg is not None:
            g, f, from_email[i] = rg, rf, True
        given[i], family[i] = g, f
    return given, family, from_email


def _email_name_like(locals_: list, given: list, family: list, from_email: list) -> np.ndarray:
    """True where the e-mail local part is just the person's name ("john.smith", "jsmith", "smithj").

    Two different people with the same name get the same such mailbox name at different providers, so
    "same local part, other domain" is only evidence when the local part says more than the name.
    """
    out = np.zeros(len(locals_), dtype=bool)
    for i, (local, g, f, rec) in enumerate(zip(locals_, given, family, from_email, strict=True)):
        if not isinstance(local, str):
            continue
        if any(ch.isdigit() for ch in local):
            continue
        letters = _LETTERS_RE.sub("", local)
        if rec or len(letters) < 5:
            out[i] = True
            continue
        g = g or ""
        f = f or ""
        forms = {g + f, f + g, g[:1] + f, f + g[:1], g, f}
        out[i] = letters in forms or (bool(f) and f in letters and len(letters) - len(f) <= 2)
    return out


def _ascii_int(text: str | None) -> int:
    """A regex digit group as a number; 0 when absent or not ASCII (what ``pd.to_numeric`` gives up on)."""
    return int(text) if text is not None and text.isascii() else 0


def _dob_parts(
    dob: list, birth_year: np.ndarray | pd.api.extensions.ExtensionArray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(year, month, day) of ISO dates, 0 = unknown; the year falls back to ``birth_year``."""
    n = len(dob)
    y, m, d = np.zeros(n, np.int16), np.zeros(n, np.int8), np.zeros(n, np.int8)
    for i, text in enumerate(dob):
        if isinstance(text, str):
            match = _ISO_DATE_RE.search(text)
            if match is not None:
                ys, ms, ds = match.groups()
                y[i], m[i], d[i] = _ascii_int(ys), _ascii_int(ms), _ascii_int(ds)
    if isinstance(birth_year, np.ndarray) and birth_year.dtype == np.float64:
        by = np.where(np.isnan(birth_year), 0.0, birth_year).astype(np.int16)
    else:
        by = pd.to_numeric(pd.Series(birth_year), errors="coerce").fillna(0).to_numpy(np.int16)
    y_only = np.where(y > 0, y, by)
    return y_only, m, d


def _street_parts(streets: list) -> tuple[list, list]:
    """(house number, street name without the leading number) of street keys; None when absent."""
    nums, names = [], []
    for text in streets:
        if not isinstance(text, str):
            nums.append(None)
            names.append(None)
            continue
        match = _STREET_NUM_RE.search(text)
        nums.append(match.group(1) if match else None)
        names.append(_STREET_LEAD_RE.sub("", text) or None)
    return nums, names


def _conflicting_groups(keys: list, given: list) -> np.ndarray:
    """True for records whose key value is shared by records with clearly different given names."""
    names_of: dict[str, dict[str, None]] = {}
    for key, g in zip(keys, given, strict=True):
        if isinstance(key, str) and g is not None and len(g) > 1:
            names_of.setdefault(key, {})[g] = None
    shared = set()
    for key, names in names_of.items():
        if len(names) < 2:
            continue
        values = list(names)
        if any(given_level(a, b) == GIVEN_DIFFERENT for i, a in enumerate(values) for b in values[i + 1 :]):
            shared.add(key)
    if not shared:
        return np.zeros(len(keys), dtype=bool)
    return np.fromiter((key in shared for key in keys), dtype=bool, count=len(keys))


def _objects(values: list) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


class Prepared:
    """Prepared columns as numpy arrays with the record index: what the later stages read.

    :func:`prepare` returns it as a DataFrame; :func:`profiles.matching.resolve` passes it between the
    stages as is, which saves building (and then picking apart) a frame of ~30 columns on every call --
    the largest fixed cost of resolving a handful of records.  Stage functions accept either form
    (:func:`as_prepared`); ``prepared[col]`` is always a numpy array (or, for a frame's extension-typed
    column, what ``Series.to_numpy()`` gives).
    """

    __slots__ = ("_columns", "_frame", "index")

    def __init__(self, index: pd.Index, columns: dict[str, Any] | None = None, frame: pd.DataFrame | None = None):
        self.index = index
        self._columns: dict[str, Any] = {} if columns is None else columns
        self._frame = frame

    def __len__(self) -> int:
        return len(self.index)

    def __contains__(self, col: object) -> bool:
        return col in self._columns or (self._frame is not None and col in self._frame)

    def __getitem__(self, col: str) -> Any:
        values = self._columns.get(col)
        if values is None:
            if self._frame is None:
                raise KeyError(col)
            values = self._columns[col] = self._frame[col].to_numpy()
        return values

    def series(self, col: str) -> pd.Series:
        """One column as a Series on the record index."""
        if self._frame is not None:
            return self._frame[col]
        return pd.Series(self._columns[col], index=self.index, name=col, copy=False)

    def frame(self) -> pd.DataFrame:
        return self._frame if self._frame is not None else pd.DataFrame(self._columns, index=self.index)


def as_prepared(prepared: pd.DataFrame | Prepared) -> Prepared:
    """Column access for the stages whether they were given :func:`prepare`'s frame or a :class:`Prepared`."""
    return prepared if isinstance(prepared, Prepared) else Prepared(prepared.index, frame=prepared)


def prepare(records: pd.DataFrame) -> pd.DataFrame:
    """Return a new frame (same index) with the contract columns cleaned and matching columns derived.

    Derived columns: ``gk``/``fk`` effective given/family keys, ``fp`` family phonetic, ``gc`` nickname
    canonical given name, ``gi`` given initial, ``name_from_email``, ``dob_y``/``dob_m``/``dob_d`` (0 =
    unknown; ``dob_y`` may come from ``birth_year`` alone), ``street_num``/``street_name``, ``city_key``,
    ``email_local``, ``email_shared``/``phone_shared`` (identifier also used by someone with a clearly
    different given name: a household contact).

    Works on plain Python lists column by column and builds the frame once at the end: faster than
    pandas' string methods on large frames, and no per-column pandas overhead on the few-record frames
    of real-time resolution.
    """
    return prepare_columns(records).frame()


def prepare_columns(records: pd.DataFrame) -> Prepared:
    """:func:`prepare` without building the frame (see :class:`Prepared`)."""
    if not records.index.is_unique:
        raise ValueError("record ids (the index) must be unique")
    index = records.index.astype("int64")
    n = len(index)
    cols: dict[str, list] = {}
    for col in _STR_COLUMNS:
        # an absent column is all NaN (not None), as pandas fills a new object column
        cols[col] = _clean(records[col].tolist()) if col in records else [np.nan] * n
    if "birth_year" in records:
        raw_year = records["birth_year"]
        if raw_year.dtype == np.float64:  # what the callers pass; to_numeric would return it unchanged
            birth_year = raw_year.to_numpy()
        else:
            birth_year = pd.to_numeric(raw_year, errors="coerce").array
    else:
        birth_year = np.full(n, np.nan)
    for col in ("given_key", "family_key"):
        cols[col] = _letters(cols[col])
    cols["email_key"] = [v.lower() if isinstance(v, str) else None for v in cols["email_key"]]

    gk, fk, from_email = _recover_names(cols["given_key"], cols["family_key"], cols["email_key"])
    # the source's family phonetic holds while the effective family key is the source's (None == None too)
    fp = [p if f == k else None for p, f, k in zip(cols["family_phonetic"], fk, cols["family_key"], strict=True)]
    fp = [phonetic(f) if (p is None or p != p) and f is not None else p for p, f in zip(fp, fk, strict=True)]
    email_local = [v.split("@", 1)[0] if v is not None else None for v in cols["email_key"]]
    y, m, d = _dob_parts(cols["date_of_birth"], birth_year)
    street_num, street_name = _street_parts(cols["street_key"])
    data: dict[str, np.ndarray] = {col: _objects(cols[col]) for col in _STR_COLUMNS}
    data["birth_year"] = birth_year
    data["gk"] = _objects(gk)
    data["fk"] = _objects(fk)
    data["name_from_email"] = np.array(from_email, dtype=bool)
    data["fp"] = _objects(fp)
    data["gc"] = _objects([canonical_given(v) if v is not None else None for v in gk])
    data["gi"] = _objects([(v[0] if v else np.nan) if v is not None else None for v in gk])
    data["email_local"] = _objects(email_local)
    data["dob_y"], data["dob_m"], data["dob_d"] = y, m, d
    data["street_num"] = _objects(street_num)
    data["street_name"] = _objects(street_name)
    data["city_key"] = _objects(_letters(cols["city"]))
    data["email_name_like"] = _email_name_like(email_local, gk, fk, from_email)
    data["email_shared"] = _conflicting_groups(cols["email_key"], gk)
    data["phone_shared"] = _conflicting_groups(cols["phone_key"], gk)
    return Prepared(index, data)
