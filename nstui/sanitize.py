"""One sanitizer for text that came from outside (a remote's answer, a
record's value, a file) before it reaches a terminal, the log, the state
store's messages or ``--json``.

Control characters (C0, DEL, C1: among them ESC and the one-byte CSI, which
start the sequences that set a window title or clear a screen) are shown
escaped (``\\x1b``), never passed through; the text is capped in length.
"""

from __future__ import annotations

import re

#: Longest text kept from outside in one message.
LIMIT = 500

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _escape(m: re.Match[str]) -> str:
    ch = m.group(0)
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def clean(text: object, limit: int = LIMIT) -> str:
    """``text`` as one safe line: control characters escaped, at most
    ``limit`` characters (an ellipsis marks a cut)."""
    s = text if isinstance(text, str) else str(text)
    s = _CONTROL.sub(_escape, s)
    if len(s) > limit:
        s = s[: max(0, limit - 1)] + "…"
    return s


def has_control(text: str, *, allow: str = "") -> bool:
    """True when ``text`` holds a control character other than those in ``allow``."""
    return any(_CONTROL.fullmatch(ch) and ch not in allow for ch in text)


def preview(value: object, keep: int = 4) -> str:
    """A short, escaped prefix of a value that must not be echoed whole (a
    value that may be a secret): ``'ab12…' (64 characters)``."""
    s = value if isinstance(value, str) else str(value)
    shown = clean(s[:keep], limit=keep * 4)
    more = "…" if len(s) > keep else ""
    return f"'{shown}{more}' ({len(s)} characters)"
