"""The engine under test: real clients against the embedded sandboxes."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from nstui.config import ConfigFile
from nstui.connections import Sandboxes, open_sandboxes
from nstui.engine import Engine
from nstui.engine import events as ev

BASE = """
[netsuite]
account_id = "1234567-SB1"
page_size = {page_size}

[marketing]
parent_company = "Parent Company"
company = "Acme Inc."
country_code = "US"

[sandbox]
data_dir = "sandbox"
seed = {seed}
records = {records}

[state]
path = "state.sqlite"

[optins]
enable_connection = true
create_missing_contact = {create_missing}

[[optins.campaign_subscriptions]]
netsuite_subscription = "Newsletter"
direction = "{newsletter_direction}"
list = "Newsletter"

[optins.global_status]
direction = "{status_direction}"
soft_opt_in_status = "onboarding"
confirmed_opt_in_status = "onboarding"
soft_opt_out_for_unsubscribed = true
soft_opt_out_for_bounce = true
add_opt_ins_to_lists = ["VIP"]
remove_opt_outs_from_lists = true

[datasets.customers]
record_types = "{record_types}"
default_country = "US"

[[datasets.customers.fields]]
netsuite = "firstname"
marketing = "FIRSTNAME"
direction = "{name_direction}"

[[datasets.customers.fields]]
netsuite = "lastname"
marketing = "LASTNAME"
direction = "{name_direction}"

[[datasets.customers.fields]]
netsuite = "isperson"
marketing = "ISPERSON"

[[datasets.customers.fields]]
netsuite = "companyname"
marketing = "COMPANYNAME"

[[datasets.customers.fields]]
netsuite = "phone"
marketing = "mobileNumber"

[[datasets.customers.fields]]
netsuite = "city"
marketing = "CITY"

[datasets.contacts]
record_types = "persons"

[[datasets.contacts.fields]]
netsuite = "firstname"
marketing = "FIRSTNAME"
direction = "both"

{address_mappings}
"""


@dataclass
class Env:
    cfg: ConfigFile
    boxes: Sandboxes
    events: list[ev.Event] = field(default_factory=list)

    def engine(self) -> Engine:
        bus = ev.EventBus()
        bus.listen(self.events.append)
        return Engine(self.cfg, bus=bus, sandboxes=self.boxes)

    async def sync(self, *datasets: str, dry_run: bool = False, **kw: Any) -> ev.RunSummary:
        self.events.clear()
        names = list(datasets) or ["customers", "contacts"]
        return await self.engine().run_once(names, dry_run=dry_run, **kw)

    @property
    def ns(self):
        return self.boxes.netsuite

    @property
    def mk(self):
        return self.boxes.marketing

    def of(self, kind: type) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]


def write_config(tmp_path: Path, **overrides: Any) -> Path:
    values: dict[str, Any] = dict(
        seed=7, records=0, page_size=1000, create_missing="false", newsletter_direction="both",
        status_direction="bronto_to_netsuite", record_types="both", name_direction="both",
        address_mappings="",
    )
    values.update(overrides)
    path = tmp_path / "nstui.toml"
    path.write_text(BASE.format(**values))
    return path


@pytest.fixture
def make_env(tmp_path):
    made: list[Env] = []

    def make(**overrides: Any) -> Env:
        cfg = ConfigFile.load(write_config(tmp_path, **overrides))
        env = Env(cfg, open_sandboxes(cfg))
        made.append(env)
        return env

    yield make
    for env in made:
        env.boxes.close()
