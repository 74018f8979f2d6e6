"""Both remote systems as a dry run sees them: the real clients for reading,
the ``Picture`` (``planned.py``) for what the run's own operations changed.

``simulate(conn, ...)`` gives a dry run's passes connections whose every read
goes to the remote system and is then corrected by the picture, and whose
executor target (``Simulated``) applies each operation to the picture
instead of sending it. The passes and the executor are the real run's code:
a dry run plans what the real run will do because nothing else differs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, AsyncIterator, Callable, Sequence

from nstui.connections import Connections
from nstui.engine.datasets.ops import Op
from nstui.engine.datasets.planned import (
    CREATED_FROM,
    ENTITY_TABLES,
    Picture,
    _opt_out_reason,
    select_names,
)
from nstui.marketing.model import MarketingContact, OptOut
from nstui.netsuite.models import SubscriptionState
from nstui.netsuite.suiteql import parse_ts


class Simulated:
    """The executor's target in a dry run: every write "succeeds" on the picture."""

    def __init__(self, picture: Picture):
        self.picture = picture

    async def bulk(self, group: tuple[Any, ...], ops: list[Any]) -> dict[str, str]:
        for op in ops:
            await self.picture.apply(op)
        return {}

    async def single(self, op: Op) -> int | None:
        return await self.picture.apply(op)


class _Delegate:
    def __init__(self, real: Any, picture: Picture):
        self.real = real
        self.picture = picture

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


class PlannedMarketing(_Delegate):
    """The marketing client's reads, as they will answer after the run's writes."""

    async def get_contacts(self, emails: Sequence[str]) -> dict[str, MarketingContact]:
        mine = self.picture.changed_contacts(emails)
        rest = [e for e in emails if e not in mine]
        found = await self.real.get_contacts(rest) if rest else {}
        self.picture.remember(found, rest)
        found.update({e: c for e, c in mine.items() if c is not None})
        return found

    async def get_contact(self, email: str) -> MarketingContact | None:
        return (await self.get_contacts([email])).get(email)

    async def contacts_changed_since(self, since: datetime | None) -> AsyncIterator[MarketingContact]:
        """The run's contacts are changed now: after every other."""
        async for contact in self.real.contacts_changed_since(since):
            if not self.picture.changed_contacts([contact.email]):
                yield contact
        for contact in self.picture.changed_contacts().values():
            if contact is not None:
                yield contact

    async def opt_outs_since(self, since: datetime) -> AsyncIterator[OptOut]:
        """The opt-outs are a history: one the run's writes made is new, after
        every other; those of a contact the run deleted are gone with it."""
        async for out in self.real.opt_outs_since(since):
            mine = self.picture.changed_contacts([out.email])
            if not mine or mine[out.email] is not None:
                yield out
        for email, contact in self.picture.changed_contacts().items():
            if contact is not None and self.picture.opt_out_is_ours(contact):
                yield OptOut(email, contact.status_changed or since, _opt_out_reason(contact))  # type: ignore[arg-type]

    async def list_changes_since(self, list_id: int, since: datetime) -> AsyncIterator[tuple[str, bool, datetime]]:
        async for email, member, when in self.real.list_changes_since(list_id, since):
            if not self.picture.changed_contacts([email]):
                yield email, member, when
        for email, contact in self.picture.changed_contacts().items():
            if contact is not None and list_id in contact.lists:
                yield email, True, since


