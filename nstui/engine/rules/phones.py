"""Seed 003: a phone mapped to the Mobile Number "is synced as long as it is a
valid E.164 formatted international number ... or if we can convert the local
number using the default country you specify"."""

from __future__ import annotations

import functools

import phonenumbers


def to_e164(raw: object, default_country: str) -> tuple[str | None, str]:
    if raw is None or not str(raw).strip():
        return None, ""
    return _e164(str(raw).strip(), default_country)


@functools.lru_cache(maxsize=8192)  # phonenumbers' parse is ~50 µs; a value recurs on every pass
def _e164(text: str, default_country: str) -> tuple[str | None, str]:
    region = None if text.startswith("+") else default_country
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as e:
        return None, f"phone {text!r} left out: not a number ({e})"
    if not phonenumbers.is_valid_number(number):
        where = "as an international number" if region is None else f"for default country {default_country}"
        return None, f"phone {text!r} left out: not valid {where}"
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), ""
