"""`nstui doctor`: before the first sync, check on the live accounts (or the
sandboxes) what nstui's requests rely on. Each check is one line: what was
checked, what was found, and when it fails what to do.

NetSuite: the TBA login, the features the seeds need (campaign
subscriptions, marketing automation's global subscription status), every
field the configuration names (and, where it matters, its kind of value), the
items' price level and currency, the subsidiary on a OneWorld account and the
time zone SuiteQL shows times in. Marketing: the API user, the region, the
data fields the mappings name and the lists.

The checks only read; nothing is written on either side.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Awaitable, Callable

from nstui.account_facts import BOOLEAN_MARKETING_TYPES, AccountReader
from nstui.config import ADDRESS_FIELDS, Config
from nstui.engine.datasets.netsuite_fields import STAGE_LISTS
from nstui.marketing.client import RESERVED_LIST_NAMES, MarketingClient
from nstui.netsuite.client import NetSuiteClient
from nstui.netsuite.suiteql import column, parse_ts, ts
from nstui.sanitize import clean

ENTITY_TABLES = {"customers": "customer", "contacts": "contact"}


@dataclass
class Check:
    side: str        # "netsuite" or "marketing"
    name: str        # what was checked
    ok: bool
    detail: str      # what was found
    fix: str = ""    # what to do when it failed

    def line(self) -> str:
        mark = "ok  " if self.ok else "FAIL"
        text = f"{mark} {self.side}: {self.name}: {self.detail}"
        return text if self.ok or not self.fix else f"{text} -> {self.fix}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Problem(Exception):
    """A failed check: what was found, and what to do."""

    def __init__(self, detail: str, fix: str):
        super().__init__(detail)
        self.detail, self.fix = detail, fix


Step = Callable[[], Awaitable[str]]


class Doctor:
    def __init__(self, model: Config, netsuite: NetSuiteClient | None, marketing: MarketingClient | None):
        self.model = model
        self.ns = netsuite
        self.mk = marketing
        #: What the accounts have (the console's pickers read it too).
        self.reader = AccountReader(netsuite, marketing)
        self.checks: list[Check] = []

    async def _run(self, side: str, name: str, step: Step) -> bool:
        try:
            detail = await step()
            self.checks.append(Check(side, name, True, detail))
            return True
        except Problem as e:
            self.checks.append(Check(side, name, False, e.detail, e.fix))
        except Exception as e:  # noqa: BLE001 - a client error names the account and the call, never a secret
            self.checks.append(Check(side, name, False, clean(e), "see the message; then run nstui doctor again"))
        return False

    def _skip(self, side: str, names: list[str], why: str) -> None:
        for name in names:
            self.checks.append(Check(side, name, False, f"not checked: {why}", "fix the failure above first"))

    async def run(self, sides: tuple[str, ...] = ("netsuite", "marketing")) -> list[Check]:
        if "netsuite" in sides and self.ns is not None:
            await self.netsuite_checks()
        if "marketing" in sides and self.mk is not None:
            await self.marketing_checks()
        return self.checks

    # -- NetSuite ----------------------------------------------------------------------

    async def _one_page(self, query: str, size: int = 5) -> list[dict[str, Any]]:
        assert self.ns is not None
        async for page in self.ns.suiteql_pages(query, page_size=size):
            return page
        return []

    async def netsuite_checks(self) -> None:
        assert self.ns is not None
        ns = self.ns
        if not await self._run("netsuite", "login (token-based authentication)", ns.ping):
            self._skip("netsuite", ["features", "fields", "subsidiary", "time zone"], "the login failed")
            return
        await self._run("netsuite", "campaign subscriptions feature", self._campaign_subscriptions)
        await self._run("netsuite", "marketing automation (global subscription status)", self._global_status)
        for dataset, table in ENTITY_TABLES.items():
            ds = self.model.datasets.get(dataset)
            if not ds.enabled:
                continue
            for f in ds.fields:
                await self._run("netsuite", f"{dataset} field {f.netsuite}", self._entity_field(table, f.netsuite,
                                                                                             f.marketing))
        optins = self.model.optins
        if optins.enable_connection and optins.source == "field" and optins.source_field:
            for dataset in optins.datasets:
                await self._run("netsuite", f"opt-in source_field {optins.source_field} on {ENTITY_TABLES[dataset]}",
                                self._checkbox(ENTITY_TABLES[dataset], optins.source_field))
        orders = self.model.datasets.orders
        if orders.enabled:
            for name in orders.custom_fields:
                await self._run("netsuite", f"orders custom field {name}", self._column("transaction", name))
            if orders.link_field:
                await self._run("netsuite", f"orders link_field {orders.link_field}",
                                self._column("transaction", orders.link_field))
        items = self.model.datasets.items
        if items.enabled:
            await self._run("netsuite", f"items price level {items.price_level!r}", self._price_level)
            await self._run("netsuite", f"items currency {items.currency}", self._currency)
            for f in items.fields:
                await self._run("netsuite", f"items field {f.netsuite}", self._column("item", f.netsuite))
        await self._run("netsuite", "subsidiary (OneWorld)", self._subsidiary)
        await self._run("netsuite", "time zone of SuiteQL times", self._time_zone)

    async def _campaign_subscriptions(self) -> str:
        try:
            rows = await self._one_page("SELECT id, name, isinactive FROM campaignsubscription ORDER BY id", 1000)
        except Exception as e:  # noqa: BLE001 (a check that fails for any reason is a failed check, never a crash)
            raise Problem(f"campaign subscriptions cannot be read ({clean(e)})",
                          "enable Setup > Company > Enable Features > CRM > Marketing Automation (campaign "
                          "subscriptions) and give the integration role the Campaign Subscriptions permission") from None
        names = {str(r.get("name", "")).strip().lower(): r for r in rows}
        missing = [m.netsuite_subscription for m in self.model.optins.campaign_subscriptions
                   if m.netsuite_subscription.strip().lower() not in names]
        if missing:
            raise Problem(f"no campaign subscription named {', '.join(map(repr, missing))} "
                          f"(found: {', '.join(sorted(str(r.get('name')) for r in rows)) or 'none'})",
                          "create it in NetSuite (Lists > Marketing > Campaign Subscriptions) or correct "
                          "[[optins.campaign_subscriptions]] netsuite_subscription")
        return f"{len(rows)} subscriptions; every mapped one found"

    async def _global_status(self) -> str:
        try:
            await self._one_page("SELECT c.id, c.globalsubscriptionstatus FROM customer c WHERE 1 = 0", 1)
        except Exception as e:  # noqa: BLE001 (a check that fails for any reason is a failed check, never a crash)
            raise Problem(f"globalsubscriptionstatus cannot be read ({clean(e)})",
                          "enable Marketing Automation (Setup > Company > Enable Features > CRM) and give the "
                          "integration role Customers and Contacts view/edit permissions") from None
        sub = await self._sample_entity("customer")
        if sub is not None:
            assert self.ns is not None
            await self.ns.sublist("customer", sub, "subscriptions")
        return "readable; the subscriptions sublist answers"

    async def _sample_entity(self, table: str) -> int | None:
        rows = await self._one_page(f"SELECT e.id FROM {table} e ORDER BY e.id", 1)
        return int(rows[0]["id"]) if rows else None

    def _entity_field(self, table: str, name: str, marketing: str) -> Step:
        async def step() -> str:
            if name in ADDRESS_FIELDS:
                return await self._column("entityaddress", name)()
            if name == "stage":  # the engine reads a customer's stage as searchstage
                name_ = "searchstage" if table == "customer" else None
                if name_ is None:
                    raise Problem("contacts have no stage", "map stage on customers only")
                return await self._column(table, name_)()
            found = await self._column(table, name)()
            if name.startswith("is") and self.mk is not None:
                kinds = await self._marketing_fields()
                kind = kinds.get(marketing.upper(), "")
                if kind and kind.lower() not in BOOLEAN_MARKETING_TYPES:
                    raise Problem(f"{table}.{name} is a checkbox but marketing data field {marketing} is {kind}",
                                  f"map {name} to a Boolean (yes/no) or String data field")
            return found
        return step

    def _column(self, table: str, name: str) -> Step:
        async def step() -> str:
            column(name)
            try:
                await self._one_page(f"SELECT t.{name} FROM {table} t WHERE 1 = 0", 1)
            except Exception as e:  # noqa: BLE001 (a check that fails for any reason is a failed check, never a crash)
                raise Problem(f"{table} has no field {name} ({clean(e)})",
                              f"correct the field name in the configuration, or create {name} in NetSuite "
                              "and apply it to the record") from None
            return f"{table}.{name} exists"
        return step

    def _checkbox(self, table: str, name: str) -> Step:
        async def step() -> str:
            await self._column(table, name)()
            rows = await self._one_page(f"SELECT t.{name} AS v FROM {table} t WHERE t.{name} IS NOT NULL", 20)
            values = {str(r.get("v")) for r in rows}
            if values - {"T", "F"}:
                raise Problem(f"{table}.{name} holds {', '.join(sorted(values)[:3])}, not a checkbox's T/F",
                              "name a checkbox field (checked = opted in) as [optins] source_field")
            return f"{table}.{name} is a checkbox"
        return step

    async def _price_level(self) -> str:
        name = self.model.datasets.items.price_level
        levels = await self.reader.price_levels()
        if name not in levels:
            raise Problem(f"no price level named {name!r}",
                          "set [datasets.items] price_level to a name under Setup > Accounting > Price Levels")
        return f"price level {name!r} is id {levels[name]}"

    async def _currency(self) -> str:
        code = self.model.datasets.items.currency
        currencies = await self.reader.currencies()
        if code not in currencies:
            raise Problem(f"no currency {code}", "set [datasets.items] currency to the ISO code of a currency "
                                                 "under Lists > Accounting > Currencies")
        return f"currency {code} is id {currencies[code]}"

    async def _subsidiary(self) -> str:
        configured = self.model.netsuite.subsidiary
        try:
            rows = await self._one_page("SELECT id, name FROM subsidiary WHERE isinactive = 'F' ORDER BY id", 1000)
        except Exception:  # noqa: BLE001 (a check that fails for any reason is a failed check, never a crash)
            rows = []  # no subsidiary table readable: not OneWorld
        names = ", ".join(f"{r['id']} {r.get('name', '')}".strip() for r in rows)
        if len(rows) > 1 and configured is None:
            raise Problem(f"a OneWorld account ({len(rows)} subsidiaries: {names}) and no subsidiary set",
                          "set [netsuite] subsidiary = <id> for the customers and contacts nstui creates")
        if configured is not None and rows and configured not in {int(r["id"]) for r in rows}:
            raise Problem(f"subsidiary {configured} is not an active subsidiary ({names})",
                          "set [netsuite] subsidiary to one of them")
        if configured is not None:
            return f"new records get subsidiary {configured}"
        return "not a OneWorld account" if len(rows) <= 1 else "set"

    async def _time_zone(self) -> str:
        assert self.ns is not None
        rows = await self._one_page(
            f"SELECT c.id, {ts('c.lastmodifieddate')} AS modified FROM customer c ORDER BY c.id", 1)
        if not rows:
            return "no customer to compare with; not checked"
        rid = int(rows[0]["id"])
        suiteql = parse_ts(rows[0].get("modified"))
        record = await self.ns.get_record("customer", rid)
        rest = parse_ts(record.get("lastModifiedDate"))
        zone = self.model.netsuite.time_zone
        if suiteql is None or rest is None:
            return "no modification time to compare; not checked"
        drift = (suiteql - rest).total_seconds()
        if abs(drift) >= 60:
            hours = -drift / 3600
            raise Problem(f"with time_zone = {zone!r}, SuiteQL's time for customer {rid} is {suiteql:%Y-%m-%d %H:%M} "
                          f"UTC where the record API says {rest:%Y-%m-%d %H:%M} UTC ({hours:+g} h)",
                          "set [netsuite] time_zone to the time zone preference of the integration user "
                          "(Home > Set Preferences), as an IANA name such as 'America/Los_Angeles'")
        return f"{zone}: SuiteQL and the record API agree"

    # -- marketing ---------------------------------------------------------------------

    async def _marketing_fields(self) -> dict[str, str]:
        if not hasattr(self, "_fields_cache"):
            self._fields_cache = {k.upper(): v for k, v in (await self.reader.data_fields()).items()}
        return self._fields_cache

    async def marketing_checks(self) -> None:
        assert self.mk is not None
        info: dict[str, Any] = {}

        async def login() -> str:
            info.update(await self.mk.account_info())  # type: ignore[union-attr]
            return f"API user accepted ({info.get('Name') or 'account'})"

        if not await self._run("marketing", "API user", login):
            self._skip("marketing", ["region", "data fields", "lists"], "the API user was refused")
            return
        await self._run("marketing", "region", self._region(info))
        await self._run("marketing", "data fields", self._data_fields)
        await self._run("marketing", "lists", self._lists)

    def _region(self, info: dict[str, Any]) -> Step:
        async def step() -> str:
            endpoint = str(info.get("ApiEndpoint") or "").rstrip("/")
            url = self.model.marketing.url
            if endpoint and endpoint.lower() != url.lower():
                raise Problem(f"the account's API endpoint is {endpoint}, the configuration uses {url}",
                              "set [marketing] region to the r1/r2/r3 of that endpoint")
            return f"{url}" + ("" if endpoint else " (the account did not name its endpoint)")
        return step

    async def _data_fields(self) -> str:
        have = await self._marketing_fields()
        wanted = []
        for dataset in ENTITY_TABLES:
            ds = self.model.datasets.get(dataset)
            if ds.enabled:
                wanted += [f.marketing for f in ds.fields if f.marketing.lower() != "mobilenumber"]
        missing = sorted({w for w in wanted if w.upper() not in have})
        if missing:
            raise Problem(f"no data field {', '.join(missing)} in the account",
                          "create it under Settings > Data fields (or correct the mapping's marketing name)")
        return f"{len(set(w.upper() for w in wanted))} mapped data fields found"

    async def _lists(self) -> str:
        assert self.mk is not None
        names = [self.model.marketing.list_name(k) for k in (*STAGE_LISTS.values(), "Contacts")]
        names += [m.list for m in self.model.optins.campaign_subscriptions]
        names += self.model.optins.global_status.add_opt_ins_to_lists
        reserved = [n for n in names if n.strip().lower() in RESERVED_LIST_NAMES]
        if reserved:
            raise Problem(f"{', '.join(map(repr, reserved))} is a list name Dotdigital keeps for itself",
                          "choose another list name in the configuration")
        existing = set(await self.reader.lists())
        missing = [n for n in dict.fromkeys(names) if n not in existing]
        if missing:
            return f"{len(existing)} lists; the first sync creates the {len(missing)} missing"
        return f"every list the configuration names exists ({len(set(names))})"


async def run_doctor(model: Config, netsuite: NetSuiteClient | None, marketing: MarketingClient | None,
                     sides: tuple[str, ...] = ("netsuite", "marketing")) -> list[Check]:
    return await Doctor(model, netsuite, marketing).run(sides)


def report(checks: list[Check]) -> str:
    failed = sum(not c.ok for c in checks)
    lines = [c.line() for c in checks]
    lines.append(f"{len(checks) - failed} of {len(checks)} checks passed" + ("" if not failed else
                                                                             f"; {failed} failed"))
    return "\n".join(lines)
