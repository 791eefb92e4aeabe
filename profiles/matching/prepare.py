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

import jellyfish
import numpy as np
import pandas as pd

from profiles.matching.names import GIVEN_DIFFERENT, KNOWN_GIVEN, canonical_given, given_level, names_from_email

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


def _clean_str(series: pd.Series) -> pd.Series:
    """Object series with None for missing/blank values (the contract says "" means missing)."""
    out = series.astype(object).where(series.notna(), None)
    mask = out.map(lambda v: isinstance(v, str) and v.strip() != "")
    return out.where(mask, None).map(lambda v: v.strip() if isinstance(v, str) else v)


def _local_letters(email: str | None) -> str | None:
    if not email:
        return None
    return _LETTERS_RE.sub("", email.split("@", 1)[0]) or None


def _recover_names(frame: pd.DataFrame) -> tuple[list, list, list]:
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
    given = frame["given_key"].tolist()
    family = frame["family_key"].tolist()
    emails = frame["email_key"].tolist()
    from_email = [False] * len(given)
    for i, email in enumerate(emails):
        g, f = given[i], family[i]
        if g and f:
            if len(g) > 1 and g not in KNOWN_GIVEN and f in KNOWN_GIVEN and f not in KNOWN_FAMILY_LIKE:
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


def _email_name_like(frame: pd.DataFrame) -> np.ndarray:
    """True where the e-mail local part is just the person's name ("john.smith", "jsmith", "smithj").

    Two different people with the same name get the same such mailbox name at different providers, so
    "same local part, other domain" is only evidence when the local part says more than the name.
    """
    out = np.zeros(len(frame), dtype=bool)
    locals_ = frame["email_local"].tolist()
    for i, (local, g, f, rec) in enumerate(
        zip(locals_, frame["gk"].tolist(), frame["fk"].tolist(), frame["name_from_email"].tolist(), strict=True)
    ):
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


def _dob_parts(dob: pd.Series, birth_year: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    parts = dob.astype("string").str.extract(_ISO_DATE_RE)
    y = pd.to_numeric(parts[0], errors="coerce").fillna(0).to_numpy(np.int16)
    m = pd.to_numeric(parts[1], errors="coerce").fillna(0).to_numpy(np.int8)
    d = pd.to_numeric(parts[2], errors="coerce").fillna(0).to_numpy(np.int8)
    by = pd.to_numeric(birth_year, errors="coerce").fillna(0).to_numpy(np.int16)
    y_only = np.where(y > 0, y, by)
    return y_only, m, d


def _conflicting_groups(keys: pd.Series, given: pd.Series) -> pd.Series:
    """True for records whose key value is shared by records with clearly different given names."""
    frame = pd.DataFrame({"k": keys, "g": given}).dropna()
    frame = frame[frame["g"].str.len() > 1]
    if frame.empty:
        return pd.Series(False, index=keys.index)
    distinct = frame.drop_duplicates()
    multi = distinct[distinct.duplicated("k", keep=False)]
    shared: set = set()
    for key, names in multi.groupby("k")["g"]:
        values = names.tolist()
        if any(given_level(a, b) == GIVEN_DIFFERENT for i, a in enumerate(values) for b in values[i + 1 :]):
            shared.add(key)
    return keys.isin(shared) if shared else pd.Series(False, index=keys.index)


def prepare(records: pd.DataFrame) -> pd.DataFrame:
    """Return a new frame (same index) with the contract columns cleaned and matching columns derived.

    Derived columns: ``gk``/``fk`` effective given/family keys, ``fp`` family phonetic, ``gc`` nickname
    canonical given name, ``gi`` given initial, ``name_from_email``, ``dob_y``/``dob_m``/``dob_d`` (0 =
    unknown; ``dob_y`` may come from ``birth_year`` alone), ``street_num``/``street_name``, ``city_key``,
    ``email_local``, ``email_shared``/``phone_shared`` (identifier also used by someone with a clearly
    different given name: a household contact).
    """
    if not records.index.is_unique:
        raise ValueError("record ids (the index) must be unique")
    out = pd.DataFrame(index=records.index.astype("int64"))
    for col in _STR_COLUMNS:
        out[col] = _clean_str(records[col]) if col in records else pd.Series(None, index=out.index, dtype=object)
    out["birth_year"] = pd.to_numeric(records["birth_year"], errors="coerce") if "birth_year" in records else np.nan
    for col in ("given_key", "family_key"):
        out[col] = out[col].map(lambda v: _LETTERS_RE.sub("", v.lower()) or None if isinstance(v, str) else None)
    out["email_key"] = out["email_key"].map(lambda v: v.lower() if isinstance(v, str) else None)

    given, family, from_email = _recover_names(out)
    out["gk"] = pd.Series(given, index=out.index, dtype=object)
    out["fk"] = pd.Series(family, index=out.index, dtype=object)
    out["name_from_email"] = np.array(from_email, dtype=bool)
    fp = out["family_phonetic"].where(out["fk"].eq(out["family_key"]), None)
    missing_fp = fp.isna() & out["fk"].notna()
    fp[missing_fp] = out.loc[missing_fp, "fk"].map(phonetic)
    out["fp"] = fp
    out["gc"] = out["gk"].map(lambda v: canonical_given(v) if isinstance(v, str) else None)
    out["gi"] = out["gk"].str[0]
    out["email_local"] = out["email_key"].str.split("@", n=1).str[0]
    y, m, d = _dob_parts(out["date_of_birth"], out["birth_year"])
    out["dob_y"], out["dob_m"], out["dob_d"] = y, m, d
    street = out["street_key"].astype("string")
    out["street_num"] = street.str.extract(r"(\d+)\s+[a-z]", expand=False).astype(object)
    out["street_name"] = street.str.replace(r"^[\d\s]+", "", regex=True).astype(object)
    out.loc[out["street_name"].eq(""), "street_name"] = None
    out["street_num"] = out["street_num"].where(out["street_num"].notna(), None)
    out["street_name"] = out["street_name"].where(out["street_name"].notna(), None)
    out["city_key"] = out["city"].map(lambda v: _LETTERS_RE.sub("", v.lower()) or None if isinstance(v, str) else None)
    out["email_name_like"] = _email_name_like(out)
    out["email_shared"] = _conflicting_groups(out["email_key"], out["gk"]).to_numpy()
    out["phone_shared"] = _conflicting_groups(out["phone_key"], out["gk"]).to_numpy()
    return out
