"""The record API through the real client: create / get / patch / delete of
customers and contacts, the global subscription status, campaign
subscriptions, and the rules NetSuite applies to those writes."""

from __future__ import annotations

from datetime import timezone

import pytest

from nstui.netsuite.errors import NetSuiteNotFound, NetSuiteValidationError
from nstui.netsuite.models import SubscriptionState

from .conftest import REALM


def people(sandbox, email: str) -> list[dict]:
    return (sandbox.query("SELECT 'customer' AS t, id, globalsubscriptionstatus AS s, lastmodifieddate AS m "
                          "FROM customer WHERE LOWER(email) = LOWER(?)", (email,))
            + sandbox.query("SELECT 'contact' AS t, id, globalsubscriptionstatus AS s, lastmodifieddate AS m "
                            "FROM contact WHERE LOWER(email) = LOWER(?)", (email,)))


async def test_create_get_patch_delete(sandbox, make_client, clock):
    async with make_client(sandbox) as client:
        new_id = await client.create_record("customer", {
            "firstName": "Grace", "lastName": "Hopper", "email": "Grace.Hopper@Example.com",
            "subscriptions": {"items": [{"subscription": {"id": "3"}, "subscribed": True}]},
        })
        record = await client.get_record("customer", new_id, expand=True)
        assert record["id"] == str(new_id) and record["email"] == "Grace.Hopper@Example.com"
        assert record["isPerson"] is True and record["searchStage"] == "Customer"
        assert record["entityStatus"]["refName"] == "CUSTOMER-Closed Won"  # the stage's default status
        assert record["globalSubscriptionStatus"] == {"id": "1", "refName": "Soft Opt-In"}
        assert record["lastModifiedDate"] == "2026-03-01T12:00:00Z"
        subs = {s["subscription"]["refName"]: s["subscribed"] for s in record["subscriptions"]["items"]}
        assert subs["Promotions"] is True and subs["Newsletter"] is True and subs["Events"] is False

        plain = await client.get_record("customer", new_id)
        assert set(plain["subscriptions"]) == {"links"}  # not expanded

        clock.tick(90)
        await client.patch_record("customer", new_id, {"phone": "+1 415 555 0100", "entityStatus": {"id": "6"}})
        row = sandbox.row("customer", new_id)
        assert row["phone"] == "+1 415 555 0100" and row["searchstage"] == "Lead" and row["entitystatus"] == 6
        assert row["lastmodifieddate"] == "2026-03-01 12:01:30"

        await client.delete_record("customer", new_id)
        with pytest.raises(NetSuiteNotFound) as caught:
            await client.get_record("customer", new_id)
        assert caught.value.code == "NONEXISTENT_ID" and REALM in str(caught.value)
        assert client.calls == {"record.create": 1, "record.get": 3, "record.patch": 1, "record.delete": 1}
    assert sandbox.query("SELECT * FROM entitysubscription WHERE entity = ?", (new_id,)) == []


async def test_a_patched_record_is_seen_by_the_next_incremental_read(sandbox, make_client, clock):
    clock.tick(3600)
    since = clock()
    contact = sandbox.query("SELECT MIN(id) AS id FROM contact")[0]["id"]
    async with make_client(sandbox) as client:
        await client.patch_record("contact", contact, {"lastName": "Changed"})
        pages = [p async for p in client.keyset_pages(select="c.lastname", from_="contact c",
                                                      key_time="c.lastmodifieddate", key_id="c.id", since=since)]
    assert [(r["id"], r["lastname"]) for p in pages for r in p] == [(str(contact), "Changed")]


async def test_soft_opt_out_applies_to_every_record_with_the_email(sandbox, make_client, clock):
    email = "shared@example.com"
    a = sandbox.insert("customer", firstname="A", lastname="One", email=email, stage="LEAD")
    b = sandbox.insert("customer", firstname="A", lastname="One", email="SHARED@example.com", globalsubscriptionstatus=3)
    c = sandbox.insert("contact", firstname="A", lastname="One", email=email)
    d = sandbox.insert("contact", firstname="A", lastname="One", email=email, globalsubscriptionstatus=4)
    clock.tick(60)
    async with make_client(sandbox) as client:
        await client.set_global_subscription_status("customer", a, 2)
    states = {(p["t"], p["id"]): (p["s"], p["m"]) for p in people(sandbox, email)}
    now = "2026-03-01 12:01:00"
    assert states[("customer", a)] == (2, now)
    assert states[("customer", b)] == (2, now)
    assert states[("contact", c)] == (2, now)
    assert states[("contact", d)][0] == 4  # the recipient's Confirmed Opt-Out stays


