"""The sandbox's data: generated (seeded, realistic, messy on purpose) or
loaded from a fixture; created once, then reopened as it is."""

from __future__ import annotations

import json
import re
import sqlite3
from collections import Counter

import pytest

from nstui.sandbox.netsuite import NetSuiteSandbox

from .conftest import ACCOUNT, CREDS

VALID = re.compile(r"^[^@\s.][^@\s]*@[^@\s]+\.[^@\s]+$")


@pytest.fixture
def generated(make_sandbox):
    return make_sandbox(records=600)


def test_entities_are_realistic_and_messy(generated):
    sb = generated
    customers = sb.query("SELECT * FROM customer")
    contacts = sb.query("SELECT * FROM contact")
    assert len(customers) == 600 and len(contacts) == 300
    for rows in (customers, contacts):
        assert {r["globalsubscriptionstatus"] for r in rows} == {1, 2, 3, 4}
        emails = [r["email"] for r in rows]
        assert any(e in (None, "") for e in emails)
        assert any(e and not VALID.match(e) for e in emails)
        assert any(e and VALID.match(e) and e != e.lower() for e in emails)
    assert {r["searchstage"] for r in customers} == {"Lead", "Prospect", "Customer"}
    assert {r["isperson"] for r in customers} == {"T", "F"}
    assert all(r["companyname"] for r in customers if r["isperson"] == "F")
    statuses = {s["id"]: s["stage"] for s in sb.query("SELECT id, stage FROM customerstatus")}
    assert all(statuses[r["entitystatus"]] == r["searchstage"].upper() for r in customers)
    defaults = sb.query("SELECT stage, COUNT(*) AS n FROM customerstatus WHERE isdefault = 'T' GROUP BY stage")
    assert {d["stage"]: d["n"] for d in defaults} == {"LEAD": 1, "PROSPECT": 1, "CUSTOMER": 1}


def test_duplicates_across_stages_and_names(generated):
    rows = generated.query(
        "SELECT LOWER(email) AS e, COUNT(DISTINCT searchstage) AS stages, "
        "COUNT(DISTINCT COALESCE(firstname, '') || ' ' || COALESCE(lastname, '')) AS names, "
        "SUM(searchstage = 'Lead') AS leads, SUM(searchstage = 'Customer') AS customers "
        "FROM customer WHERE email LIKE '%@%' GROUP BY LOWER(email) HAVING COUNT(*) > 1")
    assert any(r["leads"] and r["customers"] and r["names"] == 1 for r in rows)  # the same person, lead and customer
    assert any(r["names"] > 1 for r in rows)  # one email, different names
    shared = generated.query("SELECT COUNT(*) AS n FROM contact c JOIN customer k ON LOWER(k.email) = LOWER(c.email)")
    assert shared[0]["n"] > 0  # a contact that is also a customer


def test_phones_local_and_international(generated):
    phones = [r["phone"] for r in generated.query("SELECT phone FROM customer UNION ALL SELECT phone FROM contact")]
    assert any(p and p.startswith("+1") for p in phones)
    assert any(p and p.startswith("+44") for p in phones)
    assert any(p and p.startswith("(") and ") 555-" in p for p in phones)  # US local
    assert any(p and p.startswith("07700 ") for p in phones)  # GB mobile, local
    assert any(p is None for p in phones)
    assert any(p and sum(ch.isdigit() for ch in p) < 7 for p in phones)  # not a phone number at all


