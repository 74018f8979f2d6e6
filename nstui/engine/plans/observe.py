"""What a plan's records look like on both sides, as digests.

A saved plan keeps, for every record it concerns, a digest of the NetSuite
record (the row the data set's pass reads, with its campaign subscriptions,
an item's price, an order's lines) and of the marketing contact (all of it,
or "absent"); ``nstui apply`` reads the same records again the same way and
refuses when any digest differs. The pass's own queries are used, so both
read exactly what the pass decides from.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any, Iterable

from nstui.engine.datasets.ops import Step
from nstui.netsuite.suiteql import quote

if TYPE_CHECKING:
    from nstui.connections import Connections
    from nstui.engine.datasets.base import PassContext
    from nstui.marketing.model import MarketingContact

ENTITIES = ("customers", "contacts")
ABSENT = "absent"
CHUNK = 500


def digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:32]


def concerned(dataset: str, steps: Iterable[Step]) -> tuple[list[int], list[str]]:
    """The NetSuite record ids and the emails whose records ``steps`` concern."""
    ids: set[int] = set()
    emails: set[str] = set()
    for step in steps:
        if dataset in ENTITIES:
            if "@" in step.key:
                emails.add(step.key)
            if step.record_id is not None and step.record_id > 0:
                ids.add(step.record_id)
        elif step.key.isdigit():
            ids.add(int(step.key))
    return sorted(ids), sorted(emails)


def contact_digest(contact: MarketingContact | None) -> str:
    if contact is None:
        return ABSENT
    return digest({
        "id": contact.contact_id, "status": contact.status, "status_changed": contact.status_changed,
        "suppressed": contact.suppressed, "data_fields": contact.data_fields, "mobile": contact.mobile_number,
        "lists": sorted((k, str(v)) for k, v in contact.lists.items()),
        "suppressed_lists": sorted(contact.suppressed_lists), "updated": contact.updated,
    })


async def observe(ctx: PassContext, ids: list[int], emails: list[str]) -> tuple[dict[str, str], dict[str, str]]:
    """Digests of NetSuite records ``ids`` (of the pass's data set) and of the
    marketing contacts ``emails``, as both sides have them now."""
    # Both sides as they are, not as a dry run's picture has them after its
    # earlier plans: apply compares every batch before it writes anything.
    conn: Connections = getattr(ctx.conn, "real", None) or ctx.conn
    netsuite = await _netsuite(ctx, conn, ids) if ids else {}
    contacts = await conn.marketing.get_contacts(emails) if emails else {}
    marketing = {e: contact_digest(contacts.get(e)) for e in emails}
    return netsuite, marketing


async def _netsuite(ctx: PassContext, conn: Connections, ids: list[int]) -> dict[str, str]:
    from nstui.engine.datasets import PASSES
    from nstui.engine.datasets.entities import EntityPass
    from nstui.engine.datasets.records import ItemsPass, OrdersPass

    one = PASSES[ctx.dataset](ctx)
    found: dict[int, dict[str, Any]] = {}
    for i in range(0, len(ids), CHUNK):
        chunk = ids[i : i + CHUNK]
        marks = ", ".join(quote(x) for x in chunk)
        if isinstance(one, EntityPass):
            select, from_, where = one.select()
            cond = f"c.id IN ({marks})"
        else:
            select, from_, where = one.query()
            cond = f"t.id IN ({marks})"
        query = f"SELECT {select} FROM {from_} WHERE {f'{where} AND {cond}' if where else cond}"
        rows: dict[int, dict[str, Any]] = {int(r["id"]): {"row": r} async for r in conn.netsuite.suiteql(query)}
        if isinstance(one, EntityPass) and one.optins_on and one.optins.campaign_subscriptions and rows:
            subs = await conn.netsuite.entity_subscriptions(one.record_type, sorted(rows))  # type: ignore[arg-type]
            for rid, states in subs.items():
                if rid in rows:
                    rows[rid]["subscriptions"] = sorted((s.name, s.subscribed, str(s.last_modified)) for s in states)
        elif isinstance(one, ItemsPass) and rows:
            prices = await one.prices(sorted(rows))
            for rid in rows:
                rows[rid]["price"] = prices.get(rid)
        elif isinstance(one, OrdersPass) and rows:
            lines = await one.lines(sorted(rows))
            for rid in rows:
                rows[rid]["lines"] = lines.get(rid, [])
        found.update(rows)
    return {str(rid): digest(found[rid]) if rid in found else ABSENT for rid in ids}
