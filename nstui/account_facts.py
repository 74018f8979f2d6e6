"""What the connected accounts have, read through the real clients: NetSuite's
fields of each record (with their kind, from the REST metadata catalog), price
levels, currencies and campaign subscriptions; the marketing platform's data
fields and lists. `nstui doctor` and the console's pickers read them here.

And the rules that hold a setting against them, as plain functions of data:
a name the account does not have, or a field whose kind does not fit, is one
line naming the setting and what is allowed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Sequence

from nstui.config import ADDRESS_FIELDS, FieldMapping
from nstui.sanitize import clean

if TYPE_CHECKING:
    from nstui.config import ConfigFile
    from nstui.marketing.client import MarketingClient
    from nstui.netsuite.client import NetSuiteClient

#: A NetSuite field's kind, in FieldMapping.netsuite_type's words.
KIND_LABELS = {"text": "text", "checkbox": "checkbox", "select": "list/record", "multiselect": "multiple select",
               "date": "date", "number": "number"}
#: The REST record type whose fields a data set maps. Items come in several
#: record types that share their body fields; the inventory item stands for them.
RECORD_TYPES = {"customers": "customer", "contacts": "contact", "items": "inventoryitem"}
#: Names the engine reads itself beside the record's own fields: the default
#: billing address's fields, and a customer's sales stage.
ENGINE_FIELDS = {"customers": [*ADDRESS_FIELDS, "stage"], "contacts": list(ADDRESS_FIELDS)}
#: The marketing data field types a NetSuite checkbox can be written to
#: (seed 003: a yes/no value, or text holding True/False).
BOOLEAN_MARKETING_TYPES = {"boolean", "string"}
#: Not a data field: the contact's Mobile Number identifier.
MOBILE_NUMBER = "mobileNumber"


@dataclass(frozen=True)
class NetSuiteField:
    name: str    # as SuiteQL and the configuration name it: lower case
    kind: str    # a key of KIND_LABELS
    title: str
    custom: bool = False

    @property
    def label(self) -> str:
        return f"{self.name:<30} {KIND_LABELS[self.kind]}"


def field_kind(prop: dict[str, Any]) -> str | None:
    """A metadata-catalog property's kind; None for what is no field (a sublist, links)."""
    kind = prop.get("type")
    if "$ref" in prop:
        return "select"
    if kind == "boolean":
        return "checkbox"
    if kind in ("integer", "number"):
        return "number"
    if kind == "string":
        return "date" if prop.get("format") in ("date", "date-time") else "text"
    if kind == "object":
        inner = prop.get("properties") or {}
        if "id" in inner:
            return "select"  # "Format of Selects and References"
        if "items" in inner and "hasMore" not in inner:
            return "multiselect"  # "Format of Multiselects": references under items, not paged
    return None  # a sublist (paged collection), a subrecord, links


def parse_fields(properties: dict[str, Any]) -> dict[str, NetSuiteField]:
    """The fields of a record's JSON Schema, by SuiteQL name (the REST name in
    lower case: ``firstName`` is SuiteQL's ``firstname``)."""
    out: dict[str, NetSuiteField] = {}
    for rest_name, prop in properties.items():
        if rest_name in ("links", "refName") or not isinstance(prop, dict):
            continue
        kind = field_kind(prop)
        if kind is None:
            continue
        name = rest_name.lower()
        custom = bool(prop.get("x-ns-custom-field")) or name.startswith(("custentity", "custitem", "custbody"))
        out[name] = NetSuiteField(name, kind, clean(prop.get("title") or rest_name, 60), custom)
    return out