def test_campaign_subscriptions_and_their_states(generated):
    names = {r["name"] for r in generated.query("SELECT name FROM campaignsubscription WHERE isinactive = 'F'")}
    assert names == {"Newsletter", "Product Updates", "Promotions", "Events"}
    states = generated.query("SELECT s.subscribed, e.globalsubscriptionstatus AS g FROM entitysubscription s "
                             "JOIN entity e ON e.id = s.entity")
    entities = generated.query("SELECT COUNT(*) AS n FROM entity")[0]["n"]
    assert len(states) == entities * 5
    assert {s["subscribed"] for s in states} == {"T", "F"}
    assert all(s["subscribed"] == "F" for s in states if s["g"] in (2, 4))
    late = generated.query("SELECT COUNT(*) AS n FROM entitysubscription s JOIN entity e ON e.id = s.entity "
                           "WHERE s.lastmodifieddate > e.lastmodifieddate")
    assert late[0]["n"] == 0  # a subscription change is part of the entity's last modification


def test_items_prices_and_orders(generated):
    sb = generated
    items = sb.query("SELECT * FROM item WHERE itemtype NOT IN ('Discount', 'TaxItem')")
    assert 24 <= len(items) <= 60
    assert any(i["isinactive"] == "T" for i in items)
    assert any(i["storedisplayimage"] for i in items) and any(not i["storedisplayimage"] for i in items)
    assert any(i["custitem_colors"] and "," in i["custitem_colors"] for i in items)
    no_base = sb.query("SELECT id FROM item i WHERE itemtype NOT IN ('Discount', 'TaxItem') AND NOT EXISTS "
                       "(SELECT 1 FROM pricing p JOIN pricelevel l ON l.id = p.pricelevel "
                       "WHERE p.item = i.id AND l.name = 'Base Price')")
    assert no_base
    breaks = sb.query("SELECT item, pricelevel, COUNT(*) AS n, MAX(unitprice) AS top, MIN(unitprice) AS low "
                      "FROM pricing GROUP BY item, pricelevel HAVING COUNT(*) > 1")
    assert breaks and all(b["top"] > b["low"] for b in breaks)
    assert len(sb.query("SELECT DISTINCT pricelevel FROM pricing")) >= 4
    types = Counter(r["type"] for r in sb.query('SELECT type FROM "transaction"'))
    assert types["SalesOrd"] and types["CashSale"] and types["CustInvc"] and sum(types.values()) == 600
    lines = sb.query("SELECT * FROM transactionline")
    assert any(line["itemtype"] == "Discount" and line["foreignamount"] < 0 for line in lines)
    assert any(line["taxline"] == "T" for line in lines)
    assert sum(1 for line in lines if line["mainline"] == "T") == 600
    totals = sb.query('SELECT t.foreigntotal, SUM(l.foreignamount) AS s FROM "transaction" t JOIN transactionline l '
                      "ON l.\"transaction\" = t.id AND l.mainline = 'F' GROUP BY t.id")
    assert all(abs(t["foreigntotal"] - t["s"]) < 0.02 for t in totals)
    orders = sb.query('SELECT * FROM "transaction"')
    assert any(o["location"] for o in orders) and any(o["custbody_alt_email"] for o in orders)
    assert any(o["custbody_ship_to_contact"] for o in orders)


def test_same_seed_same_data_other_seed_other_data(make_sandbox):
    one = make_sandbox(records=80, name="a.sqlite").dump()
    two = make_sandbox(records=80, name="b.sqlite").dump()
    three = make_sandbox(records=80, name="c.sqlite", seed=7).dump()
    assert one == two
    assert one["customer"] != three["customer"]


def test_ten_thousand_records(make_sandbox):
    sb = make_sandbox(records=10_000)
    assert sb.query("SELECT COUNT(*) AS n FROM customer")[0]["n"] == 10_000
    assert sb.query("SELECT COUNT(*) AS n FROM contact")[0]["n"] == 5_000


def test_an_existing_database_is_reopened_as_it_is(make_sandbox, tmp_path, clock):
    first = make_sandbox(records=30)
    first.update("customer", 1001, email="kept@example.com")
    first.close()
    again = make_sandbox(records=500)  # other settings: the file wins
    assert again.row("customer", 1001)["email"] == "kept@example.com"
    assert again.query("SELECT COUNT(*) AS n FROM customer")[0]["n"] == 30


