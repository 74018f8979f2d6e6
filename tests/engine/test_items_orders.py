"""Seed 003's items (product catalog) and orders (order data) rules, against
the sandboxes through the real clients."""

from __future__ import annotations

from typing import Any

from nstui.engine import events as ev

from .test_entity_rules import add_customer

CATALOG = "catalog_ParentCompanyAcmeIncUS_NetSuite"


def price_level(env, name: str = "Base Price") -> int:
    return env.ns.query("SELECT id FROM pricelevel WHERE name = ?", (name,))[0]["id"]


def add_item(env, itemid: str, *, prices: list[tuple[float, float]] | None = None, inactive: bool = False,
             level: str = "Base Price", **extra: Any) -> int:
    iid = env.ns.insert("item", itemid=itemid, displayname=itemid.title(), description=f"The {itemid}",
                        itemtype="InvtPart", isinactive="T" if inactive else "F", **extra)
    for qty, price in prices or []:
        env.ns.insert("pricing", item=iid, pricelevel=price_level(env, level), quantity=qty, unitprice=price, currency=1)
    return iid


def catalog(env) -> dict[str, dict[str, Any]]:
    return {key: rec for key, rec in env.mk.insight_records(CATALOG)}


async def test_catalog_named_from_company(make_env):
    env = make_env()
    add_item(env, "mug", prices=[(0, 9.5)])
    await env.sync("items")
    assert "mug" in {r["sku"] for r in catalog(env).values()}


async def test_only_active_items_synced(make_env):
    env = make_env()
    add_item(env, "active", prices=[(0, 5)])
    add_item(env, "retired", prices=[(0, 5)], inactive=True)
    summary = await env.sync("items")
    skus = {r["sku"] for r in catalog(env).values()}
    assert "active" in skus and "retired" not in skus
    assert summary.datasets["items"].skipped["item inactive"] >= 1
    assert "retired" not in [r.get("itemid") for r in env.ns.query(
        "SELECT itemid FROM item WHERE isinactive = 'F'")]


async def test_inactive_item_removed_at_next_sync(make_env):
    env = make_env()
    iid = add_item(env, "lamp", prices=[(0, 30)])
    await env.sync("items")
    assert str(iid) in catalog(env)
    env.ns.update("item", iid, isinactive="T")
    await env.sync("items")
    assert str(iid) not in catalog(env)
    assert [e.reason for e in env.of(ev.RecordDeleted)] == ["item inactive"]


async def test_items_without_price_left_out(make_env):
    env = make_env()
    free = add_item(env, "free")
    elsewhere = add_item(env, "elsewhere", prices=[(0, 3)], level="Online Price")
    await env.sync("items")
    assert str(free) not in catalog(env) and str(elsewhere) not in catalog(env)
    reasons = {e.key: e.reason for e in env.of(ev.RecordSkipped)}
    assert reasons[str(free)] == "no USD price at price level 'Base Price'"
    assert reasons[str(elsewhere)] == "no USD price at price level 'Base Price'"


async def test_a_price_level_or_currency_netsuite_lacks_stops_items_and_removes_nothing(make_env):
    """A hand-edited file (the console and doctor check it too) with a level
    NetSuite does not have: every item would lose its price and be removed
    from the catalog; the data set stops instead, naming what NetSuite has."""
    env = make_env()
    iid = add_item(env, "mug", prices=[(0, 9.5)])
    await env.sync("items")
    assert str(iid) in catalog(env)
    env.cfg.set("datasets.items.price_level", "Base Prize")
    env.cfg.set("datasets.items.currency", "XXX")
    summary = await env.sync("items")
    assert str(iid) in catalog(env) and not env.of(ev.RecordDeleted)
    assert summary.dataset_status["items"] == "failed"
    (error,) = [e.text for e in env.of(ev.Error)]
    assert "NetSuite has no price level 'Base Prize' (it has: Base Price," in error
    assert "NetSuite has no currency 'XXX' (it has: USD" in error


