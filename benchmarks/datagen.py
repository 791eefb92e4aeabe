"""Deterministic generator of realistic multi-source customer data for MDM benchmarks and tests.

Run ``python -m benchmarks.datagen --people N --seed S --out DIR`` or call :func:`generate`.
Only the standard library (+ PyYAML for the catalog) is used; word lists live in ``benchmarks.names``.
The same seed and N give byte-identical files on any machine with the same Python minor version (random
streams are seeded from strings via SHA-512, never from hash(); nothing reads the clock). Output in DIR:

* ``catalog.yaml`` - the source catalog (the product's contract, read by ``load_catalog``);
* ``crm.csv``, ``erp.csv``, ``billing.csv``, ``marketing.csv``, ``support.csv``, ``product.csv`` and
  ``ecommerce.jsonl`` - one file per source, each with its own column names and value formats;
* ``activities.csv`` - ``source,source_id,kind,occurred_at,amount,summary``, sorted by time;
* ``truth.csv`` - ``source,source_id,entity_id``: the true person behind every source record;
* ``summary.json`` - counts, hard-negative counts and the linkable ceiling (see below).

Why it is built this way: people are generated one household at a time and their records go straight to
per-source temporary buckets keyed by creation time; a final pass sorts each bucket (small) and assigns
source ids in creation order, so files look like real exports (ids grow with time, no person/household
adjacency that a blocker could exploit) while memory stays bounded (peak RSS ~120 MB at 1M people).

Rates (all driven by the seed)
------------------------------
Population
  * households: 7.4% of generated units are households of 2-4 people (~17% of people): couples 45%,
    couples with 1-2 adult children 38%, single parent 8%, adult siblings 9%. Members share family name,
    street address, postcode, a landline (70%) and sometimes a family e-mail (20%).
  * twins (~1% of people): siblings in a 2-child household are twins with p=0.30, adult siblings with
    p=0.35; same family name, DOB and address, different given names.
  * father/son Jr: a male child gets his father's given name with p=0.2 (CRM ``Suffix`` "Jr"/"Sr").
  * common-name collisions: 1% of single people copy the given+family name of a recent unrelated person,
    half of them in the same suburb; plus natural Zipf collisions (Smith ~2%, James ~3% of men).
  * married-name change: half of the women in couples have a maiden name; for 35% of those the marriage
    falls inside the data window so older records carry the maiden name (and the old address). 4% of
    single women likewise.
  * moves 12% (records older than the move keep the old address), e-mail changed 12% (older records keep
    the old e-mail), employed 40% (work e-mail for 75% of them; used by CRM/ERP/support/product).
Records
  * sources per person: 1:40% 2:26% 3:16% 4:9% 5:5% 6:3% 7:1%, weighted towards marketing > crm =
    ecommerce > billing > product > support > erp; within-source duplicates per source 2-8% (``dup``).
  * per-source noise (see ``PROFILES``): nickname 1-20%, initial only 0-5%, typo 1-4% (transposition,
    dropped/doubled letter, keyboard slip, OCR rn/m cl/d), accents dropped 10-100%, case mess 0-15%,
    whitespace mess 2-5%, e-mail case 5-30%, gmail dot/+tag variant 0-20%, e-mail typo 0.3-1%, phone
    missing 10-100% (format differs per source, 1% digit typo), DOB present 0-85% with 1-3% day/month swap
    and 1-1.5% typo, address missing 2-100% with unit dropped 10-30% and 1% postcode/number typo.
  * marketing names: full 45%, first name only 33%, e-mail only 12%, recovered from the e-mail local
    part 10%. Support names: full 73% (case mess 15%), first name only 12%, "John S." 5%, e-mail local part 10%.
Activities: per record Poisson counts by source (orders from ecommerce, invoices with 90% paid from billing
  and ERP, tickets/chats/calls from support, usage from product, e-mails from marketing/CRM), ~2.6 per
  record; counts grow with the record's age up to 18 months (``ACTIVITY_RAMP``), times uniform after creation.

Linkable ceiling: for each person with >= 2 records, are all their records connected through at least
one shared identifying value - e-mail key (lower-case, gmail dots/+tag folded), phone number, national id,
normalised given+family name + DOB, or normalised given+family name + street address? Computed on the
values each record really carries (after nickname/typo/swap/move noise, before cosmetic formatting).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import resource
import shutil
import sys
import time
import unicodedata
import zlib
from bisect import bisect
from collections.abc import Callable, Iterator
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from benchmarks import names as wl

START = 1325376000  # 2012-01-01T00:00:00Z: earliest record creation
NOW = 1751327999  # 2025-06-30T23:59:59Z: fixed "today" so output never depends on the clock
DAY = 86400
NOW_ORD = date(2025, 6, 30).toordinal()

CANONICAL_ATTRIBUTES = (
    "given_name",
    "family_name",
    "full_name",
    "email",
    "phone",
    "date_of_birth",
    "street",
    "city",
    "postcode",
    "state",
    "country",
    "company",
    "national_id",
)
SOURCES = ("crm", "erp", "billing", "marketing", "support", "ecommerce", "product")
SOURCE_FILES = {s: f"{s}.jsonl" if s == "ecommerce" else f"{s}.csv" for s in SOURCES}
SOURCES_PER_PERSON = (0.40, 0.26, 0.16, 0.09, 0.05, 0.03, 0.01)  # P(1 source) .. P(7 sources)

HOUSEHOLD_UNIT_RATE = 0.074
HOUSEHOLD_KINDS = (("couple", 0.45), ("couple_kids", 0.38), ("single_parent", 0.08), ("siblings", 0.09))
TWINS_IN_TWO_KIDS = 0.30
TWINS_IN_SIBLINGS = 0.35
JUNIOR_RATE = 0.20
LANDLINE_HOUSEHOLD, LANDLINE_SINGLE = 0.70, 0.25
FAMILY_EMAIL_RATE = 0.20
NAME_COLLISION_RATE = 0.01
MAIDEN_IN_COUPLE, MAIDEN_SINGLE, MARRIED_IN_WINDOW = 0.50, 0.04, 0.35
MOVE_RATE, EMAIL_CHANGE_RATE, EMPLOYED_RATE, WORK_EMAIL_RATE = 0.12, 0.12, 0.40, 0.75
MIDDLE_NAME_RATE = 0.60

# Per-source behaviour. weight: how likely a person is to be in the source; dup: within-source duplicate
# rate; the rest are probabilities of the named noise or of a field being present/missing.
_P = dict[str, float]
PROFILES: dict[str, _P] = {
    "crm": dict(
        weight=1.0,
        dup=0.04,
        nickname=0.06,
        initial=0.02,
        typo=0.02,
        accent_drop=0.4,
        case=0.04,
        ws=0.03,
        email_missing=0.05,
        work_email=0.5,
        family_email=0.05,
        email_case=0.08,
        gmail_variant=0.02,
        email_typo=0.005,
        phone_missing=0.10,
        landline=0.25,
        phone_typo=0.01,
        dob=0.55,
        dob_swap=0.02,
        dob_typo=0.01,
        addr_missing=0.15,
        unit_drop=0.2,
        addr_typo=0.01,
        company=0.9,
    ),
    "erp": dict(
        weight=0.6,
        dup=0.02,
        nickname=0.01,
        initial=0.05,
        typo=0.015,
        accent_drop=1.0,
        case=0.0,
        ws=0.02,
        email_missing=0.3,
        work_email=0.7,
        family_email=0.02,
        email_case=0.3,
        gmail_variant=0.0,
        email_typo=0.01,
        phone_missing=0.2,
        landline=0.5,
        phone_typo=0.01,
        dob=0.85,
        dob_swap=0.03,
        dob_typo=0.015,
        addr_missing=0.02,
        unit_drop=0.1,
        addr_typo=0.01,
        company=0.95,
        national_id=0.7,
    ),
    "billing": dict(
        weight=0.9,
        dup=0.02,
        nickname=0.03,
        initial=0.03,
        typo=0.01,
        accent_drop=0.5,
        case=0.05,
        ws=0.02,
        email_missing=0.0,
        work_email=0.2,
        family_email=0.15,
        email_case=0.05,
        gmail_variant=0.05,
        email_typo=0.003,
        phone_missing=0.4,
        landline=0.1,
        phone_typo=0.005,
        dob=0.0,
        dob_swap=0.0,
        dob_typo=0.0,
        addr_missing=0.1,
        unit_drop=0.3,
        addr_typo=0.005,
        company=0.3,
    ),
    "marketing": dict(
        weight=1.4,
        dup=0.07,
        nickname=0.10,
        initial=0.0,
        typo=0.03,
        accent_drop=0.2,
        case=0.12,
        ws=0.05,
        email_missing=0.0,
        work_email=0.1,
        family_email=0.2,
        email_case=0.15,
        gmail_variant=0.20,
        email_typo=0.01,
        phone_missing=0.9,
        landline=0.05,
        phone_typo=0.01,
        dob=0.0,
        dob_swap=0.0,
        dob_typo=0.0,
        addr_missing=1.0,
        unit_drop=0.0,
        addr_typo=0.0,
        company=0.0,
    ),
    "support": dict(
        weight=0.7,
        dup=0.08,
        nickname=0.20,
        initial=0.02,
        typo=0.04,
        accent_drop=0.3,
        case=0.15,
        ws=0.05,
        email_missing=0.02,
        work_email=0.35,
        family_email=0.1,
        email_case=0.1,
        gmail_variant=0.05,
        email_typo=0.01,
        phone_missing=0.5,
        landline=0.2,
        phone_typo=0.01,
        dob=0.0,
        dob_swap=0.0,
        dob_typo=0.0,
        addr_missing=1.0,
        unit_drop=0.0,
        addr_typo=0.0,
        company=0.5,
    ),
    "ecommerce": dict(
        weight=1.0,
        dup=0.05,
        nickname=0.10,
        initial=0.01,
        typo=0.02,
        accent_drop=0.1,
        case=0.08,
        ws=0.04,
        email_missing=0.0,
        work_email=0.05,
        family_email=0.15,
        email_case=0.08,
        gmail_variant=0.10,
        email_typo=0.005,
        phone_missing=0.4,
        landline=0.05,
        phone_typo=0.01,
        dob=0.3,
        dob_swap=0.01,
        dob_typo=0.01,
        addr_missing=0.05,
        unit_drop=0.25,
        addr_typo=0.01,
        company=0.15,
    ),
    "product": dict(
        weight=0.8,
        dup=0.03,
        nickname=0.12,
        initial=0.02,
        typo=0.03,
        accent_drop=0.1,
        case=0.1,
        ws=0.03,
        email_missing=0.05,
        work_email=0.4,
        family_email=0.02,
        email_case=0.1,
        gmail_variant=0.08,
        email_typo=0.01,
        phone_missing=1.0,
        landline=0.0,
        phone_typo=0.0,
        dob=0.0,
        dob_swap=0.0,
        dob_typo=0.0,
        addr_missing=1.0,
        unit_drop=0.0,
        addr_typo=0.0,
        company=0.0,
    ),
}

# Mean activities per record (of a record at least ACTIVITY_RAMP old), by source and kind.
ACTIVITY_RAMP = 540 * DAY
ACTIVITY_MEANS: dict[str, tuple[tuple[str, float], ...]] = {
    "crm": (("call", 0.6), ("email", 0.8)),
    "erp": (("invoice", 1.6),),
    "billing": (("invoice", 2.4),),
    "marketing": (("email", 2.5), ("web_visit", 0.8)),
    "support": (("ticket", 1.4), ("chat", 0.7), ("call", 0.3)),
    "ecommerce": (("web_visit", 0.6),),
    "product": (("usage", 3.0), ("web_visit", 0.4)),
}

HEADERS: dict[str, tuple[str, ...]] = {
    "crm": (
        "Id",
        "Salutation",
        "FirstName",
        "LastName",
        "Suffix",
        "Email",
        "Phone",
        "Birthdate",
        "MailingStreet",
        "MailingCity",
        "MailingState",
        "MailingPostalCode",
        "MailingCountry",
        "AccountName",
        "LeadSource",
        "CreatedDate",
        "LastModified",
    ),
    "erp": (
        "KUNNR",
        "NAME1",
        "NAME2",
        "STRAS",
        "ORT01",
        "PSTLZ",
        "REGIO",
        "LAND1",
        "TELF1",
        "SMTP_ADDR",
        "GBDAT",
        "STCD1",
        "KTOKD",
        "ERDAT",
        "AEDAT",
    ),
    "billing": (
        "id",
        "name",
        "email",
        "phone",
        "address_line1",
        "address_line2",
        "address_city",
        "address_state",
        "address_postal_code",
        "address_country",
        "currency",
        "plan",
        "delinquent",
        "created",
        "updated",
    ),
    "marketing": (
        "LEID",
        "Email Address",
        "First Name",
        "Last Name",
        "Phone Number",
        "CC",
        "MEMBER_RATING",
        "OPTIN_TIME",
        "TAGS",
        "LAST_CHANGED",
    ),
    "support": (
        "id",
        "name",
        "email",
        "phone",
        "organization",
        "role",
        "locale",
        "time_zone",
        "tags",
        "created_at",
        "updated_at",
    ),
    "ecommerce": (
        "id",
        "first_name",
        "last_name",
        "email",
        "phone",
        "birthday",
        "accepts_marketing",
        "orders_count",
        "tags",
        "default_address_address1",
        "default_address_address2",
        "default_address_city",
        "default_address_province",
        "default_address_province_code",
        "default_address_zip",
        "default_address_country",
        "default_address_country_code",
        "default_address_company",
        "created_at",
        "updated_at",
    ),
    "product": (
        "user_id",
        "display_name",
        "email",
        "signup_country",
        "plan",
        "app_version",
        "marketing_opt_in",
        "created_at",
        "last_seen_at",
    ),
}


def _catalog() -> dict[str, Any]:
    """The source catalog written as catalog.yaml; kept next to HEADERS so mappings can't drift."""

    def integ(
        pattern: str,
        direction: str,
        cadence: str,
        owner: str | None,
        steward: str,
        classes: list[str],
        lifecycle: str = "production",
    ) -> dict[str, Any]:
        out: dict[str, Any] = {"pattern": pattern, "direction": direction, "cadence": cadence}
        if owner:
            out["owner"] = owner
        out.update(steward=steward, domains=["customer"], classification=classes, lifecycle=lifecycle)
        return out

    sources = [
        {
            "code": "crm",
            "name": "Sales CRM",
            "kind": "crm",
            "trust": 0.9,
            "default_country": "AU",
            "id_field": "Id",
            "updated_at_field": "LastModified",
            "mapping": {
                "given_name": "FirstName",
                "family_name": "LastName",
                "email": "Email",
                "phone": "Phone",
                "date_of_birth": {"field": "Birthdate", "format": "%m/%d/%Y"},
                "street": "MailingStreet",
                "city": "MailingCity",
                "postcode": "MailingPostalCode",
                "state": "MailingState",
                "country": "MailingCountry",
                "company": "AccountName",
            },
            "integration": integ("event-driven", "inbound", "PT5M", "sales-ops", "crm-steward@example.com", ["pii"]),
        },
        {
            "code": "erp",
            "name": "SAP ERP customer master",
            "kind": "erp",
            "trust": 0.8,
            "default_country": "AU",
            "id_field": "KUNNR",
            "updated_at_field": "AEDAT",
            "mapping": {
                "full_name": "NAME1",
                "company": "NAME2",
                "street": "STRAS",
                "city": "ORT01",
                "postcode": "PSTLZ",
                "state": "REGIO",
                "country": "LAND1",
                "phone": "TELF1",
                "email": "SMTP_ADDR",
                "date_of_birth": {"field": "GBDAT", "format": "%d.%m.%Y"},
                "national_id": "STCD1",
            },
            "integration": integ(
                "batch", "inbound", "P1D", "finance-systems", "erp-steward@example.com", ["pii", "financial"]
            ),
        },
        {
            "code": "billing",
            "name": "Stripe billing",
            "kind": "billing",
            "trust": 0.85,
            "default_country": "AU",
            "id_field": "id",
            "updated_at_field": "updated",
            "mapping": {
                "full_name": "name",
                "email": "email",
                "phone": "phone",
                "street": "address_line1",
                "city": "address_city",
                "postcode": "address_postal_code",
                "state": "address_state",
                "country": "address_country",
            },
            "integration": integ(
                "api-led",
                "bidirectional",
                "PT1H",
                "billing-platform",
                "billing-steward@example.com",
                ["pii", "financial"],
            ),
        },
        {
            "code": "marketing",
            "name": "Marketing automation (Mailchimp)",
            "kind": "marketing",
            "trust": 0.5,
            "id_field": "LEID",
            "updated_at_field": "LAST_CHANGED",
            "mapping": {
                "email": "Email Address",
                "given_name": "First Name",
                "family_name": "Last Name",
                "phone": "Phone Number",
                "country": "CC",
            },
            "integration": integ("batch", "inbound", "P1D", "growth-marketing", "marketing-ops@example.com", ["pii"]),
        },
        {
            "code": "support",
            "name": "Zendesk support",
            "kind": "support",
            "trust": 0.6,
            "default_country": "AU",
            "id_field": "id",
            "updated_at_field": "updated_at",
            "mapping": {"full_name": "name", "email": "email", "phone": "phone", "company": "organization"},
            "integration": integ(
                "event-driven", "inbound", "PT15M", "customer-support", "support-lead@example.com", ["pii"]
            ),
        },
        {
            "code": "ecommerce",
            "name": "Shopify store",
            "kind": "ecommerce",
            "trust": 0.7,
            "default_country": "AU",
            "id_field": "id",
            "updated_at_field": "updated_at",
            "mapping": {
                "given_name": "first_name",
                "family_name": "last_name",
                "email": "email",
                "phone": "phone",
                "date_of_birth": {"field": "birthday", "format": "%Y-%m-%d"},
                "street": "default_address_address1",
                "city": "default_address_city",
                "postcode": "default_address_zip",
                "state": "default_address_province",
                "country": "default_address_country_code",
                "company": "default_address_company",
            },
            "integration": integ("api-led", "inbound", "PT1H", "digital-commerce", "ecom-ops@example.com", ["pii"]),
        },
        {
            "code": "product",
            "name": "Product telemetry accounts",
            "kind": "product",
            "trust": 0.4,
            "id_field": "user_id",
            "updated_at_field": "last_seen_at",
            "mapping": {"full_name": "display_name", "email": "email", "country": "signup_country"},
            # no owner and still proposed: gives governance checks something real to flag
            "integration": integ(
                "event-driven",
                "inbound",
                "PT5M",
                None,
                "product-analytics@example.com",
                ["pii", "behavioural"],
                lifecycle="proposed",
            ),
        },
    ]
    return {"default_country": "AU", "sources": sources}