class PlannedNetSuite(_Delegate):
    """The NetSuite client's reads of customers and contacts, as they will
    answer after the run's writes."""

    def _overlay(self, record_type: str, row: dict[str, Any], names: Sequence[str]) -> dict[str, Any]:
        """``row`` (of the columns ``names``) with the run's writes to its record.
        SuiteQL leaves a column whose value is null out of its row: a column is
        known by the query's names, not by the row's keys."""
        mine = self.picture.record(record_type, int(row["id"]))
        if mine is None:
            return row
        row = dict(row)
        for name, value in mine["fields"].items():
            if name in names:
                row[name] = value
        for name in ("lastmodifieddate", "lastmodified_iso"):
            if name in row:
                row[name] = mine["at"]
        return row

    async def keyset_pages(self, *, select: str, from_: str, where: str = "", key_time: str, key_id: str,
                           since: datetime | None, after_id: int | None = None,
                           page_size: int | None = None) -> AsyncIterator[list[dict[str, Any]]]:
        """A record the run wrote has moved to the end of the pass (its
        ``lastmodifieddate`` is the write's time); one it created is there too."""
        table = from_.split()[0].lower()
        mine = self.picture.records(table) if table in ENTITY_TABLES else []
        if not mine:
            async for rows in self.real.keyset_pages(select=select, from_=from_, where=where, key_time=key_time,
                                                     key_id=key_id, since=since, after_id=after_id,
                                                     page_size=page_size):
                yield rows
            return
        limit = self.real._limit(page_size)
        moved = {r["id"] for r in mine}
        time_name, id_name = key_time.split(".")[-1].lower(), key_id.split(".")[-1].lower()

        def key(row: dict[str, Any]) -> tuple[datetime, int]:
            return parse_ts(row[time_name]) or datetime.min, int(float(row[id_name]))

        cursor: tuple[datetime | None, int | None] = (since, after_id)
        real_cursor = cursor
        kept: list[dict[str, Any]] = []
        exhausted = False
        while True:
            while len(kept) < limit and not exhausted:
                page: list[dict[str, Any]] = []
                async for got in self.real.keyset_pages(select=select, from_=from_, where=where, key_time=key_time,
                                                        key_id=key_id, since=real_cursor[0], after_id=real_cursor[1],
                                                        page_size=limit):
                    page = got
                    break
                exhausted = len(page) < limit
                if page:
                    real_cursor = key(page[-1])
                kept += [r for r in page if int(float(r[id_name])) not in moved]
            start = cursor
            ours = [r for r in await self._rows(table, select, from_, mine, time_name, id_name)
                    if start[0] is None or (key(r) >= (start[0], -1) if start[1] is None else key(r) > start)]
            merged = sorted(kept + ours, key=key)[:limit]
            if not merged:
                return
            yield merged
            last = key(merged[-1])
            cursor = last
            kept = [r for r in kept if key(r) > last]
            if exhausted and not kept and not any(key(r) > last for r in ours):
                return

    async def _rows(self, table: str, select: str, from_: str, mine: list[dict[str, Any]], time_name: str,
                    id_name: str) -> list[dict[str, Any]]:
        """The full rows of the records the run wrote, as they are now."""
        real_ids = [r["id"] for r in mine if not r["created"]]
        rows: dict[int, dict[str, Any]] = {}
        if real_ids:
            for row in await self.real.rows_by_id(select, from_, "", real_ids):
                rows[int(float(row["id"]))] = row
        names = [*select_names(select), time_name, id_name]
        out = []
        for rec in mine:
            row = rows.get(rec["id"]) or ({} if not rec["created"] else {n: None for n in names})
            if not row:
                continue  # deleted since
            row = {**row, **{k: v for k, v in rec["fields"].items() if k in names}, "id": rec["id"],
                   id_name: rec["id"], time_name: rec["at"]}
            if "lastmodified_iso" in row:
                row["lastmodified_iso"] = rec["at"]
            out.append(row)
        return out

    async def rows_by_id(self, select: str, from_: str, where: str, ids: Sequence[int]) -> list[dict[str, Any]]:
        """``SELECT select FROM from_ WHERE where AND <alias>.id IN ids`` with the run's writes."""
        table = from_.split()[0].lower()
        created = {i for i in ids if i >= CREATED_FROM}  # a record only the picture has
        real = [i for i in ids if i not in created]
        rows = await self.real.rows_by_id(select, from_, where, real) if real else []
        if table not in ENTITY_TABLES:
            return rows
        names = select_names(select)
        out = [self._overlay(table, r, names) for r in rows]
        for i in sorted(created):
            rec = self.picture.record(table, i)
            if rec is not None:
                out.append({**{n: None for n in names}, **{k: v for k, v in rec["fields"].items() if k in names},
                            "id": i, "lastmodified_iso": rec["at"]})
        return out

    async def entities_by_email(self, emails: Sequence[str]) -> list[dict[str, Any]]:
        wanted = {e.lower() for e in emails}
        out = []
        for ref in await self.real.entities_by_email(sorted(wanted)):
            row = self._overlay(ref["record_type"], ref, ("email", "globalsubscriptionstatus"))
            if str(row.get("email") or "").lower() in wanted:
                out.append(row)
        seen = {(r["record_type"], r["id"]) for r in out}
        for rec in self.picture.records():
            email = str(rec["fields"].get("email") or "").lower()
            if email in wanted and (rec["record_type"], rec["id"]) not in seen:
                out.append({"record_type": rec["record_type"], "id": rec["id"], "email": rec["fields"]["email"],
                            "globalsubscriptionstatus": rec["fields"].get("globalsubscriptionstatus")})
        return out

    async def entities_by_id(self, ids: Sequence[int]) -> list[dict[str, Any]]:
        out = [self._overlay(r["record_type"], r, ("email",)) for r in await self.real.entities_by_id(list(ids))]
        for rec in self.picture.records():
            if rec["created"] and rec["id"] in ids:
                out.append({"record_type": rec["record_type"], "id": rec["id"], "email": rec["fields"].get("email")})
        return out

    async def entity_subscriptions(self, record_type: str, ids: Sequence[int]) -> dict[int, list[SubscriptionState]]:
        """A new record has its campaign subscriptions' defaults; a tick or an
        untick the run wrote is there, as of the write."""
        mine = {i: r for i in ids if (r := self.picture.record(record_type, i)) is not None}
        real = [i for i in ids if i not in mine or not mine[i]["created"]]
        found: dict[int, list[SubscriptionState]] = (
            await self.real.entity_subscriptions(record_type, real) if real else {})
        names = {sid: name for sid, (name, _) in (await self.picture.subscription_defaults()).items()} if mine else {}
        for rid, rec in mine.items():
            when = parse_ts(rec["at"]) or datetime.min
            states = {s.subscription_id: s for s in found.get(rid, [])}
            for sid, subscribed in rec["subs"].items():
                old = states.get(sid)
                if old is None or old.subscribed != subscribed:
                    states[sid] = SubscriptionState(sid, old.name if old else names.get(sid, ""), subscribed, when)
            found[rid] = list(states.values())
        return found


@dataclass
class SimulatedConnections(Connections):
    picture: Picture | None = None
    #: The connections themselves, for what must see both sides as they are
    #: (a saved plan's digests, ``plans/observe.py``).
    real: Connections | None = None


def simulate(conn: Connections, state: Any, clock: Callable[[], datetime]) -> Connections:
    """``conn`` as a dry run's passes use it."""
    picture = Picture(state, conn.netsuite, conn.marketing, clock)
    return SimulatedConnections(PlannedNetSuite(conn.netsuite, picture),  # type: ignore[arg-type]
                                PlannedMarketing(conn.marketing, picture),  # type: ignore[arg-type]
                                conn.sandboxes, picture, conn)