class AccountReader:
    """Reads what the accounts have, each thing once (a reader lives as long
    as one check or one console session)."""

    def __init__(self, netsuite: NetSuiteClient | None, marketing: MarketingClient | None):
        self.ns = netsuite
        self.mk = marketing
        self._cache: dict[str, Any] = {}

    async def _one_page(self, query: str, size: int) -> list[dict[str, Any]]:
        assert self.ns is not None
        async for page in self.ns.suiteql_pages(query, page_size=size):
            return page
        return []

    async def record_fields(self, record_type: str) -> dict[str, NetSuiteField]:
        key = f"fields:{record_type}"
        if key not in self._cache:
            assert self.ns is not None
            self._cache[key] = parse_fields(await self.ns.record_metadata(record_type))
        return self._cache[key]  # type: ignore[no-any-return]

    async def price_levels(self) -> dict[str, int]:
        """Price level name -> id."""
        if "price_levels" not in self._cache:
            rows = await self._one_page("SELECT id, name FROM pricelevel ORDER BY id", 1000)
            self._cache["price_levels"] = {str(r.get("name", "")): int(r["id"]) for r in rows}
        return self._cache["price_levels"]  # type: ignore[no-any-return]

    async def currencies(self) -> dict[str, int]:
        """Currency ISO code (its symbol) -> id."""
        if "currencies" not in self._cache:
            rows = await self._one_page("SELECT id, symbol FROM currency ORDER BY id", 1000)
            self._cache["currencies"] = {str(r.get("symbol", "")): int(r["id"]) for r in rows}
        return self._cache["currencies"]  # type: ignore[no-any-return]

    async def subscriptions(self) -> list[str]:
        """The active campaign subscriptions' names."""
        if "subscriptions" not in self._cache:
            assert self.ns is not None
            self._cache["subscriptions"] = [s.name for s in await self.ns.list_campaign_subscriptions()
                                            if not s.inactive]
        return self._cache["subscriptions"]  # type: ignore[no-any-return]

    async def data_fields(self) -> dict[str, str]:
        """The marketing account's contact data fields: name -> type (String, Numeric, Date, Boolean)."""
        if "data_fields" not in self._cache:
            assert self.mk is not None
            self._cache["data_fields"] = await self.mk.data_fields()
        return self._cache["data_fields"]  # type: ignore[no-any-return]

    async def lists(self) -> list[str]:
        if "lists" not in self._cache:
            assert self.mk is not None
            self._cache["lists"] = sorted(lst.name for lst in await self.mk.list_lists())
        return self._cache["lists"]  # type: ignore[no-any-return]


# -- the facts the console holds --------------------------------------------------------


@dataclass
class NetSuiteFacts:
    #: data set -> SuiteQL name -> field (the record's own and the engine's).
    fields: dict[str, dict[str, NetSuiteField]]
    price_levels: list[str]
    currencies: list[str]
    subscriptions: list[str]


@dataclass
class MarketingFacts:
    data_fields: dict[str, str]
    lists: list[str]


@dataclass
class Facts:
    """Both sides; a side that could not be read is None, with the reason."""
    netsuite: NetSuiteFacts | None = None
    marketing: MarketingFacts | None = None
    problems: dict[str, str] = field(default_factory=dict)


async def read_netsuite(reader: AccountReader) -> NetSuiteFacts:
    fields: dict[str, dict[str, NetSuiteField]] = {}
    for dataset, record_type in RECORD_TYPES.items():
        own = dict(await reader.record_fields(record_type))
        for name in ENGINE_FIELDS.get(dataset, []):
            own.setdefault(name, NetSuiteField(name, "text", "address" if name != "stage" else "sales stage"))
        fields[dataset] = own
    return NetSuiteFacts(fields, list(await reader.price_levels()), sorted(await reader.currencies()),
                         await reader.subscriptions())


async def read_marketing(reader: AccountReader) -> MarketingFacts:
    return MarketingFacts(await reader.data_fields(), await reader.lists())


async def read_facts(cfg: ConfigFile) -> Facts:
    """Both accounts' facts; a side that cannot be reached is reported, not raised."""
    from nstui.connections import open_connections

    facts = Facts()
    try:
        async with open_connections(cfg) as conn:
            reader = AccountReader(conn.netsuite, conn.marketing)
            try:
                facts.netsuite = await read_netsuite(reader)
            except Exception as e:  # noqa: BLE001 (an unreachable account is a state, never a crash)
                facts.problems["netsuite"] = clean(e, 200)
            try:
                facts.marketing = await read_marketing(reader)
            except Exception as e:  # noqa: BLE001 (likewise)
                facts.problems["marketing"] = clean(e, 200)
    except Exception as e:  # noqa: BLE001 (the sandboxes or the credentials could not be opened)
        facts.problems.setdefault("netsuite", clean(e, 200))
        facts.problems.setdefault("marketing", clean(e, 200))
    return facts