# ----------------------------------------------------------------------------------------------- tables
def _words(text: str) -> list[str]:
    out: list[str] = []
    for w in text.split():
        w = w.replace("_", " ")
        if w not in out:
            out.append(w)
    return out


def _zipf_cum(n: int, offset: float, s: float = 1.0) -> list[float]:
    cum, total = [], 0.0
    for r in range(n):
        total += 1.0 / (r + offset) ** s
        cum.append(total)
    return cum


def _cum(weights: list[float] | tuple[float, ...]) -> list[float]:
    out, total = [], 0.0
    for w in weights:
        total += w
        out.append(total)
    return out


MALE = _words(wl.MALE_GIVEN)
FEMALE = _words(wl.FEMALE_GIVEN)
MALE_CUM = _zipf_cum(len(MALE), 10)
FEMALE_CUM = _zipf_cum(len(FEMALE), 10)
_common_family = _words(wl.FAMILY)
_tail_family = [
    h + t for h in _words(wl.SURNAME_HEADS) for t in _words(wl.SURNAME_TAILS) if h + t not in _common_family
]
FAMILY = _common_family + _tail_family
_fc = _zipf_cum(len(_common_family), 10)
_tail_mass = _fc[-1] * 0.10 / 0.90  # the synthetic tail carries 10% of people
FAMILY_CUM = _fc + [_fc[-1] + _tail_mass * (i + 1) / len(_tail_family) for i in range(len(_tail_family))]
STREETS = _words(wl.STREET_NAMES)
STREET_CUM = _zipf_cum(len(STREETS), 20, 0.7)
STREET_TYPE_CUM = _cum(wl.STREET_TYPE_WEIGHTS)
SUBURBS: list[tuple[str, str, str]] = []
_sub_w: list[float] = []
for _m in re.finditer(r"([A-Za-z' ]+)\|([A-Z]+)\|(\d{4})\|(\d+)", wl.SUBURBS):
    SUBURBS.append((_m.group(1).strip(), _m.group(2), _m.group(3)))
    _sub_w.append(float(_m.group(4)))
