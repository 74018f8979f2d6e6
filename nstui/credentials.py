"""Where the secrets come from: the environment variables the config names.

The TOML never holds a secret. In sandbox mode, when those variables are not
set, the embedded sandboxes' own credentials are used: they are generated once
per sandbox data folder into ``credentials.json`` (mode 0600), so the demo and
the tests run with real signatures and real basic auth without anyone
exporting anything.

Credential objects never show their secrets in ``repr`` or ``str``.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import re
import secrets
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nstui.config import ConfigFile

SANDBOX_CREDENTIALS_FILE = "credentials.json"


#: An environment variable name: letters, digits and _, not starting with a digit.
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
#: Names longer than this are not names (the longest in common use are ~40).
ENV_NAME_MAX = 64


def _entropy(text: str) -> float:
    """Shannon entropy in bits per character."""
    counts = Counter(text)
    return -sum(c / len(text) * math.log2(c / len(text)) for c in counts.values())


def _kind(ch: str) -> str:
    return "upper" if ch.isupper() else "lower" if ch.islower() else "digit" if ch.isdigit() else "_"


def _class_changes(text: str) -> float:
    """Changes between upper case, lower case and digits per character, not
    counting an upper-case letter starting a word (CamelCase): names change
    rarely (MyConsumerKey: 0.15), random text about every other character."""
    changes = sum(
        1 for a, b in itertools.pairwise(text)
        if _kind(a) != _kind(b) and "_" not in (_kind(a), _kind(b)) and (_kind(a), _kind(b)) != ("upper", "lower")
    )
    return changes / max(1, len(text.replace("_", "")))


def secret_reason(value: str) -> str | None:
    """Why ``value`` is not the NAME of an environment variable but looks like
    a secret pasted in its place; None when it reads as a name.

    Names are words joined by ``_`` (NSTUI_NS_TOKEN_SECRET). Secrets are runs
    of hex or base64 characters: NetSuite's are 64 hex digits, Dotdigital
    passwords are mixed letters and digits. A word of a name is short, or
    letters only in one case; a run of 16+ hex characters, a 12+ character
    word mixing digits and letters, case and digits interleaved as in random
    text, or a high-entropy value with no ``_`` at all is refused."""
    if not ENV_NAME.match(value):
        return "must be the NAME of an environment variable (letters, digits, _, not starting with a digit)"
    if len(value) > ENV_NAME_MAX:
        return f"is longer than {ENV_NAME_MAX} characters: a secret, not the name of the variable holding it"
    for word in value.split("_"):
        digits = sum(ch.isdigit() for ch in word)
        letters = sum(ch.isalpha() for ch in word)
        hexish = re.fullmatch(r"[0-9a-fA-F]+", word) is not None
        if hexish and len(word) >= 16 and digits:
            return "looks like a secret (a run of hex digits), not the name of an environment variable"
        vowels = sum(ch in "aeiouAEIOU" for ch in word)
        if len(word) >= 8 and word != word.upper() and word != word.lower() and vowels / len(word) < 0.17:
            return "looks like a secret (mixed-case letters that spell no word), not the name of an environment variable"
        if len(word) >= 12 and digits >= 3 and letters:
            return "looks like a secret (letters and digits mixed), not the name of an environment variable"
    if len(value) >= 10 and _class_changes(value) >= 0.34:
        return "looks like a secret (upper case, lower case and digits interleaved), not the name of an environment variable"
    if "_" not in value and len(value) >= 16 and _entropy(value) >= 3.8 and _class_changes(value) >= 0.2:
        return "looks like a secret (random characters), not the name of an environment variable"
    return None


class CredentialsError(Exception):
    """A credential is missing; the message names the variable, never a value."""


@dataclass(frozen=True)
class NetSuiteCredentials:
    consumer_key: str = field(repr=False)
    consumer_secret: str = field(repr=False)
    token_id: str = field(repr=False)
    token_secret: str = field(repr=False)

    def __repr__(self) -> str:
        return "NetSuiteCredentials(<hidden>)"

    __str__ = __repr__


@dataclass(frozen=True)
class MarketingCredentials:
    username: str = field(repr=False)
    password: str = field(repr=False)

    def __repr__(self) -> str:
        return "MarketingCredentials(<hidden>)"

    __str__ = __repr__


def sandbox_credentials(sandbox_dir: Path) -> tuple[NetSuiteCredentials, MarketingCredentials]:
    """The sandboxes' credentials, generated on first use."""
    sandbox_dir.mkdir(parents=True, exist_ok=True)
    path = sandbox_dir / SANDBOX_CREDENTIALS_FILE
    try:
        data = json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        data = {
            "netsuite": {
                "consumer_key": secrets.token_hex(32),
                "consumer_secret": secrets.token_hex(32),
                "token_id": secrets.token_hex(32),
                "token_secret": secrets.token_hex(32),
            },
            "marketing": {
                "username": f"apiuser-{secrets.token_hex(6)}@apiconnector.com",
                "password": secrets.token_urlsafe(18),
            },
        }
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(data, f)
    return NetSuiteCredentials(**data["netsuite"]), MarketingCredentials(**data["marketing"])


def env_status(names: list[str]) -> dict[str, bool]:
    """Which of the named variables are set (for the console: never the values)."""
    return {n: bool(os.environ.get(n)) for n in names}


def _from_env(names: dict[str, str], what: str) -> dict[str, str] | None:
    values = {k: os.environ.get(v, "") for k, v in names.items()}
    if all(values.values()):
        return values
    if any(values.values()):
        missing = [names[k] for k, v in values.items() if not v]
        raise CredentialsError(f"{what}: environment variable(s) {', '.join(missing)} not set")
    return None


def netsuite_credentials(cfg: "ConfigFile") -> NetSuiteCredentials:
    ns = cfg.model.netsuite
    names = {
        "consumer_key": ns.consumer_key_env,
        "consumer_secret": ns.consumer_secret_env,
        "token_id": ns.token_id_env,
        "token_secret": ns.token_secret_env,
    }
    values = _from_env(names, "NetSuite")
    if values:
        return NetSuiteCredentials(**values)
    if ns.mode == "sandbox":
        return sandbox_credentials(cfg.sandbox_dir)[0]
    raise CredentialsError(
        "NetSuite: set the environment variables " + ", ".join(names.values())
        + " (Token-Based Authentication: consumer key/secret and token id/secret)"
    )


def marketing_credentials(cfg: "ConfigFile") -> MarketingCredentials:
    mk = cfg.model.marketing
    names = {"username": mk.username_env, "password": mk.password_env}
    values = _from_env(names, "marketing platform")
    if values:
        return MarketingCredentials(**values)
    if mk.mode == "sandbox":
        return sandbox_credentials(cfg.sandbox_dir)[1]
    raise CredentialsError(
        f"marketing platform: set the environment variables {mk.username_env} and "
        f"{mk.password_env} (the Dotdigital API user's email and password)"
    )
