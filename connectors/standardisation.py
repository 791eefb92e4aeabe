"""Standardisation of raw customer attribute values coming from source systems.

Every source system spells the same customer differently ("SMITH, John" vs "John Smith",
"(02) 9876 5432" vs "+61 2 9876 5432", "Acme Pty Ltd" vs "ACME PTY. LIMITED").  This module turns
raw strings into (a) clean *display* values that are safe to show and store on a golden record and
(b) aggressive *match keys* that make equivalent values compare equal for blocking / matching.

Design rules shared by every function here:

* Plain Python, no Django: importable from connectors, profilers, benchmarks and tests alike.
* Never raise on arbitrary input.  Non-text input (``None``, NaN, objects) becomes ``None``; text is
  stripped of control / zero-width characters and NFC-normalised first.  Values longer than
  ``MAX_INPUT_CHARS`` (after trimming) are rejected with ``None`` so one bad cell cannot cost
  unbounded CPU, and outputs are capped the same way.
* Idempotent: ``f(f(x)) == f(x)`` for every text-returning function, so re-standardising already
  standardised data (e.g. re-imports, golden records fed back in) is a no-op.
* Fast: this runs on every imported row.  Regexes are precompiled, functions whose inputs repeat
  a lot (names, countries, states, cities, dates, postcodes, companies) are memoised, and common
  AU/GB/US/CA phone shapes skip phonenumbers.parse (verified identical in the tests).
"""

from __future__ import annotations

import datetime
import math
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache, wraps

import jellyfish
import phonenumbers
import pycountry
from phonenumbers.phonemetadata import PhoneMetadata
from unidecode import unidecode

__all__ = [
    "CANONICAL_ATTRIBUTES",
    "MATCH_KEYS",
    "MAX_INPUT_CHARS",
    "StandardisedRecord",
    "clean_city",
    "clean_company",
    "clean_country",
    "clean_email",
    "clean_name",
    "clean_national_id",
    "clean_phone",
    "clean_postcode",
    "clean_state",
    "clean_street",
    "company_key",
    "email_key",
    "name_key",
    "parse_date",
    "phonetic_key",
    "postcode_key",
    "split_full_name",
    "standardise_record",
    "street_key",
]