def test_a_half_created_file_is_created_again(make_sandbox, tmp_path):
    path = tmp_path / "netsuite.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE customer (id INTEGER)")
    conn.commit()
    conn.close()
    sb = make_sandbox(records=20)
    assert sb.query("SELECT COUNT(*) AS n FROM customer")[0]["n"] == 20


def test_fixture_loading(make_sandbox):
    sb = make_sandbox(fixture={
        "customer": [{"id": 5, "firstname": "Fix", "lastname": "Ture", "email": "fix@example.com", "isperson": True,
                      "lastmodifieddate": "2026-01-02T03:04:05+01:00"}],
        "contact": [{"firstname": "No", "lastname": "Id"}],
        "item": [{"id": 1, "itemid": "A-1", "isinactive": False}],
    })
    customer = sb.row("customer", 5)
    assert customer["isperson"] == "T" and customer["lastmodifieddate"] == "2026-01-02 02:04:05"
    assert customer["searchstage"] == "Customer" and customer["globalsubscriptionstatus"] == 1
    assert sb.query("SELECT id FROM contact") == [{"id": 1001}]
    assert len(sb.query("SELECT * FROM entitysubscription")) == 2 * 5  # defaults of every subscription
    assert sb.query("SELECT name FROM customerstatus")  # reference tables filled in
    assert sb.query("SELECT COUNT(*) AS n FROM \"transaction\"")[0]["n"] == 0


@pytest.mark.parametrize("data, words", [
    ({"customers": []}, "unknown table 'customers'"),
    ({"customer": [{"shoe": 1}]}, "customer has no column 'shoe'"),
    ({"customer": [{"isperson": "maybe"}]}, "customer.isperson"),
    ({"customer": [{"lastmodifieddate": "yesterday"}]}, "ISO-8601"),
    ({"customer": {"id": 1}}, "list of objects"),
])
def test_fixture_mistakes_are_explained(tmp_path, data, words):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    from nstui.config import SandboxConfig

    with pytest.raises(ValueError, match=re.escape(words)):
        NetSuiteSandbox(tmp_path / "x.sqlite", account_id=ACCOUNT, credentials=CREDS,
                        sandbox=SandboxConfig(), fixture=path)
    assert not (tmp_path / "x.sqlite").exists()


def test_user_edits_bump_lastmodifieddate(sandbox, clock):
    clock.tick(600)
    nkey = sandbox.query("SELECT defaultbillingaddress AS n FROM customer WHERE defaultbillingaddress IS NOT NULL "
                         "LIMIT 1")[0]["n"]
    sandbox.update("entityaddress", nkey, city="Leeds")
    owner = sandbox.query("SELECT lastmodifieddate FROM customer WHERE defaultbillingaddress = ?", (nkey,))[0]
    assert owner["lastmodifieddate"] == "2026-03-01 12:10:00"
    sandbox.update("customer", 1001, entitystatus=6)
    assert sandbox.row("customer", 1001)["searchstage"] == "Lead"
    line = sandbox.query("SELECT uniquekey, \"transaction\" AS t FROM transactionline LIMIT 1")[0]
    clock.tick(60)
    sandbox.update("transactionline", line["uniquekey"], memo="edited")
    assert sandbox.row("transaction", line["t"])["lastmodifieddate"] == "2026-03-01 12:11:00"
    with pytest.raises(LookupError):
        sandbox.update("customer", 4242424, email="x@example.com")
    with pytest.raises(ValueError, match="no column"):
        sandbox.update("customer", 1001, shoe=1)
    new_item = sandbox.insert("item", itemid="NEW-1", displayname="New")
    assert sandbox.row("item", new_item)["lastmodifieddate"] == "2026-03-01 12:11:00"
    assert set(sandbox.dump()) >= {"customer", "contact", "entitysubscription", "item", "pricing", "transaction"}