SUBURB_CUM = _cum(_sub_w)
DOMAIN_NAMES = [d for d, _ in wl.EMAIL_DOMAINS]
DOMAIN_CUM = _cum([w for _, w in wl.EMAIL_DOMAINS])
TIME_ZONES = {
    "NSW": "Sydney",
    "ACT": "Canberra",
    "VIC": "Melbourne",
    "TAS": "Hobart",
    "QLD": "Brisbane",
    "SA": "Adelaide",
    "WA": "Perth",
    "NT": "Darwin",
}
KIND_CUM = _cum([w for _, w in HOUSEHOLD_KINDS])
SOURCES_K_CUM = _cum(SOURCES_PER_PERSON)

_SPECIAL_FOLD = {"ø": "o", "Ø": "O", "ß": "ss", "ł": "l", "Ł": "L", "æ": "ae", "Æ": "AE", "œ": "oe", "đ": "d", "’": "'"}


def _fold_table() -> dict[int, str]:
    chars = set(wl.MALE_GIVEN + wl.FEMALE_GIVEN + wl.FAMILY)
    table: dict[int, str] = {}
    for ch in sorted(chars):
        if ord(ch) < 128:
            continue
        base = _SPECIAL_FOLD.get(ch) or "".join(
            c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c)
        )
        table[ord(ch)] = base
    for ch, base in _SPECIAL_FOLD.items():
        table[ord(ch)] = base
    return table


_FOLD = _fold_table()
_NON_ALPHA = re.compile(r"[^a-z]")


def fold(s: str) -> str:
    """Drop accents the way an ASCII-only system would ("José" -> "Jose", "Müller" -> "Muller")."""
    return s.translate(_FOLD)


@lru_cache(maxsize=1 << 16)
def norm_name(s: str) -> str:
    """Name key used for the linkable ceiling: accents, case, spaces and punctuation removed."""
    return _NON_ALPHA.sub("", fold(s).lower())


def email_key(email: str) -> str:
    """Lower-case address with gmail dots and +tags folded (googlemail == gmail)."""
    local, _, domain = email.strip().lower().partition("@")
    if domain in ("gmail.com", "googlemail.com"):
        local = local.split("+", 1)[0].replace(".", "")
        domain = "gmail.com"
    return f"{local}@{domain}"


def _slug(s: str) -> str:
    return norm_name(s)


_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _base62(n: int, width: int) -> str:
    out = []
    for _ in range(width):
        n, r = divmod(n, 62)
        out.append(_B62[r])
    return "".join(reversed(out))


def _sf18(id15: str) -> str:
    """Salesforce's 18-character id: 3 check characters encode the case of the 15-char id."""
    alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
    out = id15
    for i in range(3):
        bits = 0
        for j, c in enumerate(id15[i * 5 : i * 5 + 5]):
            if "A" <= c <= "Z":
                bits |= 1 << j
        out += alpha[bits]
    return out


def _tfn(rng: random.Random) -> str:
    """Nine-digit Australian tax file number with a valid check (weights 1,4,3,7,5,8,6,9,10 mod 11)."""
    weights = (1, 4, 3, 7, 5, 8, 6, 9, 10)
    while True:
        digits = [int(c) for c in f"{int(rng.random() * 10**8):08d}"]
        partial = sum(d * w for d, w in zip(digits, weights, strict=False))
        for last in range(10):
            if (partial + last * 10) % 11 == 0:
                return "".join(map(str, digits)) + str(last)


_DAYS: dict[int, str] = {}


def _iso(e: int) -> str:
    """UTC ISO 8601 timestamp; caches the date part because strftime dominated the activity pass."""
    d, sec = divmod(e, DAY)
    day = _DAYS.get(d)
    if day is None:
        day = _DAYS[d] = time.strftime("%Y-%m-%d", time.gmtime(d * DAY))
    h, sec = divmod(sec, 3600)
    m, sec = divmod(sec, 60)
    return f"{day}T{h:02d}:{m:02d}:{sec:02d}Z"


def _csv(values: list[str] | tuple[str, ...]) -> str:
    """One RFC 4180 line; faster than csv.writer for our many small rows."""
    out = []
    for v in values:
        if '"' in v or "," in v or "\n" in v:
            v = '"' + v.replace('"', '""') + '"'
        out.append(v)
    return ",".join(out)


class _BitSet:
    """Fixed-size hashed bit set: keeps e-mails/phones unique across people in bounded memory.

    A false positive only means a person gets an extra digit in their e-mail or a redrawn number.
    """

    def __init__(self, bits: int) -> None:
        size = 1 << max(20, (bits - 1).bit_length())
        self.mask = size - 1
        self.buf = bytearray(size >> 3)

    def add(self, key: str) -> bool:
        i = zlib.crc32(key.encode()) & self.mask
        byte, bit = i >> 3, 1 << (i & 7)
        if self.buf[byte] & bit:
            return False
        self.buf[byte] |= bit
        return True