@pytest.mark.parametrize("status", [3, 4])
async def test_confirmed_statuses_are_refused_with_netsuites_error(sandbox, make_client, status):
    before = sandbox.row("customer", 1001)
    async with make_client(sandbox) as client:
        with pytest.raises(NetSuiteValidationError) as caught:
            await client.set_global_subscription_status("customer", 1001, status)
        assert client.calls["retry"] == 0
    err = caught.value
    assert err.status == 400 and err.code == "INVALID_FLD_VALUE" and "only the recipient" in err.detail
    assert sandbox.row("customer", 1001) == before


async def test_a_confirmed_opt_out_cannot_be_reversed(sandbox, make_client):
    rid = sandbox.insert("contact", firstname="No", lastname="Thanks", email="no@example.com", globalsubscriptionstatus=4)
    async with make_client(sandbox) as client:
        with pytest.raises(NetSuiteValidationError, match="Confirmed Opt-Out"):
            await client.set_global_subscription_status("contact", rid, 1)
        with pytest.raises(NetSuiteValidationError, match="Confirmed Opt-Out"):
            await client.set_campaign_subscription("contact", rid, 1, True)
        await client.set_campaign_subscription("contact", rid, 1, False)  # unsubscribing is fine
    assert sandbox.row("contact", rid)["globalsubscriptionstatus"] == 4


async def test_campaign_subscription_through_the_sublist(sandbox, make_client, clock):
    rid = sandbox.insert("contact", firstname="Sub", lastname="Scriber", email="sub@example.com")
    clock.tick(120)
    async with make_client(sandbox) as client:
        subs = {s.name: s for s in await client.list_campaign_subscriptions()}
        assert set(subs) >= {"Newsletter", "Product Updates", "Promotions", "Events"}
        assert subs["Catalog Mailings (retired)"].inactive is True
        await client.set_campaign_subscription("contact", rid, subs["Events"].id, True)
        await client.set_campaign_subscription("contact", rid, subs["Newsletter"].id, False)
        states = (await client.entity_subscriptions("contact", [rid]))[rid]
    by_name = {s.name: s for s in states}
    assert by_name["Events"].subscribed is True and by_name["Newsletter"].subscribed is False
    assert by_name["Events"].last_modified == clock().astimezone(timezone.utc)
    assert by_name["Product Updates"].subscribed is True  # untouched line
    assert by_name["Product Updates"].last_modified < clock()
    assert sandbox.row("contact", rid)["lastmodifieddate"] == "2026-03-01 12:02:00"


async def test_a_user_ticking_a_subscription_bumps_the_entity(sandbox, clock):
    clock.tick(30)
    sandbox.set_subscription(1001, 4, True)
    assert sandbox.row("customer", 1001)["lastmodifieddate"] == "2026-03-01 12:00:30"
    assert sandbox.query("SELECT subscribed, lastmodifieddate FROM entitysubscription WHERE entity = 1001 AND "
                         "subscription = 4") == [{"subscribed": "T", "lastmodifieddate": "2026-03-01 12:00:30"}]


async def test_entity_subscriptions_are_read_per_record(sandbox, make_client):
    customer_ids = [r["id"] for r in sandbox.query("SELECT id FROM customer ORDER BY id")]
    contact_id = sandbox.query("SELECT id FROM contact LIMIT 1")[0]["id"]
    wanted = customer_ids + [contact_id] + list(range(900_000, 900_020))
    async with make_client(sandbox) as client:
        states = await client.entity_subscriptions("customer", wanted)
        # one GET of the subscriptions sublist per record: no SuiteQL table holds them
        assert client.calls["record.get"] == len(wanted) and client.calls["suiteql"] == 0
    assert set(states) == set(wanted)
    assert states[contact_id] == [] and states[900_000] == []  # a contact is not a customer
    assert all(len(states[i]) == 5 for i in customer_ids)
    first = states[customer_ids[0]][0]
    assert isinstance(first, SubscriptionState) and first.last_modified.tzinfo is not None
    expected = sandbox.query("SELECT subscribed FROM entitysubscription WHERE entity = ? AND subscription = ?",
                             (customer_ids[0], first.subscription_id))[0]["subscribed"]
    assert first.subscribed == (expected == "T")


@pytest.mark.parametrize("body, code, words", [
    ({"email": "not-an-email"}, "INVALID_FLD_VALUE", "Invalid email"),
    ({"shoeSize": 42}, "USER_ERROR", "Fields that can be written"),
    ({"addr1": "1 Main St"}, "USER_ERROR", "addressBook"),
    ({"lastModifiedDate": "2020-01-01T00:00:00Z"}, "USER_ERROR", "read-only"),
    ({"entityStatus": 13}, "INVALID_FLD_VALUE", '{"id": "13"}'),
    ({"entityStatus": {"id": "999"}}, "INVALID_KEY_OR_REF", "999"),
    ({"isInactive": "T"}, "INVALID_FLD_VALUE", "true or false"),
    ({"subscriptions": {"items": [{"subscription": {"id": "77"}, "subscribed": True}]}}, "INVALID_KEY_OR_REF", "77"),
])
async def test_invalid_writes_are_refused_clearly(sandbox, make_client, body, code, words):
    before = sandbox.row("customer", 1001)
    async with make_client(sandbox) as client:
        with pytest.raises(NetSuiteValidationError) as caught:
            await client.patch_record("customer", 1001, body)
    assert caught.value.code == code and words in caught.value.detail
    assert sandbox.row("customer", 1001) == before