# -- the rules ---------------------------------------------------------------------------


def _some(names: list[str], limit: int = 6) -> str:
    shown = ", ".join(names[:limit])
    return (f"{shown}, ... ({len(names)} in all)" if len(names) > limit else shown) or "none"


def source_field_choices(facts: NetSuiteFacts, datasets: Sequence[str]) -> list[NetSuiteField]:
    """The custom checkbox and list fields that every synced record type has
    (seed 003: opt-in/out kept in a field instead of the subscriptions)."""
    wanted = [d for d in datasets if d in ("customers", "contacts")] or ["customers", "contacts"]
    first, *rest = wanted
    return [f for f in facts.fields[first].values()
            if f.custom and f.kind in ("checkbox", "select")
            and all(f.name in facts.fields[d] and facts.fields[d][f.name].kind == f.kind for d in rest)]


def source_field_problem(name: str, facts: NetSuiteFacts, datasets: Sequence[str]) -> str | None:
    choices = source_field_choices(facts, datasets)
    if name.strip().lower() in {f.name for f in choices}:
        return None
    records = " and ".join(RECORD_TYPES[d] for d in (datasets or ["customers", "contacts"]) if d in RECORD_TYPES)
    return (f"optins.source_field: {name!r} is not a custom checkbox or list field of {records} in NetSuite "
            f"(it has: {_some([f.name for f in choices])})")


def price_level_problem(name: str, levels: Sequence[str]) -> str | None:
    """Why ``name`` is no price level of NetSuite's ``levels``; None when it is one."""
    if name in levels:
        return None
    return f"datasets.items.price_level: NetSuite has no price level {name!r} (it has: {_some(list(levels))})"


def currency_problem(code: str, currencies: Sequence[str]) -> str | None:
    """Why ``code`` is no currency of NetSuite's ``currencies``; None when it is one."""
    if code in currencies:
        return None
    return f"datasets.items.currency: NetSuite has no currency {code!r} (it has: {_some(list(currencies))})"


def marketing_kind(facts: MarketingFacts, name: str) -> str | None:
    return next((kind for n, kind in facts.data_fields.items() if n.upper() == name.upper()), None)


def mapping_problems(dataset: str, mapping: FieldMapping, netsuite: NetSuiteFacts | None,
                     marketing: MarketingFacts | None) -> list[str]:
    """Why a field mapping does not fit the accounts (one line each); [] when it does."""
    problems: list[str] = []
    found = netsuite.fields.get(dataset, {}).get(mapping.netsuite.lower()) if netsuite else None
    if netsuite is not None and found is None:
        record = RECORD_TYPES.get(dataset, dataset)
        problems.append(f"netsuite: NetSuite's {record} record has no field {mapping.netsuite!r} "
                        f"(pick one of its {len(netsuite.fields.get(dataset, {}))} fields)")
    if found is not None:
        if dataset == "items" and found.kind == "multiselect":
            problems.append(f"netsuite: {found.name} is a multiple select field in NetSuite; multi-select fields "
                            "cannot be mapped on items (seed 003)")
        elif mapping.netsuite_type and mapping.netsuite_type != found.kind:
            problems.append(f"netsuite_type: {found.name} is a {KIND_LABELS[found.kind]} field in NetSuite, not "
                            f"{KIND_LABELS.get(mapping.netsuite_type, mapping.netsuite_type)}")
    if marketing is not None and dataset in ("customers", "contacts") and mapping.marketing != MOBILE_NUMBER:
        kind = marketing_kind(marketing, mapping.marketing)
        if kind is None:
            problems.append(f"marketing: the marketing account has no data field {mapping.marketing!r} "
                            f"(it has: {_some(sorted(marketing.data_fields))}, and {MOBILE_NUMBER})")
        elif found is not None and found.kind == "checkbox" and kind.lower() not in BOOLEAN_MARKETING_TYPES:
            problems.append(f"marketing: {found.name} is a checkbox but data field {mapping.marketing} is {kind}; "
                            "map it to a Boolean or String data field")
    return problems