class _Buckets:
    """Spill lines into time buckets on disk, then yield each bucket sorted: an external sort by time."""

    def __init__(self, tmp: Path, prefix: str, width: int, limit: int = 400) -> None:
        self.tmp, self.prefix, self.width, self.limit = tmp, prefix, width, limit
        self.buf: dict[int, list[str]] = {}
        self.touched: set[int] = set()

    def add(self, epoch: int, line: str) -> None:
        b = max(0, (epoch - START) // self.width)
        lst = self.buf.get(b)
        if lst is None:
            lst = self.buf[b] = []
        lst.append(line)
        if len(lst) >= self.limit:
            self._flush(b)

    def _path(self, b: int) -> Path:
        return self.tmp / f"{self.prefix}-{b:05d}.tmp"

    def _flush(self, b: int) -> None:
        lst = self.buf[b]
        with self._path(b).open("a", encoding="utf-8", newline="") as fh:
            fh.writelines(lst)
        lst.clear()
        self.touched.add(b)

    def drain(self) -> Iterator[str]:
        for b, lst in self.buf.items():
            if lst:
                self._flush(b)
        self.buf.clear()
        for b in sorted(self.touched):
            path = self._path(b)
            with path.open(encoding="utf-8", newline="") as fh:
                lines = fh.readlines()
            path.unlink()
            lines.sort()
            yield from lines


# ----------------------------------------------------------------------------------------------- model
class Person:
    """One true customer. Only lives while its records are generated."""

    __slots__ = (
        "pid",
        "gender",
        "given",
        "middle",
        "family",
        "maiden",
        "married_at",
        "suffix",
        "is_sr",
        "dob",
        "mobile",
        "landline",
        "email",
        "old_email",
        "email_changed_at",
        "work_email",
        "family_email",
        "company",
        "addr",
        "old_addr",
        "moved_at",
        "tfn",
        "first_seen",
    )

    def __init__(self) -> None:
        self.pid = 0
        self.gender = "F"
        self.given = self.middle = self.family = self.maiden = self.suffix = ""
        self.married_at = self.email_changed_at = self.moved_at = self.first_seen = 0
        self.is_sr = False
        self.dob: tuple[int, int, int] = (1980, 1, 1)
        self.mobile = self.landline = self.email = self.old_email = self.work_email = self.family_email = ""
        self.company = -1
        self.addr: tuple = ()
        self.old_addr: tuple = ()
        self.tfn = ""


class Rec:
    """Semantic values of one source record (after identity noise, before cosmetic formatting)."""

    __slots__ = (
        "given",
        "middle",
        "family",
        "email",
        "phone",
        "dob",
        "addr",
        "company",
        "tfn",
        "created",
        "updated",
        "hint",
    )

    def __init__(self) -> None:
        self.given = self.middle = self.family = self.email = self.phone = self.tfn = ""
        self.dob: tuple[int, int, int] | None = None
        self.addr: tuple = ()
        self.company = -1
        self.created = self.updated = self.hint = 0


_KEYBOARD = {
    "a": "qwsz",
    "b": "vghn",
    "c": "xdfv",
    "d": "serfcx",
    "e": "wsdr",
    "f": "drtgvc",
    "g": "ftyhbv",
    "h": "gyujnb",
    "i": "ujko",
    "j": "huikmn",
    "k": "jiolm",
    "l": "kop",
    "m": "njk",
    "n": "bhjm",
    "o": "iklp",
    "p": "ol",
    "q": "wa",
    "r": "edft",
    "s": "awedxz",
    "t": "rfgy",
    "u": "yhji",
    "v": "cfgb",
    "w": "qase",
    "x": "zsdc",
    "y": "tghu",
    "z": "asx",
}
_OCR = (("m", "rn"), ("rn", "m"), ("cl", "d"), ("d", "cl"), ("w", "vv"), ("l", "1"), ("o", "0"), ("e", "c"))


def typo(s: str, rng: random.Random) -> str:
    """One realistic slip: transposition, dropped/doubled letter, keyboard neighbour or OCR confusion."""
    n = len(s)
    if n < 3:
        return s
    op = rng.random()
    i = 1 + int(rng.random() * (n - 2))
    if op < 0.3:
        if s[i].isalpha() and s[i + 1].isalpha() and s[i] != s[i + 1]:
            return s[:i] + s[i + 1] + s[i] + s[i + 2 :]
        return s[:i] + s[i + 1 :]
    if op < 0.55:
        return s[:i] + s[i + 1 :]
    if op < 0.7:
        return s[:i] + s[i] + s[i:]
    if op < 0.9:
        near = _KEYBOARD.get(s[i].lower())
        if near:
            return s[:i] + near[int(rng.random() * len(near))] + s[i + 1 :]
        return s[:i] + s[i + 1 :]
    for a, b in _OCR[int(rng.random() * len(_OCR)) :] + _OCR:
        j = s.find(a, 1)
        if j > 0:
            return s[:j] + b + s[j + len(a) :]
    return s[:i] + s[i + 1 :]


def _phone_local(nsn: str) -> str:
    if nsn[0] == "4":
        return f"0{nsn[:3]} {nsn[3:6]} {nsn[6:]}"
    return f"(0{nsn[0]}) {nsn[1:5]} {nsn[5:]}"


def _phone_intl(nsn: str) -> str:
    if nsn[0] == "4":
        return f"+61 {nsn[:3]} {nsn[3:6]} {nsn[6:]}"
    return f"+61 {nsn[0]} {nsn[1:5]} {nsn[5:]}"


def _phone_support(nsn: str, x: float) -> str:
    if x < 0.25:
        return f"+61 (0){nsn[:3]} {nsn[3:6]} {nsn[6:]}" if nsn[0] == "4" else f"+61 (0){nsn[0]} {nsn[1:]}"
    if x < 0.5:
        return f"0{nsn[:3]}-{nsn[3:6]}-{nsn[6:]}" if nsn[0] == "4" else f"0{nsn[0]}-{nsn[1:5]}-{nsn[5:]}"
    if x < 0.65:
        return f"0{nsn[:1]} {nsn[1:5]} {nsn[5:]}"
    if x < 0.8:
        return "0" + nsn
    return _phone_local(nsn)


# ----------------------------------------------------------------------------------------------- generator
class Generator:
    """Holds the random streams, uniqueness filters and counters for one run."""

    def __init__(self, people: int, seed: int, tmp: Path) -> None:
        self.people = people
        self.seed = seed
        self.rng = random.Random(f"{seed}:people")
        self.emails = _BitSet(people * 100)
        self.phones = _BitSet(people * 100)
        self.per_source = {s: _Buckets(tmp, s, 91 * DAY) for s in SOURCES}
        self.seq = 0
        self.recent: list[tuple[str, str, str, int]] = []  # ring buffer for common-name collisions
        self.stats: dict[str, int] = dict.fromkeys(
            (
                "households",
                "people_in_households",
                "twins",
                "juniors",
                "name_collisions",
                "married_name_changes",
                "movers",
                "email_changes",
                "within_source_duplicates",
                "multi_record_people",
                "linkable_people",
                "single_record_people",
                "records",
            ),
            0,
        )
        self.sources_hist = [0] * 8
        self._build_companies()

    # ---- companies
    def _build_companies(self) -> None:
        rng = random.Random(f"{self.seed}:companies")
        words, inds = _words(wl.COMPANY_WORDS), _words(wl.COMPANY_INDUSTRIES)
        seen: dict[str, None] = {}
        names: list[str] = []
        while len(names) < 3000:
            x = rng.random()
            fam = FAMILY[int(rng.random() * len(_common_family))]
            if x < 0.45:
                base = f"{rng.choice(words)} {rng.choice(inds)}"
            elif x < 0.65:
                base = f"{fam} {rng.choice(inds)}"
            elif x < 0.75:
                base = f"{fam} & {FAMILY[int(rng.random() * len(_common_family))]}"
            elif x < 0.82:
                base = f"{fam} & Sons"
            elif x < 0.9:
                base = "".join(rng.choice("ABCDEFGHJKLMNPRSTW") for _ in range(3)) + f" {rng.choice(inds)}"
            else:
                base = f"{rng.choice(words)} {rng.choice(words)}"
            if base in seen:
                continue
            seen[base] = None
            y = rng.random()
            suffix = " Pty Ltd" if y < 0.55 else " Ltd" if y < 0.6 else " Group" if y < 0.65 else ""
            names.append(base + suffix)
        self.companies = names
        self.company_domains = [
            _slug(n.replace(" Pty Ltd", "").replace(" Ltd", "").replace(" Group", ""))[:24] + ".com.au" for n in names
        ]
        self.company_cum = _zipf_cum(len(names), 3)

    # ---- primitive draws
    def _given(self, gender: str) -> str:
        r = self.rng.random
        if gender == "M":
            return MALE[bisect(MALE_CUM, r() * MALE_CUM[-1])]
        return FEMALE[bisect(FEMALE_CUM, r() * FEMALE_CUM[-1])]

    def _family(self) -> str:
        return FAMILY[bisect(FAMILY_CUM, self.rng.random() * FAMILY_CUM[-1])]

    def _address(self, suburb: int = -1) -> tuple:
        rng = self.rng
        r = rng.random
        if suburb < 0:
            suburb = bisect(SUBURB_CUM, r() * SUBURB_CUM[-1])
        unit = 1 + int(rng.random() * 39) if r() < 0.18 else 0
        number = min(400, int(rng.expovariate(1 / 40)) + 1)
        street = bisect(STREET_CUM, r() * STREET_CUM[-1])
        stype = bisect(STREET_TYPE_CUM, r() * STREET_TYPE_CUM[-1])
        return (unit, number, street, stype, suburb, SUBURBS[suburb][2])

    def _dob(self, age: float) -> tuple[int, int, int]:
        d = date.fromordinal(NOW_ORD - int(age * 365.25) - int(self.rng.random() * 365))
        return (d.year, d.month, d.day)

    def _mobile(self) -> str:
        while True:
            nsn = f"4{int(self.rng.random() * 10**8):08d}"
            if self.phones.add(nsn):
                return nsn

    def _landline(self, state: str) -> str:
        _, area, leads = wl.STATES[state]
        while True:
            nsn = f"{area}{leads[int(self.rng.random() * len(leads))]}{int(self.rng.random() * 10**7):07d}"
            if self.phones.add(nsn):
                return nsn

    def _unique_email(self, local: str, domain: str) -> str:
        rng = self.rng
        cand = f"{local}@{domain}"
        for _ in range(8):
            if self.emails.add(email_key(cand)):
                return cand
            cand = f"{local}{1 + int(rng.random() * 999)}@{domain}"
        while True:  # practically unreachable; keeps uniqueness guaranteed
            cand = f"{local}{int(rng.random() * 10**6)}@{domain}"
            if self.emails.add(email_key(cand)):
                return cand

    def _personal_email(self, given: str, family: str, year: int, domain: str = "") -> str:
        rng = self.rng
        g, f = _slug(given) or "user", _slug(family) or "mail"
        if not domain:
            domain = DOMAIN_NAMES[bisect(DOMAIN_CUM, rng.random() * DOMAIN_CUM[-1])]
        x = rng.random()
        yy = f"{year % 100:02d}"
        if x < 0.30:
            local = f"{g}.{f}"
        elif x < 0.42:
            local = g + f
        elif x < 0.54:
            local = g[0] + f
        elif x < 0.62:
            local = f"{g}.{f}{yy}"
        elif x < 0.67:
            local = f"{g}_{f}"
        elif x < 0.77:
            local = f"{g}{f}{1 + int(rng.random() * 99)}"
        elif x < 0.82:
            local = g + yy
        elif x < 0.86:
            local = f"{f}.{g}"
        elif x < 0.92:
            local = f"{g[0]}.{f}"
        elif x < 0.96:
            nick = wl.NICKNAMES.get(given)
            local = (_slug(nick[0]) if nick else g) + f
        else:
            local = f"{g}.{f}{year}"
        return self._unique_email(local, domain)

    def _work_email(self, given: str, family: str, company: int) -> str:
        g, f = _slug(given) or "staff", _slug(family) or "team"
        x = self.rng.random()
        local = f"{g}.{f}" if x < 0.7 else g[0] + f if x < 0.9 else g
        return self._unique_email(local, self.company_domains[company])

    def _after(self, start: int, mean: float) -> int:
        """A time after `start`: exponential, truncated at NOW so records don't pile up at the end."""
        span = NOW - 600 - start
        if span <= 0:
            return min(start, NOW - 600)
        u = self.rng.random()
        return start + int(-mean * math.log(1 - u * (1 - math.exp(-span / mean))))

    def _time_in_window(self) -> int:
        return START + 180 * DAY + int(self.rng.random() * (NOW - START - 240 * DAY))

    # ---- people
    def _new_person(self, gender: str, age: float, family: str, addr: tuple, landline: str) -> Person:
        rng = self.rng
        r = rng.random
        p = Person()
        p.gender = gender
        p.given = self._given(gender)
        if r() < MIDDLE_NAME_RATE:
            p.middle = self._given(gender)
        p.family = family
        p.dob = self._dob(age)
        p.addr = addr
        p.landline = landline
        p.mobile = self._mobile() if r() < 0.97 else ""
        p.first_seen = START + int((NOW - START - 30 * DAY) * r() ** 0.7)
        if age > 25 and r() < EMPLOYED_RATE:
            p.company = bisect(self.company_cum, r() * self.company_cum[-1])
        p.tfn = _tfn(rng)
        return p

    def _finish_person(self, p: Person) -> None:
        """E-mails and life events; called once names are final (juniors, maiden names)."""
        rng = self.rng
        r = rng.random
        email_family = p.maiden if p.maiden and r() < 0.5 else p.family
        p.email = self._personal_email(p.given, email_family, p.dob[0])
        if r() < EMAIL_CHANGE_RATE:
            dom = wl.OLD_EMAIL_DOMAINS[int(rng.random() * len(wl.OLD_EMAIL_DOMAINS))]
            p.old_email = self._personal_email(p.given, email_family, p.dob[0], dom)
            p.email_changed_at = self._time_in_window()
            self.stats["email_changes"] += 1
        if p.company >= 0 and r() < WORK_EMAIL_RATE:
            p.work_email = self._work_email(p.given, p.family, p.company)
        if not p.old_addr and r() < MOVE_RATE:
            p.old_addr = self._address()
            p.moved_at = self._time_in_window()
        if p.old_addr:
            self.stats["movers"] += 1
        if p.married_at > START:
            self.stats["married_name_changes"] += 1

    def _marry(self, p: Person) -> None:
        """Give p a maiden name; if the wedding falls in the data window old records show it."""
        maiden = self._family()
        while maiden == p.family:
            maiden = self._family()
        p.maiden = maiden
        if self.rng.random() < MARRIED_IN_WINDOW:
            p.married_at = self._time_in_window()
            if not p.old_addr:
                p.old_addr = self._address()
                p.moved_at = p.married_at
        else:
            p.married_at = START - DAY

    def _single(self) -> Person:
        rng = self.rng
        r = rng.random
        gender = "M" if r() < 0.49 else "F"
        age = rng.triangular(18, 92, 38)
        addr = self._address()
        family = self._family()
        collided = None
        if self.recent and r() < NAME_COLLISION_RATE:
            collided = self.recent[int(rng.random() * len(self.recent))]
            gender, family = collided[0], collided[2]
            if r() < 0.5:
                addr = self._address(collided[3])
            self.stats["name_collisions"] += 1
        state = SUBURBS[addr[4]][1]
        p = self._new_person(gender, age, family, addr, self._landline(state) if r() < LANDLINE_SINGLE else "")
        if collided:
            p.given = collided[1]
        if gender == "F" and age > 24 and r() < MAIDEN_SINGLE:
            self._marry(p)
        self._finish_person(p)
        if len(self.recent) < 2000:
            self.recent.append((p.gender, p.given, p.family, p.addr[4]))
        else:
            self.recent[int(rng.random() * 2000)] = (p.gender, p.given, p.family, p.addr[4])
        return p

    def _household(self, max_size: int) -> list[Person]:
        rng = self.rng
        r = rng.random
        family = self._family()
        addr = self._address()
        state = SUBURBS[addr[4]][1]
        landline = self._landline(state) if r() < LANDLINE_HOUSEHOLD else ""
        kind = HOUSEHOLD_KINDS[bisect(KIND_CUM, r() * KIND_CUM[-1])][0]
        members: list[Person] = []
        kids_ages: list[float] = []
        twins = False
        if kind == "siblings":
            age = rng.uniform(18, 40)
            kids_ages = [age, age if r() < TWINS_IN_SIBLINGS else age + rng.uniform(1.2, 8)]
            twins = kids_ages[0] == kids_ages[1]
        else:
            nkids = 0 if kind == "couple" else 1 + (r() < 0.4)
            nparents = 1 if kind == "single_parent" else 2
            nkids = max(0, min(nkids, max_size - nparents))
            base = rng.uniform(40, 82) if nkids else rng.triangular(22, 88, 40)
            parents = ["M", "F"] if r() < 0.95 else [rng.choice("MF")] * 2
            if nparents == 1:
                parents = ["F"] if r() < 0.75 else ["M"]
            for i, g in enumerate(parents):
                age = base if i == 0 else max(20.0, base + rng.uniform(-6, 6))
                members.append(self._new_person(g, age, family, addr, landline))
            if nkids:
                first = max(16.0, base - rng.uniform(22, 38))
                kids_ages = [first]
                if nkids == 2:
                    twins = r() < TWINS_IN_TWO_KIDS
                    kids_ages.append(first if twins else max(16.0, first - rng.uniform(1.2, 8)))
        n_parents = len(members)
        for age in kids_ages:
            members.append(self._new_person("M" if r() < 0.5 else "F", age, family, addr, landline))
        kids = members[n_parents:]
        if twins and len(kids) == 2:
            kids[1].dob = kids[0].dob
            while kids[1].given == kids[0].given:
                kids[1].given = self._given(kids[1].gender)
            self.stats["twins"] += 1
        else:
            for i in range(1, len(kids)):
                while kids[i].given == kids[0].given:
                    kids[i].given = self._given(kids[i].gender)
        fathers = [m for m in members[:n_parents] if m.gender == "M"]
        sons = [k for k in kids if k.gender == "M"]
        if fathers and sons and r() < JUNIOR_RATE and not (twins and len(sons) == 2):
            sons[0].given, sons[0].suffix, fathers[0].is_sr = fathers[0].given, "Jr", True
            self.stats["juniors"] += 1
        if n_parents == 2 and members[1].gender == "F" and members[0].gender == "M" and r() < MAIDEN_IN_COUPLE:
            self._marry(members[1])
        for m in members:
            self._finish_person(m)
        if r() < FAMILY_EMAIL_RATE:
            f = _slug(family)
            x = r()
            local = f"the{f}s" if x < 0.35 else f"{f}family" if x < 0.7 else f"{f}.home"
            if x > 0.85 and len(members) >= 2:
                local = f"{_slug(members[0].given)}and{_slug(members[1].given)}"
            dom = DOMAIN_NAMES[bisect(DOMAIN_CUM, r() * DOMAIN_CUM[-1])]
            shared = self._unique_email(local, dom)
            for m in members:
                m.family_email = shared
        self.stats["households"] += 1
        self.stats["people_in_households"] += len(members)
        return members

    # ---- records
    def _pick_sources(self) -> list[str]:
        r = self.rng.random
        k = bisect(SOURCES_K_CUM, r() * SOURCES_K_CUM[-1]) + 1
        keyed = sorted(((r() ** (1.0 / PROFILES[s]["weight"]), s) for s in SOURCES), reverse=True)
        chosen = {s for _, s in keyed[:k]}
        return [s for s in SOURCES if s in chosen]

    def _semantic(self, p: Person, src: str, pr: _P, created: int, dup: bool) -> Rec:
        rng = self.rng
        r = rng.random
        rec = Rec()
        rec.created = created
        if r() < 0.35:
            rec.updated = min(NOW, created + (60 + int(rng.random() * (3 * DAY - 60))))
        else:
            rec.updated = created + int(r() * (NOW - created))
        t = rec.updated
        boost = 0.12 if dup else 0.0
        given = p.given
        nick = wl.NICKNAMES.get(given)
        if nick and r() < pr["nickname"] + boost:
            given = nick[int(rng.random() * len(nick))]
        elif r() < pr["initial"]:
            given = given[0] + "."
        family = p.maiden if p.maiden and t < p.married_at else p.family
        if r() < pr["typo"] + boost:
            if r() < 0.5:
                given = typo(given, rng)
            else:
                family = typo(family, rng)
        rec.given, rec.family, rec.middle = given, family, p.middle
        # e-mail
        if r() >= pr["email_missing"]:
            personal = p.old_email if p.old_email and t < p.email_changed_at else p.email
            if p.family_email and r() < pr["family_email"]:
                email = p.family_email
            elif p.work_email and r() < pr["work_email"]:
                email = p.work_email
            else:
                email = personal
            if dup and r() < 0.5:
                alts = [e for e in (p.email, p.old_email, p.work_email) if e and e != email]
                if alts:
                    email = alts[int(rng.random() * len(alts))]
            if email.endswith("@gmail.com") and r() < pr["gmail_variant"] + boost:
                local, dom = email.split("@")
                if r() < 0.5:
                    local = local + "+" + ("news", "shop", "promo", "spam", "deals")[int(rng.random() * 5)]
                elif "." in local:
                    local = local.replace(".", "")
                else:
                    i = 1 + int(rng.random() * (len(local) - 1))
                    local = local[:i] + "." + local[i:]
                email = f"{local}@{'googlemail.com' if r() < 0.1 else dom}"
            if r() < pr["email_typo"]:
                local, dom = email.split("@")
                email = f"{typo(local, rng) if r() < 0.6 else local}@{dom if r() < 0.6 else typo(dom, rng)}"
            rec.email = email
        # phone
        if r() >= pr["phone_missing"]:
            phone = p.landline if p.landline and (r() < pr["landline"] or not p.mobile) else p.mobile
            if phone and r() < pr["phone_typo"]:
                i = 1 + int(rng.random() * (len(phone) - 1))
                phone = phone[:i] + str(int(rng.random() * 10)) + phone[i + 1 :]
            rec.phone = phone
        # date of birth
        if r() < pr["dob"]:
            y, m, d = p.dob
            if r() < pr["dob_swap"] and d <= 12 and d != m:
                m, d = d, m
            elif r() < pr["dob_typo"]:
                if r() < 0.6:
                    dd = date(y, m, d).toordinal() + rng.choice((-2, -1, 1, 2, 10, -10))
                    x = date.fromordinal(dd)
                    y, m, d = x.year, x.month, x.day
                else:
                    y, d = y + rng.choice((-1, 1, -10)), min(d, 28)
            rec.dob = (y, m, d)
        # address
        if r() >= pr["addr_missing"]:
            addr = p.old_addr if p.old_addr and t < p.moved_at else p.addr
            if addr[0] and r() < pr["unit_drop"]:
                addr = (0,) + addr[1:]
            if r() < pr["addr_typo"]:
                pc = addr[5]
                if r() < 0.5:
                    i = 1 + int(rng.random() * 3)
                    pc = pc[:i] + str(int(rng.random() * 10)) + pc[i + 1 :]
                    addr = addr[:5] + (pc,)
                else:
                    addr = (addr[0], addr[1] + rng.choice((-1, 1, 10)) or 1) + addr[2:]
            rec.addr = addr
        if p.company >= 0 and r() < pr["company"]:
            rec.company = p.company
        if r() < pr.get("national_id", 0.0):
            rec.tfn = p.tfn
        return rec

    def _mess(self, s: str, pr: _P) -> str:
        """Cosmetic noise a normaliser must undo: accents dropped, case, stray whitespace."""
        if not s:
            return s
        r = self.rng.random
        if r() < pr["accent_drop"]:
            s = fold(s)
        if r() < pr["case"]:
            s = s.lower() if r() < 0.6 else s.upper()
        if r() < pr["ws"]:
            x = r()
            s = f"  {s}" if x < 0.3 else f"{s} " if x < 0.6 else f" {s}  " if x < 0.8 else s.replace(" ", "  ")
        return s

    def _family_variant(self, fam: str) -> str:
        r = self.rng.random
        if r() > 0.25:
            return fam
        if "'" in fam:
            x = r()
            return fam.replace("'", "") if x < 0.4 else fam.replace("'", " ") if x < 0.7 else fam.replace("'", "’")
        if fam.startswith(("van ", "de ", "da ", "dos ")):
            return fam.title() if r() < 0.5 else fam.replace(" ", "").capitalize()
        if fam.startswith(("Mc", "Mac")) and len(fam) > 3:
            return fam.capitalize()
        return fam

    def _street(self, addr: tuple, p_full: float) -> str:
        rng = self.rng
        r = rng.random
        unit, number, street, stype, *_ = addr
        types = wl.STREET_TYPES[stype]
        tname = (
            types[0] if r() < p_full else types[1] if r() < 0.7 else types[(1 + int(rng.random() * (len(types) - 1)))]
        )
        base = f"{number} {STREETS[street]} {tname}"
        if not unit:
            return base
        x = r()
        if x < 0.5:
            return f"{unit}/{base}"
        if x < 0.8:
            return f"Unit {unit}, {base}"
        if x < 0.9:
            return f"U{unit} {base}"
        return f"Apt {unit}, {base}"

    def _company_name(self, idx: int) -> str:
        name = self.companies[idx]
        x = self.rng.random()
        if x < 0.55:
            return name
        if x < 0.7:
            return name.removesuffix(" Pty Ltd").removesuffix(" Ltd")
        if x < 0.8:
            return name.upper()
        if x < 0.9:
            return name.replace("Pty Ltd", "Pty. Ltd.")
        if x < 0.95:
            return name.replace(" Pty Ltd", " P/L")
        return name.lower()

    def _email_out(self, email: str, pr: _P) -> str:
        if not email or self.rng.random() >= pr["email_case"]:
            return email
        if self.rng.random() < 0.3:
            return email.upper()
        local, dom = email.split("@")
        return ".".join(x.capitalize() for x in local.split(".")) + "@" + dom.capitalize()

    def _full_name(self, rec: Rec, pr: _P) -> str:
        g, f = self._mess(rec.given, pr), self._mess(self._family_variant(rec.family), pr)
        return f"{g} {f}"

    def _format(self, src: str, p: Person, rec: Rec) -> str:
        """Source-specific columns and formats (without the id column, which is assigned at the end)."""
        pr = PROFILES[src]
        rng = self.rng
        r = rng.random
        created, updated = rec.created, rec.updated
        addr = rec.addr
        sub = SUBURBS[addr[4]] if addr else ("", "", "")
        if src == "crm":
            sal = "" if r() < 0.3 else ("Mr" if p.gender == "M" else "Ms" if r() < 0.6 else "Mrs")
            suffix = p.suffix if r() < 0.7 else "Sr" if p.is_sr and r() < 0.15 else ""
            phone = rec.phone
            if phone:
                phone = _phone_local(phone) if r() < 0.8 else "0" + phone
            y, m, d = rec.dob or (0, 0, 0)
            x = r()
            country = ("Australia" if x < 0.7 else "AU" if x < 0.9 else "") if addr else ""
            state = (sub[1] if r() < 0.8 else wl.STATES[sub[1]][0]) if addr else ""
            vals = (
                sal,
                self._mess(rec.given, pr),
                self._mess(self._family_variant(rec.family), pr),
                suffix,
                self._email_out(rec.email, pr),
                phone,
                f"{m:02d}/{d:02d}/{y:04d}" if rec.dob else "",
                self._street(addr, 0.5) if addr else "",
                sub[0],
                state,
                sub[2] if addr else "",
                country,
                self._company_name(rec.company) if rec.company >= 0 else "",
                ("Web", "Referral", "Partner", "Trade Show", "Cold Call", "")[int(rng.random() * 6)],
                time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(created)),
                time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(updated)),
            )
            return _csv(vals)
        if src == "erp":
            given, fam = fold(rec.given), fold(self._family_variant(rec.family))
            x = r()
            jr = " JR" if p.suffix and r() < 0.5 else ""
            if x < 0.8:
                name1 = f"{fam.upper()}{jr}, {given}"
            elif x < 0.95:
                name1 = f"{fam}{jr.title()}, {given}"
            else:
                name1 = f"{given} {fam}"
            street = self._street(addr, 0.5) if addr else ""
            city = sub[0]
            if r() < 0.4:
                street = street.upper()
            if r() < 0.6:
                city = city.upper()
            y, m, d = rec.dob or (0, 0, 0)
            tfn = rec.tfn
            if tfn and r() < 0.5:
                tfn = f"{tfn[:3]} {tfn[3:6]} {tfn[6:]}"
            vals = (
                self._mess(name1, pr),
                fold(self._company_name(rec.company)) if rec.company >= 0 else "",
                street,
                city,
                sub[2] if addr else "",
                sub[1],
                "AU",
                _phone_intl(rec.phone) if rec.phone else "",
                self._email_out(rec.email, pr),
                f"{d:02d}.{m:02d}.{y:04d}" if rec.dob else "",
                tfn,
                "ZB2B" if rec.company >= 0 else "ZB2C",
                time.strftime("%Y%m%d", time.gmtime(created)),
                time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(updated)),
            )
            return _csv(vals)
        if src == "billing":
            g, f = self._mess(rec.given, pr), self._mess(self._family_variant(rec.family), pr)
            mid = f" {rec.middle[0]}" if rec.middle and len(rec.given) > 2 and r() < 0.35 else ""
            name = f"{g}{mid} {f}" + (" Jr" if p.suffix and r() < 0.5 else "")
            if r() < 0.05:
                name = fold(name).upper()
            phone = rec.phone
            if phone:
                phone = "+61" + phone if r() < 0.7 else _phone_local(phone)
            line1, line2 = "", ""
            if addr:
                if addr[0] and r() < 0.5:
                    line1, line2 = self._street((0,) + addr[1:], 0.2), f"Unit {addr[0]}"
                else:
                    line1 = self._street(addr, 0.2)
            city = sub[0].upper() if r() < 0.1 else sub[0]
            state = (wl.STATES[sub[1]][0] if r() < 0.4 else sub[1]) if addr else ""
            vals = (
                name,
                self._email_out(rec.email, pr),
                phone,
                line1,
                line2,
                city,
                state,
                sub[2] if addr else "",
                "AU" if addr else "",
                "aud",
                ("basic", "standard", "premium", "business")[int(rng.random() * 4)],
                "true" if r() < 0.05 else "false",
                _iso(created),
                _iso(updated),
            )
            return _csv(vals)
        if src == "marketing":
            x = r()
            first, last = self._mess(rec.given, pr), self._mess(self._family_variant(rec.family), pr)
            if x < 0.45:
                pass
            elif x < 0.78:
                last, rec.family = "", ""
            elif x < 0.90:
                first = last = rec.given = rec.family = ""
            else:
                local = rec.email.split("@")[0].split("+")[0]
                parts = re.split(r"[._]", local)
                if len(parts) == 2 and parts[0].isalpha() and parts[1].isalpha() and len(parts[0]) > 1:
                    first, last = parts[0].capitalize(), parts[1].capitalize()
                else:
                    first, last = "", ""
                rec.given, rec.family = first, last
            phone = rec.phone
            if phone:
                phone = phone if r() < 0.3 else _phone_local(phone)
            tags = ("Newsletter", "Customer", "Newsletter,Customer", "Webinar", "Promo", "")[int(rng.random() * 6)]
            vals = (
                self._email_out(rec.email, pr),
                first,
                last,
                phone,
                "AU" if r() < 0.85 else "",
                str(1 + int(rng.random() * 5)),
                time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(created)),
                tags,
                time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(updated)),
            )
            return _csv(vals)
        if src == "support":
            x = r()
            if x < 0.73:
                name = self._full_name(rec, pr) + (" Jr." if p.suffix and r() < 0.3 else "")
            elif x < 0.85:
                name, rec.family = self._mess(rec.given, pr), ""
            elif x < 0.9:
                name = f"{self._mess(rec.given, pr)} {rec.family[:1]}."
                rec.family = ""
            elif rec.email:
                name, rec.given, rec.family = rec.email.split("@")[0], "", ""
            else:
                name = self._full_name(rec, pr)
            state = sub[1] or SUBURBS[p.addr[4]][1]
            vals = (
                name,
                self._email_out(rec.email, pr),
                _phone_support(rec.phone, r()) if rec.phone else "",
                self._company_name(rec.company) if rec.company >= 0 else "",
                "end-user",
                ("en-AU", "en-AU", "en-AU", "en-US", "en-GB")[int(rng.random() * 5)],
                TIME_ZONES[state],
                ("vip", "", "", "refund", "billing", "mobile")[int(rng.random() * 6)],
                _iso(created),
                _iso(updated),
            )
            return _csv(vals)
        if src == "ecommerce":
            y, m, d = rec.dob or (0, 0, 0)
            line1, line2 = "", None
            if addr:
                if addr[0] and r() < 0.4:
                    line1, line2 = self._street((0,) + addr[1:], 0.4), f"Unit {addr[0]}"
                else:
                    line1 = self._street(addr, 0.4)
                if r() < 0.1:
                    line1 = line1.lower()
            orders = min(40, int(rng.expovariate(1 / 3.2) * _activity_scale(created)))
            rec.hint = orders
            phone = rec.phone
            if phone:
                phone = "+61" + phone if r() < 0.85 else _phone_local(phone)
            city = sub[0].lower() if r() < 0.08 else sub[0]
            obj = {
                "first_name": self._mess(rec.given, pr) or None,
                "last_name": self._mess(self._family_variant(rec.family), pr) or None,
                "email": self._email_out(rec.email, pr) or None,
                "phone": phone or None,
                "birthday": f"{y:04d}-{m:02d}-{d:02d}" if rec.dob else None,
                "accepts_marketing": r() < 0.55,
                "orders_count": orders,
                "tags": ("", "", "vip", "wholesale", "newsletter")[int(rng.random() * 5)],
                "default_address_address1": line1 or None,
                "default_address_address2": line2,
                "default_address_city": city or None,
                "default_address_province": wl.STATES[sub[1]][0] if addr else None,
                "default_address_province_code": sub[1] or None,
                "default_address_zip": sub[2] or None,
                "default_address_country": "Australia" if addr else None,
                "default_address_country_code": "AU" if addr else None,
                "default_address_company": self._company_name(rec.company) if rec.company >= 0 else None,
                "created_at": time.strftime("%Y-%m-%dT%H:%M:%S+10:00", time.gmtime(created + 36000)),
                "updated_at": time.strftime("%Y-%m-%dT%H:%M:%S+10:00", time.gmtime(updated + 36000)),
            }
            return json.dumps(obj, ensure_ascii=False)
        # product
        x = r()
        if x < 0.55:
            name = self._full_name(rec, pr)
        elif x < 0.7:
            name, rec.family = self._mess(rec.given, pr), ""
        elif x < 0.85 and rec.email:
            name, rec.given, rec.family = rec.email.split("@")[0].split("+")[0], "", ""
        else:
            name, rec.given, rec.family = "", "", ""
        x = r()
        country = (
            "Australia"
            if x < 0.7
            else "AU"
            if x < 0.85
            else "australia"
            if x < 0.9
            else "New Zealand"
            if x < 0.93
            else "United Kingdom"
            if x < 0.95
            else ""
        )
        vals = (
            name,
            self._email_out(rec.email, pr),
            country,
            ("free", "free", "pro", "team")[int(rng.random() * 4)],
            f"{(3 + int(rng.random() * 3))}.{int(rng.random() * 20)}.{int(rng.random() * 10)}",
            "true" if r() < 0.4 else "false",
            _iso(created),
            _iso(updated),
        )
        return _csv(vals)

    @staticmethod
    def _keys(rec: Rec) -> list[str]:
        keys = []
        if rec.email:
            keys.append("e" + email_key(rec.email))
        if rec.phone:
            keys.append("p" + rec.phone)
        if rec.tfn:
            keys.append("n" + rec.tfn)
        g, f = norm_name(rec.given), norm_name(rec.family)
        if len(g) > 1 and f:
            name = f"{g} {f}"
            if rec.dob:
                keys.append("d{}|{:04d}{:02d}{:02d}".format(name, *rec.dob))
            if rec.addr:
                a = rec.addr
                keys.append(f"s{name}|{a[0]}|{a[1]}|{a[2]}|{a[3]}|{a[5]}")
        return keys

    def emit(self, p: Person) -> None:
        """Generate and spill all source records of one person; update ceiling statistics."""
        rng = self.rng
        r = rng.random
        srcs = self._pick_sources()
        self.sources_hist[len(srcs)] += 1
        entity = f"P{p.pid:08d}"
        all_keys: list[list[str]] = []
        for src in srcs:
            pr = PROFILES[src]
            created = self._after(p.first_seen, 400 * DAY)
            copies = 2 if r() < pr["dup"] else 1
            for c in range(copies):
                if c:
                    created = self._after(created + 3600, 300 * DAY)
                    self.stats["within_source_duplicates"] += 1
                rec = self._semantic(p, src, pr, created, bool(c))
                payload = self._format(src, p, rec)
                self.seq += 1
                self.per_source[src].add(created, f"{created:011d}{self.seq:010d}\t{entity}\t{rec.hint}\t{payload}\n")
                all_keys.append(self._keys(rec))
        self.stats["records"] += len(all_keys)
        if len(all_keys) == 1:
            self.stats["single_record_people"] += 1
            return
        self.stats["multi_record_people"] += 1
        if _connected(all_keys):
            self.stats["linkable_people"] += 1

    def run(self) -> None:
        made = 0
        r = self.rng.random
        while made < self.people:
            remaining = self.people - made
            members = self._household(remaining) if remaining >= 2 and r() < HOUSEHOLD_UNIT_RATE else [self._single()]
            for m in members:
                made += 1
                m.pid = made
                self.emit(m)


