"""Seed 003: "All email addresses are made lowercase" and "Email addresses are
validated prior to synchronisation. Invalid email addresses cannot be processed."
"""

from __future__ import annotations

import functools

from email_validator import EmailNotValidError, validate_email


def normalize_email(raw: object) -> tuple[str | None, str]:
    """(email, "") for a usable address, else (None, reason).

    Lower-cased before validation: email-validator keeps the local part's case,
    and the marketing platform keys contacts by the lower-case address.
    """
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None, "no email address"
    return _normalized(str(raw).strip().lower())


@functools.lru_cache(maxsize=8192)  # a record's address is checked on each side and each pass; bounded
def _normalized(text: str) -> tuple[str | None, str]:
    try:
        # No DNS: there is none here or in CI, and a mail host that is down
        # today does not make an address invalid.
        result = validate_email(text, check_deliverability=False, allow_smtputf8=True)
    except EmailNotValidError as e:
        return None, f"invalid email address ({e})"
    return result.normalized.lower(), ""
