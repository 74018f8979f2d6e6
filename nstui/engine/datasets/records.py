"""Items -> the product catalog, and sales orders / cash sales -> order data
(seed 003, "Item data for product catalog creation" and "Orders").

Both are one-way (NetSuite to the platform's insight data) and share one
shape: read NetSuite's changes page by page, build each record's JSON, send
only what differs from what was sent last (a digest in the state), remove what
must leave, commit the page with its watermark.
"""

from __future__ import annotations

import hashlib
import json
from contextlib import aclosing
from datetime import datetime
from decimal import Decimal
from typing import Any

from nstui.account_facts import AccountReader, currency_problem, price_level_problem
from nstui.engine import events as ev
from nstui.engine.datasets.base import PassContext, Plan, breathe, read_ahead
from nstui.engine.datasets.intents import reconcile_intents
from nstui.engine.datasets.ops import InsightDelete, InsightUpsert, SetDigest, Step
from nstui.engine.errors import EngineError, netsuite_values
from nstui.engine.rules.emails import normalize_email
from nstui.engine.rules.watermark import read_from
from nstui.engine.state import parse_iso
from nstui.netsuite.suiteql import quote, ts


async def _nothing(page: list[dict[str, Any]]) -> None:
    return None


ORDERS_COLLECTION = "Orders"


def digest(record: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(record, sort_keys=True, default=str).encode()).hexdigest()


def money(value: Any) -> float:
    if value in (None, ""):
        return 0.0
    return float(Decimal(str(value)).quantize(Decimal("0.01")))


class RecordPass:
    """Shared machinery of the one-way insight data passes."""

    def __init__(self, ctx: PassContext):
        self.ctx = ctx
        self.model = ctx.cfg.model
        self.ns = ctx.conn.netsuite
        self.mk = ctx.conn.marketing
        self.state = ctx.state

    collection: str = ""
    scope = "account"

    def query(self) -> tuple[str, str, str]:
        raise NotImplementedError

    async def build(self, rows: list[dict[str, Any]], plan: Plan) -> None:
        raise NotImplementedError

    async def run(self) -> None:
        ctx = self.ctx
        if not ctx.dry_run:
            await self.mk.ensure_collection(self.collection, scope=self.scope)  # type: ignore[arg-type]
        await reconcile_intents(ctx)
        since = self.state.watermark(ctx.dataset)
        overlap = self.model.engine.watermark_overlap
        select, from_, where = self.query()
        again = set(self.state.pending(ctx.dataset))
        pages = self.ns.keyset_pages(
            select=select, from_=from_, where=where, key_time="t.lastmodifieddate", key_id="t.id",
            since=read_from(since, self.ns.server_clock.now(), overlap), page_size=self.model.netsuite.page_size,
        )
        async with aclosing(read_ahead(pages, _nothing)) as ahead:  # the next page is read meanwhile
            async for page, _ in ahead:
                ctx.page_read("netsuite", len(page))
                plan = Plan(ctx)
                await self.build_page(page, plan)
                await plan.execute()
                again -= {int(r["id"]) for r in page}
                ctx.page_done(page)
                if ctx.cancel.is_set():
                    return
        # Records left for later (an order whose contact did not exist yet),
        # read again whatever the watermark says.
        ids = sorted(again)
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            cond = f"t.id IN ({', '.join(quote(x) for x in chunk)})"
            rows = [r async for r in self.ns.suiteql(
                f"SELECT {select} FROM {from_} WHERE {f'{where} AND {cond}' if where else cond}")]
            ctx.page_read("netsuite", len(rows))
            plan = Plan(ctx)
            await self.build_page(rows, plan)
            for gone in set(chunk) - {int(r["id"]) for r in rows}:
                self.state.set_pending(ctx.dataset, gone, False)
            await plan.execute()
            self.state.checkpoint()
            if ctx.cancel.is_set():
                return

    async def build_page(self, rows: list[dict[str, Any]], plan: Plan) -> None:
        """The page's plan; a value NetSuite answered that cannot be read (an
        id "abc", a time or an amount that is none) fails the page before
        anything is written."""
        with netsuite_values(f"a page of {self.ctx.dataset}"):
            for row in rows:
                int(row["id"])
                parse_iso(row.get("lastmodified_iso"))
            await self.build(rows, plan)

    def send(self, plan: Plan, key: str, record: dict[str, Any], reason: str, email: str | None = None) -> None:
        """Upsert ``record`` unless it is what was sent last time."""
        new = digest(record)
        old = self.state.record_digest(self.ctx.dataset, key)
        if old == new:
            return
        event_cls = ev.RecordCreated if old is None else ev.RecordUpdated
        plan.add(Step(
            key=key, op=InsightUpsert(key, reason, collection=self.collection, record=record, email=email, digest=new),
            events=(event_cls(dataset=self.ctx.dataset, side="marketing", key=key, reason=reason),),
            counts=("created" if old is None else "updated",),
            commit=(SetDigest(self.ctx.dataset, key, new),),
        ))

    def remove(self, plan: Plan, key: str, reason: str) -> None:
        """Delete ``key`` from the collection if it was sent before; else skip it."""
        if self.state.record_digest(self.ctx.dataset, key) is None:
            self.ctx.skip(key, reason)
            return
        plan.add(Step(
            key=key, op=InsightDelete(key, reason, collection=self.collection),
            events=(ev.RecordDeleted(dataset=self.ctx.dataset, side="marketing", key=key, reason=reason),),
            counts=("deleted",),
            commit=(SetDigest(self.ctx.dataset, key, None),),
        ))


