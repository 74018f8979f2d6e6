"""Where the secrets come from: the environment variables the config names.

The TOML never holds a secret. In sandbox mode, when those variables are not
set, the embedded sandboxes' own credentials are used: they are generated once
per sandbox data folder into ``credentials.json`` (mode 0600), so the demo and
the tests run with real signatures and real basic auth without anyone
exporting anything.

Credential objects never show their secrets in ``repr`` or ``str``.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nstui.config import ConfigFile

SANDBOX_CREDENTIALS_FILE = "credentials.json"


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
