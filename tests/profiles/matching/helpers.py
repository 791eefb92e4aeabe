"""Tiny hand-made frames in the engine's input contract."""

from __future__ import annotations

import jellyfish
import pandas as pd


def person(
    given: str | None = None,
    family: str | None = None,
    *,
    email: str | None = None,
    phone: str | None = None,
    dob: str | None = None,
    street: str | None = None,
    postcode: str | None = None,
    city: str | None = None,
    company: str | None = None,
    national_id: str | None = None,
    source: str = "crm",
) -> dict:
    """One record as standardisation would emit it (keys lower-case letters, phonetic = NYSIIS)."""
    gk = given.lower().replace(" ", "") if given else None
    fk = family.lower().replace(" ", "") if family else None
    return {
        "source": source,
        "given_name": given,
        "family_name": family,
        "given_key": gk,
        "family_key": fk,
        "given_phonetic": jellyfish.nysiis(gk) if gk else None,
        "family_phonetic": jellyfish.nysiis(fk) if fk else None,
        "email_key": email,
        "phone_key": phone,
        "date_of_birth": dob,
        "birth_year": float(dob[:4]) if dob else float("nan"),
        "postcode_key": postcode,
        "street_key": street,
        "city": city,
        "company_key": company,
        "national_id_key": national_id,
    }


def frame(*records: dict, start: int = 1) -> pd.DataFrame:
    df = pd.DataFrame.from_records(list(records))
    df.index = pd.Index(range(start, start + len(df)), dtype="int64", name="record_id")
    return df


HOUSEHOLD = dict(street="12 smith st", postcode="2000", city="Sydney", phone="+61291234567")