class ItemsPass(RecordPass):
    scope = "account"

    def __init__(self, ctx: PassContext):
        super().__init__(ctx)
        self.ds = self.model.datasets.items
        self.collection = self.model.marketing.catalog_name

    async def run(self) -> None:
        await self.check_price_level()
        await super().run()

    async def check_price_level(self) -> None:
        """A price level or currency NetSuite does not have leaves every item
        without a price, and the pass would then delete every product sent
        before (a dry run once planned 122 such deletes for a mistyped level):
        the data set stops instead, naming what NetSuite has. The console and
        `nstui doctor` check the same; this guards hand-edited files."""
        reader = AccountReader(self.ns, None)
        problems = [p for p in (price_level_problem(self.ds.price_level, list(await reader.price_levels())),
                                currency_problem(self.ds.currency, list(await reader.currencies()))) if p]
        if problems:
            raise EngineError("; ".join(problems) + "; no item was sent or removed")

    def query(self) -> tuple[str, str, str]:
        base = ["t.id", "t.itemid", "t.displayname", "t.description", "t.isinactive", "t.itemtype",
                "t.storedisplayimage", "t.storedisplaythumbnail", "t.url",
                f"{ts('t.lastmodifieddate')} AS lastmodified_iso"]
        have = {c.split(".")[-1] for c in base}
        base += [f"t.{f.netsuite}" for f in self.ds.fields if f.netsuite not in have]
        return ", ".join(base), "item t", ""

    async def prices(self, ids: list[int]) -> dict[int, float]:
        """Seed 003: "Selects the highest price when multiple prices are
        stipulated for a price level using quantity discounts"."""
        if not ids:
            return {}
        q = (
            "SELECT p.item, MAX(p.unitprice) AS price FROM pricing p "
            "JOIN pricelevel l ON l.id = p.pricelevel "
            "JOIN currency cur ON cur.id = p.currency "
            f"WHERE l.name = {quote(self.ds.price_level)} AND cur.symbol = {quote(self.ds.currency)} "
            f"AND p.item IN ({', '.join(quote(i) for i in ids)}) "
            "GROUP BY p.item"
        )
        return {int(r["item"]): money(r["price"]) async for r in self.ns.suiteql(q) if r.get("price") is not None}

    async def build(self, rows: list[dict[str, Any]], plan: Plan) -> None:
        prices = await self.prices([int(r["id"]) for r in rows])
        for i, row in enumerate(rows):
            await breathe(i)
            key = str(row["id"])
            if str(row.get("isinactive") or "F") == "T":
                self.remove(plan, key, "item inactive")
                continue
            price = prices.get(int(row["id"]))
            if price is None:
                self.remove(plan, key, f"no {self.ds.currency} price at price level {self.ds.price_level!r}")
                continue
            record: dict[str, Any] = {
                "id": key,
                "sku": row.get("itemid"),
                "name": row.get("displayname") or row.get("itemid"),
                "description": row.get("description"),
                "price": price,
                "currency": self.ds.currency,
                "type": row.get("itemtype"),
                "status": "in stock",
                "url": row.get("url"),
                "image_path": row.get("storedisplayimage") or row.get("storedisplaythumbnail"),
            }
            for f in self.ds.fields:
                value = row.get(f.netsuite.lower())
                if value not in (None, ""):
                    record[f.marketing] = value
            # Seed 003: the fallback URLs fill what neither a mapping nor NetSuite gave.
            if not record.get("url"):
                record["url"] = self.ds.fallback_product_url
            if not record.get("image_path"):
                record["image_path"] = self.ds.fallback_image_url
            self.send(plan, key, {k: v for k, v in record.items() if v is not None}, "item changed in NetSuite")


