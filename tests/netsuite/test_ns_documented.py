"""The NetSuite client and sandbox as Oracle's help describes the wire (each
test would have passed a shared misunderstanding before: the sandbox now
behaves as NetSuite documents, and the client speaks to that)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from nstui.config import SandboxConfig
from nstui.netsuite.errors import NetSuiteValidationError
from nstui.sandbox.netsuite import NetSuiteSandbox

from .conftest import ACCOUNT, CREDS


def make_account(tmp_path, clock, *, name: str = "account.sqlite", records: int = 20, **options) -> NetSuiteSandbox:
    return NetSuiteSandbox(tmp_path / name, account_id=ACCOUNT, credentials=CREDS,
                           sandbox=SandboxConfig(records=records), clock=clock, **options)


async def test_suiteql_has_no_subscription_states_table(sandbox, make_client):
    async with make_client(sandbox) as client:
        with pytest.raises(NetSuiteValidationError, match="entitysubscription"):
            [r async for r in client.suiteql("SELECT entity FROM entitysubscription")]


async def test_customer_stage_is_searchstage(sandbox, make_client):
    async with make_client(sandbox) as client:
        with pytest.raises(NetSuiteValidationError, match="stage"):
            [r async for r in client.suiteql("SELECT c.stage FROM customer c")]
        rows = [r async for r in client.suiteql("SELECT c.searchstage, c.entitystatus FROM customer c")]
    assert {r["searchstage"] for r in rows} <= {"Lead", "Prospect", "Customer"}


async def test_a_contact_subscription_the_server_ignores_is_not_reported_done(sandbox, make_client):
    contact = sandbox.query("SELECT id FROM contact WHERE globalsubscriptionstatus = 1 LIMIT 1")[0]["id"]
    current = sandbox.query("SELECT subscribed FROM entitysubscription WHERE entity = ? AND subscription = 1",
                            (contact,))[0]["subscribed"]
    sandbox.records.ignore_contact_subscriptions = True
    async with make_client(sandbox) as client:
        with pytest.raises(NetSuiteValidationError, match="did not take campaign subscription"):
            await client.set_campaign_subscription("contact", contact, 1, current != "T")


async def test_the_idempotency_key_is_ignored_on_synchronous_requests(sandbox, make_client):
    """As NetSuite: the key counts only with Prefer: respond-async, so two
    synchronous POSTs with one key make two records."""
    async with make_client(sandbox) as client:
        for _ in range(2):
            await client._send("record.create", "POST", "/services/rest/record/v1/contact", what="create",
                               json={"firstName": "Key", "lastName": "Twice"},
                               headers={"X-NetSuite-Idempotency-Key": "same-key"})
    assert len(sandbox.query("SELECT id FROM contact WHERE lastname = 'Twice'")) == 2


async def test_create_is_an_upsert_by_external_id(sandbox, make_client, recording):
    sent = recording(sandbox.transport())
    async with make_client(sent) as client:
        first = await client.create_record("contact", {"firstName": "Eve", "lastName": "Ext"}, external_id="nstui-e1")
        again = await client.create_record("contact", {"firstName": "Eve", "lastName": "Ext"}, external_id="nstui-e1")
    assert first == again and sandbox.row("contact", first)["externalid"] == "nstui-e1"
    assert {(r.method, r.url.path) for r in sent.sent} == {("PUT", "/services/rest/record/v1/contact/eid:nstui-e1")}
    assert all("x-netsuite-idempotency-key" not in r.headers for r in sent.sent)


def _lines(sandbox, rid):
    return sandbox.query("SELECT b.id, b.defaultbilling, a.addr1, a.country FROM entityaddressbook b "
                         "JOIN entityaddress a ON a.nkey = b.addressbookaddress WHERE b.entity = ? ORDER BY b.id", (rid,))


async def test_an_address_line_without_id_is_appended_and_replace_replaces(sandbox, make_client):
    rid = sandbox.query("SELECT id FROM customer WHERE defaultbillingaddress IS NOT NULL LIMIT 1")[0]["id"]
    new_line = {"defaultBilling": True, "addressBookAddress": {"addr1": "2 New St", "country": {"id": "GB"}}}
    async with make_client(sandbox) as client:
        # the raw wire, as NetSuite documents it: a line without an id is a new line
        await client._send("record.patch", "PATCH", f"/services/rest/record/v1/customer/{rid}", what="patch",
                           json={"addressBook": {"items": [new_line]}})
        assert len(_lines(sandbox, rid)) == 2
        await client._send("record.patch", "PATCH", f"/services/rest/record/v1/customer/{rid}", what="patch",
                           params={"replace": "addressBook"}, json={"addressBook": {"items": [new_line]}})
    lines = _lines(sandbox, rid)
    assert len(lines) == 1 and lines[0]["addr1"] == "2 New St" and lines[0]["country"] == "GB"


async def test_the_client_updates_the_default_billing_line_in_place(sandbox, make_client):
    rid = sandbox.query("SELECT id FROM customer WHERE defaultbillingaddress IS NOT NULL LIMIT 1")[0]["id"]
    shipping = sandbox.insert("entityaddress", addr1="9 Dock Rd", country="US")
    with sandbox.db:
        sandbox.records.add_address_line(rid, shipping, billing=False, shipping=True)
    async with make_client(sandbox) as client:
        with pytest.raises(NetSuiteValidationError, match="country"):  # a plain string is refused, as NetSuite does
            await client._send("record.patch", "PATCH", f"/services/rest/record/v1/customer/{rid}", what="patch",
                               json={"addressBook": {"items": [{"defaultBilling": True,
                                                                "addressBookAddress": {"country": "GB"}}]}})
        # the engine's body (country as text, no line id): the client sends {"id": "GB"} and the line's id
        await client.patch_record("customer", rid, {"addressBook": {"items": [{
            "defaultBilling": True, "addressBookAddress": {"addr1": "1 Market St", "city": "London", "country": "GB"}}]}})
    lines = _lines(sandbox, rid)
    assert [(l["defaultbilling"], l["addr1"], l["country"]) for l in lines] == [
        ("T", "1 Market St", "GB"), ("F", "9 Dock Rd", "US")]
    assert sandbox.row("customer", rid)["defaultbillingaddress"] == \
        sandbox.query("SELECT addressbookaddress AS n FROM entityaddressbook WHERE id = ?", (lines[0]["id"],))[0]["n"]


async def test_oneworld_needs_the_subsidiary_setting(tmp_path, clock, make_client):
    account = make_account(tmp_path, clock, oneworld=True)
    try:
        async with make_client(account) as client:
            with pytest.raises(NetSuiteValidationError, match="Subsidiary"):
                await client.create_record("customer", {"firstName": "No", "lastName": "Sub"})
        async with make_client(account, subsidiary=2) as client:
            rid = await client.create_record("customer", {"firstName": "With", "lastName": "Sub"})
        assert account.row("customer", rid)["subsidiary"] == 2
    finally:
        account.close()


async def test_times_are_read_in_the_accounts_time_zone(tmp_path, clock, make_client):
    """SuiteQL renders times in the user's time zone; with the setting the
    client reads them back as UTC, and writes its UTC bounds in that zone."""
    account = make_account(tmp_path, clock, time_zone="America/Los_Angeles", records=0)
    try:
        when = datetime(2026, 7, 1, 18, 30, tzinfo=timezone.utc)  # 11:30 in Los Angeles (PDT)
        rid = account.insert("customer", firstname="Tz", lastname="One", email="tz@example.com", lastmodifieddate=when)
        account.insert("customer", firstname="Tz", lastname="Two", email="tz2@example.com",
                       lastmodifieddate=when - timedelta(hours=3))
        query = dict(select="c.email", from_="customer c", key_time="c.lastmodifieddate", key_id="c.id",
                     since=when - timedelta(minutes=1))
        async with make_client(account) as naive:  # time_zone left at UTC: seven hours off
            rows = [r for page in [p async for p in naive.keyset_pages(**query)] for r in page]
            assert [r["lastmodifieddate"] for r in rows] != ["2026-07-01T18:30:00+00:00"]
        async with make_client(account, time_zone="America/Los_Angeles") as client:
            rows = [r for page in [p async for p in client.keyset_pages(**query)] for r in page]
            record = await client.get_record("customer", rid)
        assert [(r["email"], r["lastmodifieddate"]) for r in rows] == [("tz@example.com", "2026-07-01T18:30:00+00:00")]
        assert record["lastModifiedDate"] == "2026-07-01T18:30:00Z"  # the record API: UTC, as documented
    finally:
        account.close()


async def test_an_async_request_is_refused_not_pretended(sandbox, make_client):
    async with make_client(sandbox) as client:
        with pytest.raises(NetSuiteValidationError, match="respond-async"):
            await client._send("record.create", "POST", "/services/rest/record/v1/contact", what="create",
                               json={"firstName": "A", "lastName": "B"}, headers={"Prefer": "respond-async"})