def _activity_scale(created: int) -> float:
    """Young records have had less time to act: counts scale with age up to ACTIVITY_RAMP, so activity
    density does not pile up just before NOW (a fixed count squeezed into a short window would)."""
    return min(1.0, (NOW - created) / ACTIVITY_RAMP)


def _connected(keysets: list[list[str]]) -> bool:
    """Union-find over one person's records: are they one component via shared identifying values?"""
    parent = list(range(len(keysets)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[str, int] = {}
    for i, keys in enumerate(keysets):
        for k in keys:
            j = owner.setdefault(k, i)
            if j != i:
                a, b = find(i), find(j)
                if a != b:
                    parent[a] = b
    root = find(0)
    return all(find(i) == root for i in range(1, len(keysets)))


# ----------------------------------------------------------------------------------------------- ids & activities
def _id_maker(src: str, rng: random.Random) -> Callable[[], str]:
    """Source-native ids that grow with creation time, as real systems' ids do (Stripe/UUIDs: random)."""
    r = rng.random
    state = {
        "crm": 10**6 + int(rng.random() * 9 * 10**6),
        "erp": 100000,
        "marketing": 10**8 + int(rng.random() * 10**8),
        "support": 360000000000 + int(rng.random() * 10**9),
        "ecommerce": 6500000000000 + int(rng.random() * 10**10),
    }.get(src, 0)
    box = [state]

    if src == "crm":

        def make() -> str:
            box[0] += 1 if r() < 0.7 else (2 + int(rng.random() * 38))
            return _sf18("0035g00000" + _base62(box[0], 5))

    elif src == "erp":

        def make() -> str:
            box[0] += 1 if r() < 0.95 else (2 + int(rng.random() * 3))
            return f"{box[0]:010d}"

    elif src == "billing":

        def make() -> str:
            return "cus_" + _base62(rng.getrandbits(84), 14)

    elif src == "product":

        def make() -> str:
            h = f"{rng.getrandbits(128):032x}"
            return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"

    else:
        step = {"marketing": 200, "support": 40000, "ecommerce": 3_000_000}[src]

        def make() -> str:
            box[0] += 1 + int(rng.random() * (step - 1))
            return str(box[0])

    return make


assert not any(
    "," in w or '"' in w
    for w in (*wl.TICKET_SUBJECTS, *wl.CAMPAIGNS, *wl.FEATURES, *wl.PAGES, *wl.CALL_TOPICS, *wl.CHAT_TOPICS)
), "activity word lists must not need CSV quoting"


class _Activities:
    """Generates each record's activity trail; lines are spilled into time buckets for a sorted file."""

    def __init__(self, seed: int, tmp: Path) -> None:
        self.rng = random.Random(f"{seed}:activities")
        self.buckets = _Buckets(tmp, "act", 30 * DAY, limit=1000)
        self.seq = 0
        self.counts: dict[str, int] = {}
        self.numbers = {"order": 1000, "invoice": 0, "ticket": 20000}

    def _poisson(self, lam: float) -> int:
        threshold, k, p = math.exp(-lam), 0, self.rng.random()
        while p > threshold:
            k += 1
            p *= self.rng.random()
        return k

    def _add(self, src: str, sid: str, kind: str, when: int, amount: str, summary: str) -> None:
        self.seq += 1
        self.counts[kind] = self.counts.get(kind, 0) + 1
        # no field can hold a comma or quote (word lists are checked at import), so no CSV quoting needed
        self.buckets.add(when, f"{when:011d}{self.seq:010d}\t{src},{sid},{kind},{_iso(when)},{amount},{summary}\n")

    def record(self, src: str, sid: str, created: int, hint: int) -> None:
        rng = self.rng
        r = rng.random
        span = NOW - created
        scale = _activity_scale(created)

        def when() -> int:
            return created + int(r() * span)

        if src == "ecommerce":
            for _ in range(hint):
                self.numbers["order"] += 1
                amt = round(math.exp(rng.gauss(4.2, 0.8)), 2)
                items = 1 + int(rng.expovariate(0.6))
                self._add(
                    src,
                    sid,
                    "order",
                    when(),
                    f"{amt:.2f}",
                    f"Order #{self.numbers['order']} - {items} item{'s' if items > 1 else ''}",
                )
        for kind, lam in ACTIVITY_MEANS[src]:
            n = self._poisson(lam * scale)
            if kind == "invoice":
                monthly = round(math.exp(rng.gauss(3.6, 0.5)), 2) if src == "billing" else 0.0
                t = created + (DAY + int(rng.random() * 29 * DAY))
                for _ in range(n):
                    if t > NOW:
                        break
                    self.numbers["invoice"] += 1
                    num = self.numbers["invoice"]
                    amt = monthly or round(math.exp(rng.gauss(6.0, 1.1)), 2)
                    ref = f"INV-{num:07d}" if src == "billing" else f"{9000000000 + num}"
                    self._add(src, sid, "invoice", t, f"{amt:.2f}", f"Invoice {ref}")
                    paid = t + (600 + int(rng.random() * (20 * DAY - 600)))
                    if r() < 0.9 and paid <= NOW:  # the rest stay unpaid (overdue or not yet due)
                        amount = amt if r() < 0.93 else round(amt * rng.uniform(0.3, 0.9), 2)
                        self._add(src, sid, "payment", paid, f"{amount:.2f}", f"Payment for {ref}")
                    t += (
                        (25 * DAY + int(rng.random() * 10 * DAY))
                        if src == "billing"
                        else (DAY + int(rng.random() * 199 * DAY))
                    )
                continue
            for _ in range(n):
                if kind == "ticket":
                    self.numbers["ticket"] += 1
                    summary = f"Ticket #{self.numbers['ticket']}: {wl.TICKET_SUBJECTS[int(rng.random() * 15)]}"
                elif kind == "chat":
                    summary = f"Chat: {wl.CHAT_TOPICS[int(rng.random() * len(wl.CHAT_TOPICS))]}"
                elif kind == "call":
                    summary = f"Call: {wl.CALL_TOPICS[int(rng.random() * len(wl.CALL_TOPICS))]}"
                elif kind == "email":
                    if src == "crm":
                        summary = ("Sent proposal", "Follow-up email", "Intro email", "Quote sent")[
                            int(rng.random() * 4)
                        ]
                    else:
                        verb = ("delivered", "opened", "opened", "clicked")[int(rng.random() * 4)]
                        summary = f"Campaign '{wl.CAMPAIGNS[int(rng.random() * len(wl.CAMPAIGNS))]}' {verb}"
                elif kind == "web_visit":
                    summary = f"Visited {wl.PAGES[int(rng.random() * len(wl.PAGES))]}"
                else:
                    feat = wl.FEATURES[int(rng.random() * len(wl.FEATURES))]
                    summary = f"Used {feat} ({1 + int(rng.expovariate(0.2))} sessions)"
                self._add(src, sid, kind, when(), "", summary)


# ----------------------------------------------------------------------------------------------- entry points
def generate(people: int, seed: int, out_dir: Path) -> dict[str, Any]:
    """Write the data set for `people` people into out_dir and return the summary (also summary.json)."""
    if people < 1:
        raise ValueError("people must be >= 1")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = out_dir / ".datagen-tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        gen = Generator(people, seed, tmp)
        gen.run()
        acts = _Activities(seed, tmp)
        per_file: dict[str, int] = {}
        with (out_dir / "truth.csv").open("w", encoding="utf-8", newline="") as truth:
            truth.write("source,source_id,entity_id\n")
            for src in SOURCES:
                make_id = _id_maker(src, random.Random(f"{seed}:ids:{src}"))
                n = 0
                with (out_dir / SOURCE_FILES[src]).open("w", encoding="utf-8", newline="") as fh:
                    if src != "ecommerce":
                        fh.write(_csv(HEADERS[src]) + "\n")
                    for line in gen.per_source[src].drain():
                        head, entity, hint, payload = line.split("\t", 3)
                        sid = make_id()
                        if src == "ecommerce":
                            fh.write(f'{{"id": {sid}, {payload[1:]}')
                        else:
                            fh.write(f"{sid},{payload}")
                        truth.write(f"{src},{sid},{entity}\n")
                        acts.record(src, sid, int(head[:11]), int(hint))
                        n += 1
                per_file[SOURCE_FILES[src]] = n
        with (out_dir / "activities.csv").open("w", encoding="utf-8", newline="") as fh:
            fh.write("source,source_id,kind,occurred_at,amount,summary\n")
            for line in acts.buckets.drain():
                fh.write(line.split("\t", 1)[1])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    with (out_dir / "catalog.yaml").open("w", encoding="utf-8") as fh:
        fh.write("# Generated by benchmarks.datagen - synthetic customer sources (ecommerce is JSON Lines).\n")
        yaml.safe_dump(_catalog(), fh, sort_keys=False, allow_unicode=True, width=110)
    st = gen.stats
    total = st["records"]
    summary: dict[str, Any] = {
        "people": people,
        "seed": seed,
        "records_per_source": {s: per_file[SOURCE_FILES[s]] for s in SOURCES},
        "records": total,
        "files": {**per_file, "activities.csv": acts.seq, "truth.csv": total},
        "activities": acts.seq,
        "activities_per_kind": dict(sorted(acts.counts.items())),
        "households": st["households"],
        "people_in_households": st["people_in_households"],
        "twins": st["twins"],
        "twin_people": 2 * st["twins"],
        "juniors": st["juniors"],
        "name_collisions": st["name_collisions"],
        "married_name_changes": st["married_name_changes"],
        "movers": st["movers"],
        "email_changes": st["email_changes"],
        "within_source_duplicates": st["within_source_duplicates"],
        "people_by_source_count": {str(k): v for k, v in enumerate(gen.sources_hist) if k},
        "single_record_people": st["single_record_people"],
        "single_record_share": round(st["single_record_people"] / people, 4),
        "multi_record_people": st["multi_record_people"],
        "linkable_people": st["linkable_people"],
        "linkable_ceiling": round(st["linkable_people"] / max(1, st["multi_record_people"]), 4),
    }
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=10000, help="number of true people to generate")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, required=True, help="output directory (created if missing)")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    summary = generate(args.people, args.seed, args.out)
    wall = time.perf_counter() - t0
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps(summary, indent=2))
    cpu = usage.ru_utime + usage.ru_stime
    print(f"wall {wall:.1f}s, cpu {cpu:.1f}s, peak RSS {usage.ru_maxrss / 1024:.0f} MB", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