async def test_catalog_prices_in_the_configured_currency(make_env):
    env = make_env()
    env.cfg.set("datasets.items.currency", "GBP")
    gbp = env.ns.query("SELECT id FROM currency WHERE symbol = 'GBP'")[0]["id"]
    dollars_only = add_item(env, "kettle", prices=[(0, 40)])
    both = add_item(env, "teapot", prices=[(0, 25)])
    env.ns.insert("pricing", item=both, pricelevel=price_level(env), quantity=0, unitprice=19.5, currency=gbp)
    await env.sync("items")
    cat = catalog(env)
    assert cat[str(both)]["price"] == 19.5 and cat[str(both)]["currency"] == "GBP"
    assert str(dollars_only) not in cat
    reasons = {e.key: e.reason for e in env.of(ev.RecordSkipped)}
    assert reasons[str(dollars_only)] == "no GBP price at price level 'Base Price'"


async def test_highest_quantity_break_price_used(make_env):
    env = make_env()
    iid = add_item(env, "tea", prices=[(0, 10), (10, 8), (50, 12.5)])
    await env.sync("items")
    assert catalog(env)[str(iid)]["price"] == 12.5


async def test_product_and_image_url_fallbacks(make_env):
    env = make_env()
    env.cfg.set("datasets.items.fallback_product_url", "https://shop.test/p")
    env.cfg.set("datasets.items.fallback_image_url", "https://shop.test/none.png")
    with_urls = add_item(env, "a", prices=[(0, 1)], url="https://shop.test/a", storedisplayimage="https://img.test/a.png")
    thumb = add_item(env, "b", prices=[(0, 1)], storedisplaythumbnail="https://img.test/b-thumb.png")
    bare = add_item(env, "c", prices=[(0, 1)])
    await env.sync("items")
    cat = catalog(env)
    assert cat[str(with_urls)]["url"] == "https://shop.test/a"
    assert cat[str(with_urls)]["image_path"] == "https://img.test/a.png"
    assert cat[str(thumb)]["image_path"] == "https://img.test/b-thumb.png"
    assert cat[str(bare)]["url"] == "https://shop.test/p"
    assert cat[str(bare)]["image_path"] == "https://shop.test/none.png"


async def test_one_changed_item_syncs_only_that_item(make_env):
    env = make_env(records=200)
    first = await env.sync("items")
    assert first.datasets["items"].created > 5
    iid = next(iter(catalog(env)))
    env.ns.update("item", int(iid), displayname="Renamed")
    second = await env.sync("items")
    assert second.datasets["items"].updated == 1 and second.datasets["items"].created == 0
    assert catalog(env)[iid]["name"] == "Renamed"


# -- orders ------------------------------------------------------------------------


def add_order(env, customer: int, *, kind="SalesOrd", lines: list[tuple[str, float, float]] = (), discount: float = 0,
              **extra: Any) -> int:
    loc = env.ns.query("SELECT id FROM location LIMIT 1")[0]["id"]
    total = sum(q * r for _, q, r in lines) - discount
    tid = env.ns.insert("transaction", tranid=f"{kind}-{customer}", type=kind, entity=customer, status="B",
                        currency=1, foreigntotal=total, location=loc, trandate="2026-11-01T00:00:00", **extra)
    seq = 0
    env.ns.insert("transactionline", transaction=tid, linesequencenumber=seq, mainline="T", taxline="F",
                  foreignamount=total, itemtype=None)
    for itemid, qty, rate in lines:
        seq += 1
        item = add_item(env, f"{itemid}-{tid}-{seq}", prices=[(0, rate)])
        env.ns.insert("transactionline", transaction=tid, linesequencenumber=seq, item=item, quantity=qty, rate=rate,
                      foreignamount=qty * rate, itemtype="InvtPart", mainline="F", taxline="F", location=loc)
    if discount:
        seq += 1
        env.ns.insert("transactionline", transaction=tid, linesequencenumber=seq, quantity=1, rate=-discount,
                      foreignamount=-discount, itemtype="Discount", mainline="F", taxline="F")
    return tid


def orders(env) -> dict[str, dict[str, Any]]:
    return {key: rec for key, rec in env.mk.insight_records("Orders")}