class OrdersPass(RecordPass):
    scope = "contact"
    collection = ORDERS_COLLECTION
    TYPES = ("SalesOrd", "CashSale")

    def __init__(self, ctx: PassContext):
        super().__init__(ctx)
        self.ds = self.model.datasets.orders

    def query(self) -> tuple[str, str, str]:
        cols = ["t.id", "t.tranid", "t.type", "t.entity", "TO_CHAR(t.trandate, 'YYYY-MM-DD') AS trandate",
                "t.status", "cur.symbol AS currency",
                "t.foreigntotal", "c.email AS customer_email", "l.name AS location_name",
                f"{ts('t.lastmodifieddate')} AS lastmodified_iso"]
        extra = list(dict.fromkeys(self.ds.custom_fields + ([self.ds.link_field] if self.ds.link_field else [])))
        cols += [f"t.{name}" for name in extra]
        from_ = ("transaction t LEFT JOIN customer c ON c.id = t.entity LEFT JOIN location l ON l.id = t.location "
                 "LEFT JOIN currency cur ON cur.id = t.currency")
        where = f"t.type IN ({', '.join(quote(x) for x in self.TYPES)})"
        if self.ds.filter:
            # Validated by the configuration (nstui.sqlfilter): a narrowing
            # condition only, in parentheses so it cannot widen the query.
            where += f" AND ({self.ds.filter})"
        return ", ".join(cols), from_, where

    async def lines(self, ids: list[int]) -> dict[int, list[dict[str, Any]]]:
        if not ids:
            return {}
        q = (
            "SELECT tl.transaction, tl.linesequencenumber, tl.item, i.itemid, i.displayname, tl.quantity, "
            "tl.rate, tl.foreignamount, tl.itemtype FROM transactionline tl LEFT JOIN item i ON i.id = tl.item "
            f"WHERE tl.transaction IN ({', '.join(quote(i) for i in ids)}) AND tl.mainline = 'F' "
            # taxline is NULL rather than 'F' on some lines: = 'F' alone would drop them
            "AND (tl.taxline = 'F' OR tl.taxline IS NULL) "
            "ORDER BY tl.transaction, tl.linesequencenumber"
        )
        out: dict[int, list[dict[str, Any]]] = {}
        async for r in self.ns.suiteql(q):
            out.setdefault(int(r["transaction"]), []).append(r)
        return out

    async def linked_emails(self, values: list[str]) -> dict[str, str]:
        """The link field holds an email, or the id of a contact or customer."""
        ids = sorted({v for v in values if v.isdigit()})
        found: dict[str, str] = {}
        for r in await self.ns.entities_by_id([int(i) for i in ids]):
            found.setdefault(str(r["id"]), r.get("email") or "")
        return found

    async def build(self, rows: list[dict[str, Any]], plan: Plan) -> None:
        ids = [int(r["id"]) for r in rows]
        lines = await self.lines(ids)
        link_field = (self.ds.link_field or "").lower()
        link_values = [str(r.get(link_field) or "") for r in rows] if link_field else []
        # The customer's email is read with the linked records' (not from the
        # join): as NetSuite has it now, a dry run's own writes included.
        by_id = await self.linked_emails(link_values + [_entity(r) for r in rows])
        emails: dict[int, str | None] = {}
        for row in rows:
            raw = by_id.get(_entity(row), row.get("customer_email"))
            if link_field and row.get(link_field) not in (None, ""):
                value = str(row[link_field])
                raw = by_id.get(value, "") if value.isdigit() else value
            emails[int(row["id"])] = normalize_email(raw)[0]
        wanted = sorted({e for e in emails.values() if e})
        contacts = await self.existing_contacts(wanted)
        for i, row in enumerate(rows):
            await breathe(i)
            key = str(row["id"])
            email = emails[int(row["id"])]
            if not email or email not in contacts:
                self.ctx.skip(key, "order not linked to an existing marketing contact")
                # Its contact may come with a later customers or contacts pass.
                self.state.set_pending(self.ctx.dataset, int(row["id"]), bool(email))
                continue
            self.state.set_pending(self.ctx.dataset, int(row["id"]), False)
            self.send(plan, key, self.order_record(row, lines.get(int(row["id"]), []), email), "order changed in NetSuite", email)

    async def existing_contacts(self, emails: list[str]) -> set[str]:
        """The emails that are marketing contacts. Those the customer and
        contact data sets linked to a contact are known without asking; the
        others are read, one GET each (v3 reads no batch by email)."""
        linked = {e for e, link in self.state.links_for_emails(emails).items() if link.contact_id}
        unknown = [e for e in emails if e not in linked]
        found = await self.ctx.conn.marketing.get_contacts(unknown) if unknown else {}
        return linked | set(found)

    def order_record(self, row: dict[str, Any], lines: list[dict[str, Any]], email: str) -> dict[str, Any]:
        products: list[dict[str, Any]] = []
        discount = 0.0
        for line in lines:
            amount = money(line.get("foreignamount"))
            if str(line.get("itemtype") or "") == "Discount":
                discount += abs(amount)  # seed 003: discount lines summarised into discount_amount
                continue
            products.append({
                "sku": line.get("itemid"),
                "name": line.get("displayname") or line.get("itemid"),
                "qty": float(line.get("quantity") or 0),
                "price": money(line.get("rate")),
                "total": amount,
            })
        record: dict[str, Any] = {
            "id": str(row["id"]),
            "order_number": row.get("tranid"),
            "type": "sales_order" if row.get("type") == "SalesOrd" else "cash_sale",
            "email": email,
            "order_date": _date(row.get("trandate")),
            "status": row.get("status"),
            "currency": row.get("currency") or "USD",
            "order_total": money(row.get("foreigntotal")),
            "order_subtotal": round(sum(p["total"] for p in products), 2),
            "discount_amount": round(discount, 2),
            "location": row.get("location_name"),
            "products": products,
        }
        for name in self.ds.custom_fields:
            record[name] = row.get(name.lower())
        return record


def _entity(row: dict[str, Any]) -> str:
    try:
        return str(int(float(row.get("entity"))))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return ""


def _date(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return value