async def test_a_duplicate_email_is_refused(sandbox, make_client):
    taken = sandbox.query("SELECT email FROM customer WHERE email LIKE '%@%.%' AND id <> 1001 LIMIT 1")[0]["email"]
    async with make_client(sandbox) as client:
        with pytest.raises(NetSuiteValidationError) as caught:
            await client.patch_record("customer", 1001, {"email": taken.upper()})
        assert caught.value.code == "DUP_ENTITY"
        with pytest.raises(NetSuiteValidationError):
            await client.create_record("customer", {"firstName": "X", "lastName": "Y", "email": taken})
        new_contact = await client.create_record("contact", {"firstName": "X", "lastName": "Y", "email": taken})
    assert sandbox.row("contact", new_contact)["email"] == taken  # another type may share it


async def test_the_default_billing_address_is_replaced_whole(sandbox, make_client):
    rid = sandbox.query("SELECT id FROM customer WHERE defaultbillingaddress IS NOT NULL LIMIT 1")[0]["id"]
    contact = sandbox.query("SELECT MIN(id) AS id FROM contact")[0]["id"]
    async with make_client(sandbox) as client:
        await client.patch_record("customer", rid, {"addressBook": {"items": [{
            "defaultBilling": True,
            "addressBookAddress": {"addressee": "HQ", "addr1": "1 Market St", "city": "San Francisco",
                                   "state": "CA", "zip": "94105", "country": {"id": "US"}}}]}})
        record = await client.get_record("customer", rid, expand=True)
        with pytest.raises(NetSuiteValidationError, match="contact cannot be changed"):
            await client.patch_record("contact", contact, {"addressBook": {"items": [{
                "defaultBilling": True, "addressBookAddress": {"addr1": "x"}}]}})
    nkey = sandbox.row("customer", rid)["defaultbillingaddress"]
    assert sandbox.row("entityaddress", nkey) == {"nkey": nkey, "addressee": "HQ", "addr1": "1 Market St", "addr2": None,
                                                  "addr3": None, "city": "San Francisco", "state": "CA",
                                                  "zip": "94105", "country": "US"}
    assert record["addressBook"]["items"][0]["addressBookAddress"]["addr1"] == "1 Market St"


async def test_creating_requires_names(sandbox, make_client):
    async with make_client(sandbox) as client:
        with pytest.raises(NetSuiteValidationError, match="Company Name"):
            await client.create_record("customer", {"isPerson": False, "email": "co@example.com"})
        with pytest.raises(NetSuiteValidationError, match="Last Name"):
            await client.create_record("contact", {"email": "nobody@example.com"})
        company = await client.create_record("customer", {"companyName": "Acme Ltd", "email": "hello@acme.example.com",
                                                          "entityStatus": {"id": "8"}})
        contact = await client.create_record("contact", {"firstName": "Wile", "lastName": "Coyote",
                                                         "company": {"id": str(company)},
                                                         "globalSubscriptionStatus": {"id": "2"}})
    assert sandbox.row("customer", company)["isperson"] == "F" and sandbox.row("customer", company)["searchstage"] == "Prospect"
    row = sandbox.row("contact", contact)
    assert row["company"] == company and row["globalsubscriptionstatus"] == 2
    assert contact > company  # one id sequence for every entity
    assert {r["subscribed"] for r in sandbox.query("SELECT subscribed FROM entitysubscription WHERE entity = ?",
                                                   (contact,))} == {"F"}


async def test_a_customer_with_transactions_cannot_be_deleted(sandbox, make_client):
    rid = sandbox.query('SELECT entity FROM "transaction" LIMIT 1')[0]["entity"]
    async with make_client(sandbox) as client:
        with pytest.raises(NetSuiteValidationError, match="dependent records"):
            await client.delete_record("customer", rid)
    assert sandbox.row("customer", rid) is not None


async def test_unknown_record_types_and_ids(sandbox, make_client):
    async with make_client(sandbox) as client:
        with pytest.raises(NetSuiteNotFound):
            await client.get_record("customer", 99_999_999)
        with pytest.raises(NetSuiteNotFound):
            await client.get_record("vendor", 1)
        with pytest.raises(ValueError):
            await client.get_record("customer/../x", 1)