async def test_orders_sales_orders_and_cash_sales_only(make_env):
    env = make_env()
    cid = add_customer(env, "buyer@example.com")
    await env.sync("customers")
    so = add_order(env, cid, kind="SalesOrd", lines=[("mug", 2, 5)])
    cs = add_order(env, cid, kind="CashSale", lines=[("mug", 1, 5)])
    inv = add_order(env, cid, kind="CustInvc", lines=[("mug", 1, 5)])
    await env.sync("orders")
    assert set(orders(env)) == {str(so), str(cs)} and str(inv) not in orders(env)


async def test_orders_need_an_existing_marketing_contact(make_env):
    env = make_env()
    cid = add_customer(env, "stranger@example.com")  # never synced: no marketing contact
    tid = add_order(env, cid, lines=[("mug", 1, 5)])
    summary = await env.sync("orders")
    assert orders(env) == {}
    assert summary.datasets["orders"].skipped["order not linked to an existing marketing contact"] == 1
    assert str(tid) in [e.key for e in env.of(ev.RecordSkipped)]


async def test_discount_lines_summed_and_location(make_env):
    env = make_env()
    cid = add_customer(env, "disc@example.com")
    await env.sync("customers")
    tid = add_order(env, cid, lines=[("mug", 2, 10), ("pen", 1, 4)], discount=3)
    await env.sync("orders")
    rec = orders(env)[str(tid)]
    assert rec["discount_amount"] == 3.0
    assert rec["location"]
    assert [p["qty"] for p in rec["products"]] == [2.0, 1.0]
    assert rec["email"] == "disc@example.com"


async def test_order_custom_fields_and_link_field(make_env):
    env = make_env()
    env.cfg.set("datasets.orders.custom_fields", ["custbody_channel"])
    env.cfg.set("datasets.orders.link_field", "custbody_alt_email")
    buyer = add_customer(env, "payer@example.com")
    add_customer(env, "gift@example.com", first="Gift")
    await env.sync("customers")
    tid = add_order(env, buyer, lines=[("mug", 1, 5)], custbody_channel="web", custbody_alt_email="Gift@Example.com")
    await env.sync("orders")
    rec = orders(env)[str(tid)]
    assert rec["custbody_channel"] == "web"
    assert rec["email"] == "gift@example.com"


async def test_order_filter_narrows_transactions(make_env):
    env = make_env()
    env.cfg.set("datasets.orders.filter", "t.foreigntotal > 100")
    cid = add_customer(env, "big@example.com")
    await env.sync("customers")
    small = add_order(env, cid, lines=[("mug", 1, 5)])
    big = add_order(env, cid, lines=[("tv", 1, 500)])
    await env.sync("orders")
    assert set(orders(env)) == {str(big)} and str(small) not in orders(env)


async def test_one_changed_order_syncs_only_that_order(make_env):
    env = make_env()
    cid = add_customer(env, "re@example.com")
    await env.sync("customers")
    a = add_order(env, cid, lines=[("mug", 1, 5)])
    add_order(env, cid, lines=[("cup", 1, 6)])
    await env.sync("orders")
    env.ns.update("transaction", a, status="F")
    again = await env.sync("orders")
    assert again.datasets["orders"].updated == 1 and again.datasets["orders"].created == 0


async def test_order_lines_with_a_null_taxline_are_kept(make_env):
    """taxline is NULL rather than 'F' on some lines; filtering on = 'F' alone dropped them."""
    env = make_env()
    cid = add_customer(env, "nulltax@example.com")
    await env.sync("customers")
    tid = add_order(env, cid, lines=[("mug", 2, 10)])
    item = add_item(env, "cup", prices=[(0, 4)])
    env.ns.insert("transactionline", transaction=tid, linesequencenumber=9, item=item, quantity=1, rate=4,
                  foreignamount=4, itemtype="InvtPart", mainline="F", taxline=None)
    await env.sync("orders")
    assert [p["qty"] for p in orders(env)[str(tid)]["products"]] == [2.0, 1.0]