CANONICAL_ATTRIBUTES: tuple[str, ...] = (
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
MATCH_KEYS: tuple[str, ...] = (
    "email_key",
    "phone_key",
    "given_key",
    "family_key",
    "given_phonetic",
    "family_phonetic",
    "birth_year",
    "postcode_key",
    "street_key",
    "company_key",
    "national_id_key",
)

#: Longest (trimmed) input any function will look at; longer values are treated as invalid.
MAX_INPUT_CHARS = 1000

MIN_BIRTH_YEAR = 1850
MAX_BIRTH_YEAR = 2100

_CACHE_BIG = 1 << 16
_CACHE_MEDIUM = 1 << 14
_CACHE_SMALL = 4096

# --------------------------------------------------------------------------------------------------
# Generic text helpers
# --------------------------------------------------------------------------------------------------

# Invisible characters that should vanish without leaving a gap (soft hyphen, zero-width space/joiners,
# word joiner, BOM).
_INVISIBLE_RE = re.compile("[\u00ad\u200b-\u200d\u2060-\u2064\ufeff]")
# Whitespace, C0/C1 control characters, bidi controls and line/paragraph separators -> one space.
_SPACE_RE = re.compile("[\\s\x00-\x1f\x7f-\x9f\u200e\u200f\u2028-\u202e\u2066-\u2069]+")
_COMBINING = "\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
# A run of letters (with any combining marks) -- the unit that gets capitalised.
_LETTER_RUN_RE = re.compile(f"(?:[^\\W\\d_]|[{_COMBINING}])+")
_ASCII_ALNUM_DROP_RE = re.compile(r"[^A-Z0-9]+")
_ASCII_LOWER_LETTERS_DROP_RE = re.compile(r"[^a-z]+")


def _as_text(value: object) -> str | None:
    """Coerce a raw cell to text: strings as-is, integral numbers to digits, anything else to None.

    Spreadsheet-born sources hand us ints for postcodes and NaN for blanks, so be lenient here.
    """
    if isinstance(value, str):
        return value
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return None
        return str(int(value)) if value.is_integer() else repr(value)
    return None


def _squash(value: object) -> str | None:
    """Trim, drop invisible/control characters, NFC-normalise and collapse whitespace.

    Returns None for missing/blank input and for input longer than MAX_INPUT_CHARS.
    """
    text = _as_text(value)
    if text is None:
        return None
    text = text.strip()
    if not text or len(text) > MAX_INPUT_CHARS:
        return None
    if text.isascii():
        if text.isprintable():  # the common case: no tabs, newlines or control characters
            return " ".join(text.split()) if "  " in text else text
        text = _SPACE_RE.sub(" ", text)
    else:
        text = _SPACE_RE.sub(" ", _INVISIBLE_RE.sub("", text))
        text = unicodedata.normalize("NFC", text)
    text = text.strip()
    return text or None


def _finish(text: str | None) -> str | None:
    """Final NFC pass and output cap shared by all display cleaners (keeps them idempotent)."""
    if not text:
        return None
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    if len(text) > MAX_INPUT_CHARS:
        return None
    return text


def _stabilised(func: Callable[..., str | None]) -> Callable[..., str | None]:
    """Make a cleaner of pre-squashed text idempotent on exotic Unicode.

    Case mapping is not idempotent for a handful of code points ("ŉ".capitalize() is "ʼN", whose
    apostrophe-like letter is then dropped).  ASCII input is idempotent by construction; for
    anything else re-apply the cleaner until the output is a fixed point (None if it never is).
    """

    @wraps(func)
    def wrapper(text: str, *args: object) -> str | None:
        result = func(text, *args)
        if result is None or text.isascii():
            return result
        for _ in range(4):
            again_text = _squash(result)
            again = None if again_text is None else func(again_text, *args)
            if again == result or again is None:
                return again
            result = again
        return None

    return wrapper


def _fold(text: str) -> str:
    """ASCII-fold (José -> Jose, Straße -> Strasse) for match keys."""
    return text if text.isascii() else unidecode(text)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _has_letter(text: str) -> bool:
    return any(ch.isalpha() for ch in text)


def _has_alnum(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


# --------------------------------------------------------------------------------------------------
# Capitalisation
# --------------------------------------------------------------------------------------------------

# Scottish/Irish "Mac" surnames that take an inner capital.  "Mac" is deliberately NOT applied
# generally: Mack, Macy, Machado and Macias are ordinary names.
_MAC_NAMES = _words(
    "macdonald macleod mackenzie macgregor macintyre mackay maclean macmillan macarthur "
    "macpherson macneil mackinnon macfarlane macdougall macaulay maclachlan macinnes macrae "
    "macqueen maclaren mackintosh macallister macdermott macdonnell macewan macgillivray maciver "
    "maclennan macnab macnair macnaughton macphail macquarie mactavish macvicar macnamara "
    "maccallum"
)
_ORDINAL_SUFFIXES = frozenset({"st", "nd", "rd", "th"})


def _cap_word(run: str) -> str:
    """Capitalise one lower-case letter run, with the Mc/Mac surname conventions."""
    if run.startswith("mc") and len(run) > 2 and run[2].isalpha():
        return "Mc" + run[2:].capitalize()
    if run in _MAC_NAMES:
        return "Mac" + run[3:].capitalize()
    return run.capitalize()


def _keeps_own_case(token: str) -> bool:
    """True when a token looks deliberately mixed-case (DeVito, MacArthur, LeBlanc).

    Such tokens are kept as the source wrote them; ALL-CAPS, all-lower and caps-lock accidents
    (sMITH, McDONALD) are re-cased.
    """
    if token.islower() or token.isupper():
        return False
    lower = upper = 0
    first_seen = False
    for ch in token:
        if ch.islower():
            if not first_seen:
                return False
            lower += 1
        elif ch.isupper() or ch.istitle():
            first_seen = True
            upper += 1
    return lower >= upper > 0


def _recase(token: str, *, ordinals: bool = False) -> str:
    """Proper-case a whitespace-free token: o'brien -> O'Brien, jean-luc -> Jean-Luc, 12a -> 12A.

    Letter runs are capitalised; a run after an apostrophe is only capitalised when the run before
    the apostrophe is a single letter (O'Brien, D'Angelo but King's, Ya'akov).  With ``ordinals``
    the suffix of 1st/2nd/3rd/4th stays lower-case (street names).
    """
    if _keeps_own_case(token):
        return token
    low = token.lower()
    out: list[str] = []
    pos = 0
    prev_end = -1
    prev_len = 0
    for match in _LETTER_RUN_RE.finditer(low):
        start, end = match.span()
        run = match.group()
        out.append(low[pos:start])
        before = low[start - 1] if start else ""
        after_long_apostrophe = before == "'" and prev_end == start - 1 and prev_len > 1  # King's
        ordinal_suffix = ordinals and before.isdigit() and run in _ORDINAL_SUFFIXES  # 21st
        out.append(run if after_long_apostrophe or ordinal_suffix else _cap_word(run))
        pos = end
        prev_end = end
        prev_len = len(run)
    out.append(low[pos:])
    return "".join(out)


# --------------------------------------------------------------------------------------------------
# Person names
# --------------------------------------------------------------------------------------------------

# Surname particles kept lower-case when they precede another name part ("van der Berg").
_PARTICLES = _words("van von der den de del della di da du des dos das la le ten ter bin binti ibn")
_TITLES = _words(
    "mr mrs ms miss mx mstr master dr doctor prof professor sir dame lady lord rev revd reverend "
    "fr father hon capt captain col lt sgt cpl gen maj mme mlle madam herr frau"
)
_SUFFIXES = _words("jr jnr junior sr snr senior ii iii iv phd md esq dds dvm mba cpa obe mbe cbe qc kc")
# Dotted academic/medical suffixes must be recognised before dots become spaces.
_DOTTED_SUFFIX_RE = re.compile(r"\b(?:ph\.?\s?d|m\.\s?d|d\.\s?d\.\s?s)\b\.?", re.IGNORECASE)
_APOSTROPHES = "\u2019\u2018\u02bc\u02bb`\u00b4\u2032"
_HYPHENS = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"
_NAME_CHAR_TABLE = str.maketrans(
    {**{ch: "'" for ch in _APOSTROPHES}, **{ch: "-" for ch in _HYPHENS}, ".": " ", ",": " "}
)
_ASCII_NAME_DROP_RE = re.compile(r"[^A-Za-z' -]+")
_NAME_PUNCT_RUN_RE = re.compile(r"[-']{2,}")


def _name_chars(text: str) -> str:
    """Keep only letters, combining marks, spaces, hyphens and apostrophes (others -> space)."""
    text = text.translate(_NAME_CHAR_TABLE)
    if text.isascii():
        return _ASCII_NAME_DROP_RE.sub(" ", text)
    return "".join(
        ch if ch.isalpha() or ch in " '-" or unicodedata.category(ch).startswith("M") else " " for ch in text
    )


def _name_tokens(text: str) -> list[str]:
    """Split filtered name text into tokens that each contain at least one letter."""
    tokens = []
    for raw in _name_chars(text).split():
        token = _NAME_PUNCT_RUN_RE.sub(lambda m: m.group()[0], raw).strip("'-")
        if token and _has_letter(token):
            tokens.append(token)
    return tokens


def _format_name(tokens: list[str]) -> str | None:
    """Proper-case name tokens; particles before the last token are lower-cased."""
    if not tokens:
        return None
    last = len(tokens) - 1
    out = [tok.lower() if i < last and tok.lower() in _PARTICLES else _recase(tok) for i, tok in enumerate(tokens)]
    return _finish(" ".join(out))


@lru_cache(maxsize=_CACHE_BIG)
@_stabilised
def _clean_name_cached(text: str) -> str | None:
    return _format_name(_name_tokens(text))


def clean_name(value: str | None) -> str | None:
    """Clean one person-name part for display: "  o'BRIEN " -> "O'Brien", "MCDONALD" -> "McDonald".

    Digits and stray punctuation are dropped, accents kept (José stays José), deliberate mixed case
    (DeVito) kept, particles lower-cased when followed by more name ("van der Berg").  None when
    nothing letter-like remains, so garbage never reaches a golden record.
    """
    text = _squash(value)
    return None if text is None else _clean_name_cached(text)


def _strip_titles_suffixes(tokens: list[str]) -> list[str]:
    """Drop leading titles and trailing suffixes, never the last remaining token."""
    start, end = 0, len(tokens)
    while end - start > 1 and tokens[start].lower() in _TITLES:
        start += 1
    while end - start > 1 and tokens[end - 1].lower() in _SUFFIXES:
        end -= 1
    return tokens[start:end]


def _only_titles_suffixes(tokens: list[str]) -> bool:
    return all(tok.lower() in _TITLES or tok.lower() in _SUFFIXES for tok in tokens)


@lru_cache(maxsize=_CACHE_BIG)
def _split_full_name_cached(text: str) -> tuple[str | None, str | None]:
    given, family = _split_full_name_parts(text)
    # Parts are already clean for ordinary text; this only matters for exotic Unicode (see _stabilised).
    return (
        None if given is None else _clean_name_cached(given),
        None if family is None else _clean_name_cached(family),
    )


def _split_full_name_parts(text: str) -> tuple[str | None, str | None]:
    text = _DOTTED_SUFFIX_RE.sub(lambda m: " " + re.sub(r"[.\s]", "", m.group()) + " ", text)
    parts = [tokens for tokens in (_name_tokens(part) for part in text.split(",")) if tokens]
    # "John Smith, PhD" / "Smith, John, Jr." -- comma-separated parts that are only honorifics.
    if len(parts) > 1:
        parts = [parts[0]] + [p for p in parts[1:] if not _only_titles_suffixes(p)]
    if not parts:
        return None, None
    if len(parts) > 1:
        # "SMITH, John A" -- family name first, given name(s) after the comma.
        family_tokens = _strip_titles_suffixes(parts[0])
        given_tokens = _strip_titles_suffixes(parts[1])
        given = _format_name(given_tokens[:1])
        return given, _format_name(family_tokens)
    tokens = _strip_titles_suffixes(parts[0])
    if len(tokens) == 1:
        return None, _format_name(tokens)
    start = len(tokens) - 1
    while start > 1 and tokens[start - 1].lower() in _PARTICLES:
        start -= 1
    return _format_name(tokens[:1]), _format_name(tokens[start:])


def split_full_name(value: str | None) -> tuple[str | None, str | None]:
    """Split a free-text full name into cleaned ``(given, family)`` for sources with one name column.

    Rules (documented because matching depends on them):

    * ``"Family, Given ..."`` (a comma) -> family first.  Comma parts made only of titles/suffixes
      (``"Smith, John, Jr."``, ``"John Smith, PhD"``) are ignored.
    * Leading titles (Mr, Mrs, Ms, Dr, Prof, Sir, ...) and trailing suffixes (Jr, Sr, II, III, IV,
      PhD, MD, Esq, ...) are removed, but never the only remaining word.
    * Given name = the first remaining word only; middle names/initials are dropped
      (``"John A Smith"`` -> ``("John", "Smith")``) because sources disagree on them.
    * Family name = the last word plus any particles directly before it
      (``"Jane van der Berg"`` -> ``("Jane", "van der Berg")``); the first word is always given.
    * A single word is treated as a family name: ``"Madonna"`` -> ``(None, "Madonna")``.
    """
    text = _squash(value)
    return (None, None) if text is None else _split_full_name_cached(text)


@lru_cache(maxsize=_CACHE_BIG)
def _name_key_cached(text: str) -> str | None:
    key = _ASCII_LOWER_LETTERS_DROP_RE.sub("", _fold(text).lower())
    if not key or len(key) > MAX_INPUT_CHARS:
        return None
    return key


def name_key(value: str | None) -> str | None:
    """Match key for a name: ASCII-folded lower-case letters only ("O'Brien-Smith" -> "obriensmith").

    Spacing, hyphenation, apostrophes and accents vary between systems far more than spelling.
    """
    text = _squash(value)
    return None if text is None else _name_key_cached(text)


@lru_cache(maxsize=_CACHE_BIG)
def _phonetic_from_key(key: str) -> str | None:
    # NYSIIS is not idempotent (nysiis("brown") = "BRAON", nysiis("braon") = "BRAN").  Follow the
    # orbit code -> nysiis(code) to its fixed point (or the smallest code of a cycle): that only ever
    # merges codes NYSIIS already considered close and makes phonetic_key(phonetic_key(x)) stable.
    seen: list[str] = []
    code = jellyfish.nysiis(key)
    while code and code not in seen and len(seen) < 32:
        seen.append(code)
        code = jellyfish.nysiis(code.lower())
    if not code:
        return None
    if code in seen:
        cycle = seen[seen.index(code) :]
        return min(cycle)
    return code


def phonetic_key(value: str | None) -> str | None:
    """Phonetic blocking code (stabilised NYSIIS of the name key): "Stephen"/"Steven" -> "STAFAN".

    Lets blocking catch spelling variants that exact keys miss.  None when the value has no letters.
    """
    key = name_key(value)
    return None if key is None else _phonetic_from_key(key)


# --------------------------------------------------------------------------------------------------
# Email
# --------------------------------------------------------------------------------------------------

_EMAIL_RE = re.compile(
    r"(?P<local>[^\s@<>()\[\],;:\"\\.]+(?:\.[^\s@<>()\[\],;:\"\\.]+)*)"
    r"@(?P<domain>(?:[^\W_](?:[\w-]*[^\W_])?\.)+[^\W\d_]{2,})"
)
_ANGLE_RE = re.compile(r"<([^<>]*)>")
_GMAIL_DOMAINS = frozenset({"gmail.com", "googlemail.com"})


@_stabilised
def _clean_email_text(text: str) -> str | None:
    text = text.lower()
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    if "<" in text:
        # "John Smith <john@example.com>" -> the address in the (last) angle brackets.
        found = _ANGLE_RE.findall(text)
        text = found[-1].strip() if found else text
    text = text.strip(" <>'\"")
    while text.startswith("mailto:"):
        text = text[7:].lstrip()
    text = text.rstrip(".,;")
    return text if _EMAIL_RE.fullmatch(text) else None


def clean_email(value: str | None) -> str | None:
    """Clean an email for display/storage: trimmed, lower-cased, ``mailto:`` and ``<>`` removed.

    None unless it looks deliverable (one @, non-empty local part, dotted domain, no spaces), so
    junk like "n/a" or "none@" never becomes a contact point.
    """
    text = _squash(value)
    return None if text is None else _clean_email_text(text)


def _email_key_from_clean(email: str | None) -> str | None:
    if email is None:
        return None
    local, _, domain = email.rpartition("@")
    local = local.split("+", 1)[0].rstrip(".")
    if domain in _GMAIL_DOMAINS:
        local = local.replace(".", "")
        domain = "gmail.com"
    if not local:
        return None
    key = f"{local}@{domain}"
    return key if _EMAIL_RE.fullmatch(key) else None


def email_key(value: str | None) -> str | None:
    """Match key for an email: "+tag" sub-addresses dropped, Gmail dots/googlemail.com folded.

    These variants all deliver to the same mailbox, so they identify the same person.
    """
    return _email_key_from_clean(clean_email(value))


# --------------------------------------------------------------------------------------------------
# Phone
# --------------------------------------------------------------------------------------------------

_E164 = phonenumbers.PhoneNumberFormat.E164


def _norm_region(region: object) -> str | None:
    """A default region as ISO alpha-2 ("au" -> "AU", "Australia" -> "AU"), else None."""
    return _norm_region_cached(region) if isinstance(region, str) else None


@lru_cache(maxsize=_CACHE_SMALL)
def _norm_region_cached(region: str) -> str | None:
    text = _squash(region)
    if text is None:
        return None
    if len(text) == 2 and text.isascii() and text.isalpha():
        upper = text.upper()
        return "GB" if upper == "UK" else upper
    return clean_country(text)


_LEADING_00_RE = re.compile(r"[\s(]*0[\s)-]*0")


def _fix_00_prefix(text: str, region: str) -> str:
    """Treat a leading "00" as "+" when it is not the region's own international prefix.

    Australians write "0061 2 ..." although the AU exit code is 0011; phonenumbers would read
    that as a national number.  Regions whose exit code is 00 are unaffected.
    """
    metadata = PhoneMetadata.metadata_for_region(region)
    if metadata is None or not metadata.international_prefix:
        return text
    digits = phonenumbers.normalize_digits_only(text)
    if re.match(metadata.international_prefix, digits):
        return text
    match = _LEADING_00_RE.match(text)
    return "+" + text[match.end() :] if match else text


# Fast path for the overwhelmingly common shapes -- plain digits with spaces/()-. separators in
# AU, US/CA and GB national or international format.  phonenumbers.parse costs ~25us per call,
# more than everything else in a record; these rules give byte-identical results (checked against
# phonenumbers in the tests) for national numbers whose shape leaves no ambiguity.
_FAST_PHONE_TEXT_RE = re.compile(r"\+?[ (]*[0-9][0-9 ().-]*")
_NON_DIGIT_RE = re.compile(r"[^0-9]+")
# region -> (country calling code, trunk prefix, unambiguous national significant number)
_FAST_PHONE_RULES: dict[str, tuple[str, str, re.Pattern[str]]] = {
    "AU": ("61", "0", re.compile(r"[2-478][0-9]{8}")),
    "GB": ("44", "0", re.compile(r"[2357][0-9]{9}|1(?!80020)[0-9]{9}")),
    "US": ("1", "1", re.compile(r"[2-9][0-9]{9}")),
    "CA": ("1", "1", re.compile(r"[2-9][0-9]{9}")),
}
_FAST_PHONE_BY_CODE = {"61": _FAST_PHONE_RULES["AU"], "44": _FAST_PHONE_RULES["GB"], "1": _FAST_PHONE_RULES["US"]}


def _fast_phone(text: str, region: str | None) -> str | None:
    """E.164 for unambiguous AU/GB/US/CA numbers without calling phonenumbers; None = use the slow path."""
    if not _FAST_PHONE_TEXT_RE.fullmatch(text):
        return None
    digits = _NON_DIGIT_RE.sub("", text)
    if text[0] == "+":
        for code in (digits[:1], digits[:2]):
            rule = _FAST_PHONE_BY_CODE.get(code)
            if rule is not None:
                national = digits[len(code) :]
                if rule[1] == "0" and national[:1] == "0":  # "+61 (0)2 ..." -- trunk 0 written anyway
                    national = national[1:]
                return f"+{code}{national}" if rule[2].fullmatch(national) else None
        return None
    rule = _FAST_PHONE_RULES.get(region) if region is not None else None
    if rule is None:
        return None
    code, trunk, pattern = rule
    if digits.startswith(trunk) and pattern.fullmatch(digits[len(trunk) :]):
        return f"+{code}{digits[len(trunk) :]}"
    if code == "1" and pattern.fullmatch(digits):
        return f"+1{digits}"
    return None


@lru_cache(maxsize=_CACHE_BIG)
def _clean_phone_cached(text: str, region: str | None) -> str | None:
    if region is not None and _LEADING_00_RE.match(text):
        text = _fix_00_prefix(text, region)
    if text.isascii():
        fast = _fast_phone(text, region)
        if fast is not None:
            return fast
    return _clean_phone_slow(text, region)


def _clean_phone_slow(text: str, region: str | None) -> str | None:
    try:
        number = phonenumbers.parse(text, region)
        if not number.national_number or not phonenumbers.is_possible_number(number):
            return None  # "+95 000000": only zeros, which phonenumbers formats one zero shorter each time
        result = phonenumbers.format_number(number, _E164)
        if phonenumbers.format_number(phonenumbers.parse(result, None), _E164) != result:
            return None  # not a stable E.164 form: cleaning it again would give another number
    except Exception:  # phonenumbers raises NumberParseException and, on odd input, others
        return None
    return result if len(result) > 1 else None


def clean_phone(value: str | None, region: str | None) -> str | None:
    """Phone number in E.164 ("(02) 1234 5678", "AU" -> "+61212345678"); extensions dropped.

    ``region`` (ISO alpha-2) is the default country for numbers written without a country code.
    None when unparseable or not a possible number, so equal numbers compare equal as strings.
    """
    text = _squash(value)
    if text is None:
        return None
    return _clean_phone_cached(text, _norm_region(region))


# --------------------------------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------------------------------


@lru_cache(maxsize=_CACHE_BIG)
def _parse_date_detail(text: str, fmt: str | None) -> tuple[datetime.date | None, str | None]:
    """(date, None) on success, (None, reason) on failure; reason quotes the raw text."""
    try:
        if fmt:
            parsed = datetime.datetime.strptime(text, fmt).date()  # noqa: DTZ007 - date only
        elif len(text) <= 10:
            parsed = datetime.date.fromisoformat(text)
        else:
            # A full ISO timestamp: keep the calendar date as written in its own offset.
            parsed = datetime.datetime.fromisoformat(text).date()
    except Exception:  # ValueError, OverflowError, odd formats
        if fmt:
            return None, f"{text!r} does not match format {fmt!r}"
        return None, f"{text!r} is not an ISO 8601 date"
    if not MIN_BIRTH_YEAR <= parsed.year <= MAX_BIRTH_YEAR:
        return None, f"{text!r} is outside the plausible years {MIN_BIRTH_YEAR}-{MAX_BIRTH_YEAR}"
    return parsed, None


def _date_detail(value: object, fmt: str | None) -> tuple[datetime.date | None, str | None]:
    if isinstance(value, datetime.date):
        parsed = value.date() if isinstance(value, datetime.datetime) else value
        if MIN_BIRTH_YEAR <= parsed.year <= MAX_BIRTH_YEAR:
            return parsed, None
        return None, f"{parsed.isoformat()!r} is outside the plausible years {MIN_BIRTH_YEAR}-{MAX_BIRTH_YEAR}"
    text = _squash(value)
    if text is None:
        return None, None
    if fmt is not None and not isinstance(fmt, str):
        fmt = None
    return _parse_date_detail(text, fmt or None)


def parse_date(value: str | None, fmt: str | None = None) -> datetime.date | None:
    """Parse a date with exactly ``fmt`` (strptime) or, without one, ISO 8601 (a timestamp's date).

    Returns None on failure or for years outside 1850-2100 (typos like 1089 or 9999 are not
    birth dates).  Explicit formats avoid guessing whether 03/04/1980 is March or April.
    """
    return _date_detail(value, fmt)[0]


# --------------------------------------------------------------------------------------------------
# Postcodes
# --------------------------------------------------------------------------------------------------

_POSTCODE_DROP_RE = re.compile(r"[^A-Z0-9 -]+")
_MULTI_SPACE_RE = re.compile(r" {2,}")
_UK_POSTCODE_RE = re.compile(r"[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}")
_CA_POSTCODE_RE = re.compile(r"[A-Z][0-9][A-Z][0-9][A-Z][0-9]")
_NL_POSTCODE_RE = re.compile(r"[1-9][0-9]{3}[A-Z]{2}")
_US_ZIP4_RE = re.compile(r"([0-9]{3,5}) ?- ?([0-9]{4})")
_UK_REGIONS = frozenset({None, "GB", "IM", "JE", "GG"})


@lru_cache(maxsize=_CACHE_BIG)
@_stabilised
def _clean_postcode_cached(text: str, country: str | None) -> str | None:
    text = _POSTCODE_DROP_RE.sub(" ", _fold(text).upper())
    text = _MULTI_SPACE_RE.sub(" ", text).strip(" -")
    if not text:
        return None
    compact = text.replace(" ", "")
    if compact.isdigit():
        # Spreadsheets turn 02134 into 2134 and 0800 into 800 -- put the zeros back.
        if country == "US" and len(compact) in (3, 4):
            return compact.zfill(5)
        if country == "US" and len(compact) == 9:
            return f"{compact[:5]}-{compact[5:]}"
        if country == "AU" and len(compact) == 3:
            return compact.zfill(4)
        return compact
    if country == "US":
        zip4 = _US_ZIP4_RE.fullmatch(text)
        if zip4:
            return f"{zip4.group(1).zfill(5)}-{zip4.group(2)}"
    if country in _UK_REGIONS and _UK_POSTCODE_RE.fullmatch(compact):
        return f"{compact[:-3]} {compact[-3:]}"
    if country in (None, "CA") and _CA_POSTCODE_RE.fullmatch(compact):
        return f"{compact[:3]} {compact[3:]}"
    if country == "NL" and _NL_POSTCODE_RE.fullmatch(compact):
        return f"{compact[:4]} {compact[4:]}"
    return text if len(text) <= MAX_INPUT_CHARS else None


def clean_postcode(value: str | None, country: str | None = None) -> str | None:
    """Postcode for display: upper-case, single spaces, digits-only codes without spaces.

    With a country: US/AU leading zeros lost by spreadsheets are restored ("2134" -> "02134",
    "800" -> "0800").  UK/Canadian codes get the single space before the last three characters
    ("sw1a1aa" -> "SW1A 1AA"), which is how they are printed and validated.
    """
    text = _squash(value)
    return None if text is None else _clean_postcode_cached(text, _norm_region(country))


def _postcode_key_text(text: str) -> str | None:
    key = _ASCII_ALNUM_DROP_RE.sub("", _fold(text).upper())
    return key if key and len(key) <= MAX_INPUT_CHARS else None


def postcode_key(value: str | None) -> str | None:
    """Match key for a postcode: upper-case ASCII alphanumerics only ("sw1a 1aa" -> "SW1A1AA")."""
    text = _squash(value)
    return None if text is None else _postcode_key_text(text)


# --------------------------------------------------------------------------------------------------
# Street, city, state
# --------------------------------------------------------------------------------------------------

_STREET_TYPE_ALIASES = {
    "St": "street st str",
    "Rd": "road rd",
    "Ave": "avenue ave av",
    "Dr": "drive dr drv",
    "Ln": "lane ln",
    "Ct": "court ct crt",
    "Pl": "place pl",
    "Blvd": "boulevard blvd bvd",
    "Cres": "crescent cres",
    "Tce": "terrace tce terr",
    "Hwy": "highway hwy",
    "Pde": "parade pde",
    "Cl": "close cl",
    "Cct": "circuit cct",
    "Sq": "square sq",
    "Way": "way",
}
# lower-case street type or alias -> standard abbreviation
_STREET_TYPES = {alias: abbr for abbr, aliases in _STREET_TYPE_ALIASES.items() for alias in aliases.split()}
_UNIT_WORDS = frozenset({"unit", "u", "apt", "apartment", "flat", "suite", "ste"})
_COMMA_RE = re.compile(r"\s*,[\s,]*")
_STREET_KEY_SPLIT_RE = re.compile(r"[^a-z0-9]+")
_ALPHA_DIGIT_RE = re.compile(r"(?<=[a-z])(?=[0-9])|(?<=[0-9])(?=[a-z])")
_DIGIT_RE = re.compile(r"\d")


def _is_word(token: str) -> bool:
    return _has_letter(token) and _DIGIT_RE.search(token) is None


@lru_cache(maxsize=_CACHE_MEDIUM)
@_stabilised
def _clean_street_text(text: str) -> str | None:
    text = _COMMA_RE.sub(", ", text).strip(" ,")
    if not text or not _has_alnum(text):
        return None
    out: list[str] = []
    prev_is_word = False
    for token in text.split(" "):
        comma = token.endswith(",")
        core = token[:-1] if comma else token
        low = core.lower().rstrip(".")
        abbr = _STREET_TYPES.get(low)
        # Only abbreviate a street-type word that follows a name word: "12 Court Road" is
        # "12 Court Rd", not "12 Ct Rd".  Already-abbreviated forms ("St.") are always normalised.
        use_abbr = abbr is not None and (prev_is_word or low == abbr.lower())
        word = abbr if use_abbr else _recase(core, ordinals=True)
        out.append(word + "," if comma else word)
        prev_is_word = not comma and low not in _UNIT_WORDS and _is_word(core)
    return _finish(" ".join(out))


def clean_street(value: str | None) -> str | None:
    """Street line for display: title case and standard street-type abbreviations.

    "12 smith STREET" -> "12 Smith St", "Unit 4 , 12 Smith Street" -> "Unit 4, 12 Smith St",
    "4/12 Smith St." -> "4/12 Smith St".  One spelling per street makes addresses comparable.
    """
    text = _squash(value)
    return None if text is None else _clean_street_text(text)


def street_key(value: str | None) -> str | None:
    """Match key for a street: ASCII lower-case words, every street type abbreviated, no punctuation.

    Unit designators are dropped so "Unit 4, 12 Smith Street" and "4/12 Smith St" both give
    "4 12 smith st".
    """
    text = _squash(value)
    return None if text is None else _street_key_text(text)


@lru_cache(maxsize=_CACHE_MEDIUM)
def _street_key_text(text: str) -> str | None:
    folded = _fold(text).lower().replace("'", "")
    folded = _ALPHA_DIGIT_RE.sub(" ", folded)
    words = []
    for word in _STREET_KEY_SPLIT_RE.split(folded):
        if not word or word in _UNIT_WORDS:
            continue
        abbr = _STREET_TYPES.get(word)
        words.append(abbr.lower() if abbr else "st" if word == "saint" else word)
    key = " ".join(words)
    return key if key and len(key) <= MAX_INPUT_CHARS else None


@lru_cache(maxsize=_CACHE_MEDIUM)
@_stabilised
def _clean_city_text(text: str) -> str | None:
    if not _has_letter(text):
        return None
    return _finish(" ".join(_recase(token) for token in text.split(" ")))


def clean_city(value: str | None) -> str | None:
    """City/suburb for display in title case ("NEW YORK" -> "New York", "mcallen" -> "McAllen")."""
    text = _squash(value)
    return None if text is None else _clean_city_text(text)


_AU_STATES = {
    "new south wales": "NSW",
    "victoria": "VIC",
    "queensland": "QLD",
    "western australia": "WA",
    "south australia": "SA",
    "tasmania": "TAS",
    "northern territory": "NT",
    "australian capital territory": "ACT",
    "jervis bay territory": "JBT",
}
_US_STATES = {
    "alabama": "AL",
    "alaska": "AK",
    "arizona": "AZ",
    "arkansas": "AR",
    "california": "CA",
    "calif": "CA",
    "colorado": "CO",
    "connecticut": "CT",
    "delaware": "DE",
    "florida": "FL",
    "georgia": "GA",
    "hawaii": "HI",
    "idaho": "ID",
    "illinois": "IL",
    "indiana": "IN",
    "iowa": "IA",
    "kansas": "KS",
    "kentucky": "KY",
    "louisiana": "LA",
    "maine": "ME",
    "maryland": "MD",
    "massachusetts": "MA",
    "mass": "MA",
    "michigan": "MI",
    "minnesota": "MN",
    "mississippi": "MS",
    "missouri": "MO",
    "montana": "MT",
    "nebraska": "NE",
    "nevada": "NV",
    "new hampshire": "NH",
    "new jersey": "NJ",
    "new mexico": "NM",
    "new york": "NY",
    "north carolina": "NC",
    "north dakota": "ND",
    "ohio": "OH",
    "oklahoma": "OK",
    "oregon": "OR",
    "pennsylvania": "PA",
    "penn": "PA",
    "rhode island": "RI",
    "south carolina": "SC",
    "south dakota": "SD",
    "tennessee": "TN",
    "texas": "TX",
    "utah": "UT",
    "vermont": "VT",
    "virginia": "VA",
    "washington": "WA",
    "west virginia": "WV",
    "wisconsin": "WI",
    "wyoming": "WY",
    "district of columbia": "DC",
    "washington dc": "DC",
    "puerto rico": "PR",
    "guam": "GU",
    "american samoa": "AS",
    "us virgin islands": "VI",
    "northern mariana islands": "MP",
}
_STATE_TABLES: dict[str | None, dict[str, str]] = {
    "AU": _AU_STATES,
    "US": _US_STATES,
    None: {**_US_STATES, **_AU_STATES},
}
_STATE_KEY_DROP_RE = re.compile(r"[.']")


@lru_cache(maxsize=_CACHE_SMALL)
@_stabilised
def _clean_state_cached(text: str, country: str | None) -> str | None:
    key = " ".join(_STATE_KEY_DROP_RE.sub("", text.lower()).split())
    table = _STATE_TABLES.get(country)
    if table is not None and key in table:
        return table[key]
    compact = key.replace(" ", "").upper()
    if compact and len(compact) <= 3 and compact.isalnum():
        return _finish(compact)
    if not _has_alnum(text):
        return None
    return _finish(" ".join(_recase(token) for token in text.split(" ")))


def clean_state(value: str | None, country: str | None = None) -> str | None:
    """State/province: AU and US names -> postal abbreviations ("New South Wales" -> "NSW").

    Otherwise short codes (<= 3 characters, dots ignored: "n.s.w." -> "NSW") are upper-cased and
    longer names title-cased.  Names are only mapped when the country is AU, US or unknown.
    """
    text = _squash(value)
    return None if text is None else _clean_state_cached(text, _norm_region(country))


# --------------------------------------------------------------------------------------------------
# Country
# --------------------------------------------------------------------------------------------------

_COUNTRY_ALIASES = {
    "uk": "GB",
    "u k": "GB",
    "great britain": "GB",
    "britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "united kingdom": "GB",
    "usa": "US",
    "us": "US",
    "u s": "US",
    "u s a": "US",
    "america": "US",
    "united states": "US",
    "united states of america": "US",
    "holland": "NL",
    "netherlands": "NL",
    "south korea": "KR",
    "korea": "KR",
    "republic of korea": "KR",
    "north korea": "KP",
    "russia": "RU",
    "vietnam": "VN",
    "iran": "IR",
    "syria": "SY",
    "laos": "LA",
    "bolivia": "BO",
    "venezuela": "VE",
    "tanzania": "TZ",
    "moldova": "MD",
    "czech republic": "CZ",
    "ivory coast": "CI",
    "macedonia": "MK",
    "swaziland": "SZ",
    "burma": "MM",
    "uae": "AE",
    "emirates": "AE",
    "taiwan": "TW",
    "hong kong": "HK",
    "macau": "MO",
    "brunei": "BN",
    "cape verde": "CV",
    "vatican": "VA",
    "vatican city": "VA",
    "palestine": "PS",
    "turkey": "TR",
    "nz": "NZ",
    "aus": "AU",
    "oz": "AU",
}
_COUNTRY_KEY_RE = re.compile(r"[^a-z0-9]+")


def _country_lookup_key(text: str) -> str:
    key = _fold(text).lower().replace(".", "")
    key = _COUNTRY_KEY_RE.sub(" ", key).strip()
    return key[4:] if key.startswith("the ") else key


@lru_cache(maxsize=1)
def _country_table() -> dict[str, str]:
    """Lookup key -> alpha-2, built once from pycountry (names, official/common names, codes)."""
    table: dict[str, str] = {}
    for country in pycountry.countries:
        for attr in ("name", "official_name", "common_name"):
            name = getattr(country, attr, None)
            if name:
                table.setdefault(_country_lookup_key(name), country.alpha_2)
    for alias, code in _COUNTRY_ALIASES.items():
        table[_country_lookup_key(alias)] = code
    for country in pycountry.countries:  # codes win over any name/alias collision
        table[country.alpha_3.lower()] = country.alpha_2
    for country in pycountry.countries:
        table[country.alpha_2.lower()] = country.alpha_2
    return table


@lru_cache(maxsize=_CACHE_SMALL)
def _clean_country_cached(text: str) -> str | None:
    return _country_table().get(_country_lookup_key(text))


def clean_country(value: str | None) -> str | None:
    """ISO 3166-1 alpha-2 code from a name, alpha-2/alpha-3 code or alias ("U.S.A." -> "US").

    Country drives phone parsing, postcode and state rules, so it must be one canonical code;
    None when unknown rather than a guess.
    """
    text = _squash(value)
    return None if text is None else _clean_country_cached(text)


# --------------------------------------------------------------------------------------------------
# Company, national id
# --------------------------------------------------------------------------------------------------

_LEGAL_SUFFIXES = _words(
    "pty ltd limited inc incorporated llc llp lp corp corporation co company gmbh ag sa plc bv nv "
    "srl sarl sas spa oy oyj ab as asa aps kg kk pte bhd sdn nl"
)
_COMPANY_DROP_RE = re.compile(r"[.'`]")
_COMPANY_SPLIT_RE = re.compile(r"[^a-z0-9]+")


def _clean_company_text(text: str) -> str | None:
    return _finish(text) if _has_alnum(text) else None


def clean_company(value: str | None) -> str | None:
    """Company name for display: trimmed and single-spaced, legal form kept as the source wrote it."""
    text = _squash(value)
    return None if text is None else _clean_company_text(text)


@lru_cache(maxsize=_CACHE_BIG)
def _company_key_cached(text: str) -> str | None:
    folded = _COMPANY_DROP_RE.sub("", _fold(text).lower().replace("&", " and "))
    words = [word for word in _COMPANY_SPLIT_RE.split(folded) if word]
    while len(words) > 1 and words[0] == "the":
        del words[0]
    changed = True
    while changed and len(words) > 1:
        changed = False
        if words[-1] in _LEGAL_SUFFIXES or words[-1] == "and":
            del words[-1]
            changed = True
            continue
        # "S A", "L L C" after spaced dots: join a trailing run of single letters.
        run = 0
        while run < len(words) - 1 and len(words[-1 - run]) == 1:
            run += 1
        if run > 1 and "".join(words[-run:]) in _LEGAL_SUFFIXES:
            del words[-run:]
            changed = True
    key = " ".join(words)
    return key if key and len(key) <= MAX_INPUT_CHARS else None


def company_key(value: str | None) -> str | None:
    """Match key for a company: folded, "&" -> "and", no punctuation, legal form and leading "the" removed.

    "Acme Pty Ltd", "ACME PTY. LIMITED" and "Acme" all give "acme".
    """
    text = _squash(value)
    return None if text is None else _company_key_cached(text)


def clean_national_id(value: str | None) -> str | None:
    """National id (TFN, SSN, ...) as upper-case ASCII alphanumerics; None if under 4 characters.

    Separators differ by source ("123-45-6789" vs "123 45 6789"), the identifier does not.
    """
    text = _squash(value)
    return None if text is None else _national_id_text(text)


def _national_id_text(text: str) -> str | None:
    key = _ASCII_ALNUM_DROP_RE.sub("", _fold(text).upper())
    return key if 4 <= len(key) <= MAX_INPUT_CHARS else None


# --------------------------------------------------------------------------------------------------
# Whole records
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StandardisedRecord:
    """Standardised view of one source row.

    ``attributes`` has every CANONICAL_ATTRIBUTES key (str values, a date for date_of_birth, None
    when missing/invalid); ``match_keys`` has every MATCH_KEYS key (birth_year int); ``issues`` maps
    attribute -> reason for each non-empty raw value that failed validation.
    """

    attributes: dict[str, object]
    match_keys: dict[str, object]
    issues: dict[str, str]


def _quote(raw: object) -> str:
    """repr() of the trimmed raw value for issue messages, shortened if huge."""
    try:
        text = (raw if isinstance(raw, str) else str(raw)).strip()
    except Exception:  # a hostile __str__ must not break standardisation
        text = f"<{type(raw).__name__}>"
    return repr(text) if len(text) <= 80 else repr(text[:77] + "...")


def _prepare(raw: object) -> tuple[bool, str | None]:
    """(present, squashed text) for a raw cell.

    Missing values -- None, NaN, empty or whitespace/control-only text -- are not present and so
    never issues.  Oversized text is present but has no usable text.
    """
    if raw is None:
        return False, None
    if raw.__class__ is str:
        text = raw.strip()
        # Fast path for the typical cell: short printable ASCII (what _squash would do anyway).
        if text and len(text) <= MAX_INPUT_CHARS and text.isascii() and text.isprintable():
            return True, " ".join(text.split()) if "  " in text else text
    text = _squash(raw)
    if text is not None:
        return True, text
    if isinstance(raw, str):
        return len(raw.strip()) > MAX_INPUT_CHARS, None
    if isinstance(raw, float):
        return not math.isnan(raw), None
    return True, None


def _issue(attribute: str, raw: object, template: str) -> str:
    """Issue message quoting the raw value ({q} in the template), or a too-long notice."""
    if isinstance(raw, str) and len(raw.strip()) > MAX_INPUT_CHARS:
        return f"{attribute} value too long ({len(raw.strip())} characters)"
    return template.format(q=_quote(raw))


def standardise_record(
    values: Mapping[str, str | None],
    *,
    region: str | None = None,
    date_formats: Mapping[str, str] | None = None,
) -> StandardisedRecord:
    """Standardise one source row (canonical attribute -> raw string) into display values + keys.

    ``region`` is the source's default country for phone numbers without a country code; the row's
    own country wins when present (it is never *filled* from ``region``).  ``date_formats`` maps
    attribute -> strptime format (only ``date_of_birth`` is used); without one, ISO 8601.  Missing,
    empty or whitespace-only values are never issues; non-empty values that fail validation are.
    """
    get = values.get
    issues: dict[str, str] = {}

    # ---- names: explicit parts win; missing parts come from splitting full_name
    raw = get("given_name")
    has_given, text = _prepare(raw)
    given = _clean_name_cached(text) if text else None
    if has_given and given is None:
        issues["given_name"] = _issue("given_name", raw, "no letters in name {q}")
    raw = get("family_name")
    has_family, text = _prepare(raw)
    family = _clean_name_cached(text) if text else None
    if has_family and family is None:
        issues["family_name"] = _issue("family_name", raw, "no letters in name {q}")
    raw = get("full_name")
    has_full, text = _prepare(raw)
    if has_full:
        split_given, split_family = _split_full_name_cached(text) if text else (None, None)
        if split_given is None and split_family is None:
            issues["full_name"] = _issue("full_name", raw, "no name found in {q}")
        if given is None:
            given = split_given
        if family is None:
            family = split_family
    full_name = f"{given} {family}" if given and family else given or family

    # ---- country first: it drives phone, postcode and state rules
    raw = get("country")
    present, text = _prepare(raw)
    country = _clean_country_cached(text) if text else None
    if present and country is None:
        issues["country"] = _issue("country", raw, "unknown country {q}")
    local_region = country or (_norm_region(region) if region is not None else None)

    # ---- contact points
    raw = get("email")
    present, text = _prepare(raw)
    email = _clean_email_text(text) if text else None
    if present and email is None:
        issues["email"] = _issue("email", raw, "invalid email {q}")
    raw = get("phone")
    present, text = _prepare(raw)
    phone = _clean_phone_cached(text, local_region) if text else None
    if present and phone is None:
        issues["phone"] = _issue("phone", raw, f"unparseable phone {{q}} for region {local_region}")

    # ---- date of birth
    raw = get("date_of_birth")
    present, text = _prepare(raw)
    dob: datetime.date | None = None
    if present:
        fmt = date_formats.get("date_of_birth") if date_formats else None
        dob, reason = _date_detail(raw if text is None else text, fmt)
        if dob is None:
            issues["date_of_birth"] = reason or _issue("date_of_birth", raw, "invalid date {q}")

    # ---- address
    raw = get("street")
    present, text = _prepare(raw)
    street = _clean_street_text(text) if text else None
    if present and street is None:
        issues["street"] = _issue("street", raw, "no street found in {q}")
    raw = get("city")
    present, text = _prepare(raw)
    city = _clean_city_text(text) if text else None
    if present and city is None:
        issues["city"] = _issue("city", raw, "no letters in city {q}")
    raw = get("postcode")
    present, text = _prepare(raw)
    postcode = _clean_postcode_cached(text, local_region) if text else None
    if present and postcode is None:
        issues["postcode"] = _issue("postcode", raw, "invalid postcode {q}")
    raw = get("state")
    present, text = _prepare(raw)
    state = _clean_state_cached(text, local_region) if text else None
    if present and state is None:
        issues["state"] = _issue("state", raw, "invalid state {q}")

    # ---- organisation / identifiers
    raw = get("company")
    present, text = _prepare(raw)
    company = _clean_company_text(text) if text else None
    if present and company is None:
        issues["company"] = _issue("company", raw, "no company name in {q}")
    raw = get("national_id")
    present, text = _prepare(raw)
    national_id = _national_id_text(text) if text else None
    if present and national_id is None:
        issues["national_id"] = _issue("national_id", raw, "national id {q} has fewer than 4 letters/digits")

    given_key = _name_key_cached(given) if given else None
    family_key = _name_key_cached(family) if family else None
    return StandardisedRecord(
        attributes={
            "given_name": given,
            "family_name": family,
            "full_name": full_name,
            "email": email,
            "phone": phone,
            "date_of_birth": dob,
            "street": street,
            "city": city,
            "postcode": postcode,
            "state": state,
            "country": country,
            "company": company,
            "national_id": national_id,
        },
        match_keys={
            "email_key": _email_key_from_clean(email),
            "phone_key": phone,
            "given_key": given_key,
            "family_key": family_key,
            "given_phonetic": _phonetic_from_key(given_key) if given_key else None,
            "family_phonetic": _phonetic_from_key(family_key) if family_key else None,
            "birth_year": dob.year if dob else None,
            "postcode_key": _postcode_key_text(postcode) if postcode else None,
            "street_key": _street_key_text(street) if street else None,
            "company_key": _company_key_cached(company) if company else None,
            "national_id_key": national_id,
        },
        issues=issues,
    )
