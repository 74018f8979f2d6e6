"""The two remote systems, opened from a configuration file.

In sandbox mode without a ``base_url`` the embedded simulators run in-process
(served on a loop of their own in a background thread) and the real clients
reach them through an ASGI transport (``sandbox/transport.py``); with a
``base_url`` (e.g. ``nstui sandbox serve``) or in live mode they go over HTTP.
The clients never know which.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, AsyncIterator

from nstui.config import ConfigFile
from nstui.credentials import marketing_credentials, netsuite_credentials, sandbox_credentials
from nstui.marketing.client import MarketingClient
from nstui.netsuite.client import NetSuiteClient

if TYPE_CHECKING:  # the sandboxes are imported only when they are used
    from nstui.sandbox.marketing import MarketingSandbox
    from nstui.sandbox.netsuite import NetSuiteSandbox


@dataclass
class Sandboxes:
    netsuite: NetSuiteSandbox
    marketing: MarketingSandbox

    def close(self) -> None:
        self.netsuite.close()
        self.marketing.close()

    def dump(self) -> dict[str, dict[str, list[dict[str, Any]]]]:
        return {"netsuite": self.netsuite.dump(), "marketing": self.marketing.dump()}


def open_sandboxes(cfg: ConfigFile) -> Sandboxes:
    """The embedded sandboxes of a configuration (created and filled on first use)."""
    from nstui.sandbox.marketing import MarketingSandbox
    from nstui.sandbox.netsuite import NetSuiteSandbox

    folder = cfg.sandbox_dir
    folder.mkdir(parents=True, exist_ok=True)
    ns_creds, mk_creds = sandbox_credentials(folder)
    netsuite = NetSuiteSandbox(
        folder / "netsuite.sqlite",
        account_id=cfg.model.netsuite.account_id,
        credentials=ns_creds,
        sandbox=cfg.model.sandbox,
        fixture=cfg.sandbox_fixture,
        # the simulated account is in the configured time zone, and OneWorld
        # (a second subsidiary) when the configuration names a subsidiary
        time_zone=cfg.model.netsuite.time_zone,
        oneworld=cfg.model.netsuite.subsidiary is not None,
    )
    marketing = MarketingSandbox(folder / "marketing.sqlite", credentials=mk_creds, sandbox=cfg.model.sandbox,
                                 data_fields=configured_data_fields(cfg))
    return Sandboxes(netsuite, marketing)


def configured_data_fields(cfg: ConfigFile) -> dict[str, str]:
    """The marketing data fields the customers and contacts mappings name
    (name -> type), which a new sandbox account is set up with."""
    fields: dict[str, str] = {}
    for name in ("customers", "contacts"):
        for f in cfg.model.datasets.get(name).fields:
            if f.marketing.lower() != "mobilenumber":  # an identifier, not a data field
                fields[f.marketing] = "Boolean" if f.netsuite.startswith("is") else "String"
    return fields


def embedded(cfg: ConfigFile) -> tuple[bool, bool]:
    """Which sides run on the in-process sandbox (sandbox mode, no base_url)."""
    m = cfg.model
    return (
        m.netsuite.mode == "sandbox" and not m.netsuite.base_url,
        m.marketing.mode == "sandbox" and not m.marketing.base_url,
    )


@dataclass
class Connections:
    netsuite: NetSuiteClient
    marketing: MarketingClient
    sandboxes: Sandboxes | None

    def api_calls(self) -> dict[str, int]:
        """Requests sent per side, retries included (``calls`` counts each
        call by kind once, its retries under "retry", 429s also under "throttle")."""
        return {
            "netsuite": sum(v for k, v in self.netsuite.calls.items() if k != "throttle"),
            "marketing": sum(v for k, v in self.marketing.calls.items() if k != "throttle"),
        }

    def counters(self) -> dict[str, int]:
        """Requests sent (retries included), retries and throttled answers (429) per side, for metrics."""
        out: dict[str, int] = {}
        sent = self.api_calls()
        for side, calls in (("netsuite", self.netsuite.calls), ("marketing", self.marketing.calls)):
            out[f"{side}_calls"] = sent[side]
            out[f"{side}_retries"] = calls["retry"]
            out[f"{side}_throttles"] = calls["throttle"]
        return out


@asynccontextmanager
async def open_connections(cfg: ConfigFile, *, sandboxes: Sandboxes | None = None) -> AsyncIterator[Connections]:
    """Both clients, ready; sandboxes are opened (and closed) here unless given."""
    ns_embedded, mk_embedded = embedded(cfg)
    own = None
    if (ns_embedded or mk_embedded) and sandboxes is None:
        sandboxes = own = open_sandboxes(cfg)
    try:
        netsuite = NetSuiteClient(
            cfg.model.netsuite,
            netsuite_credentials(cfg),
            transport=sandboxes.netsuite.transport() if ns_embedded and sandboxes else None,
        )
        marketing = MarketingClient(
            cfg.model.marketing,
            marketing_credentials(cfg),
            transport=sandboxes.marketing.transport() if mk_embedded and sandboxes else None,
        )
        async with netsuite, marketing:
            yield Connections(netsuite, marketing, sandboxes)
    finally:
        if own is not None:
            own.close()
