"""The marketing client against the embedded Dotdigital sandbox: every
operation, through the real client and the real wire format."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from nstui.config import MarketingConfig, SandboxConfig
from nstui.credentials import MarketingCredentials
from nstui.marketing.client import Backoff, MarketingClient
from nstui.marketing.errors import MarketingAuthError, MarketingError, MarketingRateLimited
from nstui.marketing.model import CONTACT_STATUSES, ContactWrite
from nstui.marketing.statuses import READ_TABLE, from_wire, to_wire
from nstui.sandbox.marketing import MarketingSandbox

CREDS = MarketingCredentials("apiuser-test@apiconnector.com", "s3cret-Passw0rd-value")
T0 = datetime(2026, 11, 1, 12, 0, tzinfo=timezone.utc)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def tick(self, seconds: int = 1) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sandbox(tmp_path, clock):
    box = MarketingSandbox(tmp_path / "mk.sqlite", credentials=CREDS, sandbox=SandboxConfig(), clock=clock)
    yield box
    box.close()


def make_client(sandbox, creds=CREDS, **cfg) -> MarketingClient:
    sleeps: list[float] = []

    async def sleep(s: float) -> None:
        sleeps.append(s)

    client = MarketingClient(MarketingConfig(**cfg), creds, transport=sandbox.transport(), sleep=sleep,
                             backoff=Backoff(base=0.01))
    client.sleeps = sleeps  # type: ignore[attr-defined]
    return client


@pytest.fixture
async def client(sandbox):
    async with make_client(sandbox) as c:
        yield c


# -- status mapping ------------------------------------------------------------------


@pytest.mark.parametrize("wire_status, opt_in", sorted(READ_TABLE, key=str))
def test_status_table_reads_every_value(wire_status, opt_in):
    assert from_wire(wire_status, opt_in) == READ_TABLE[(wire_status, opt_in)]


def test_status_table_covers_every_platform_status():
    from typing import get_args

    from nstui.marketing.wire import EmailStatus

    for status in get_args(EmailStatus):
        from_wire(status, "Single")  # none unknown


@pytest.mark.parametrize("status", ["onboarding", "unconfirmed", "unsubscribed"])
async def test_status_round_trips_through_the_platform(client, sandbox, status):
    email = f"{status}@example.com"
    await client.upsert_contact(ContactWrite(email=email, status=status))  # type: ignore[arg-type]
    assert (await client.get_contact(email)).status == status


def test_status_table_covers_bronto_vocabulary():
    read = {v[0] for v in READ_TABLE.values()}
    assert read == set(CONTACT_STATUSES)
    for status in ("active", "transactional", "bounced"):
        with pytest.raises(ValueError):
            to_wire(status)


async def test_active_after_engagement(client, sandbox):
    await client.upsert_contact(ContactWrite(email="eng@example.com", status="onboarding"))
    sandbox.engage("eng@example.com")
    assert (await client.get_contact("eng@example.com")).status == "active"


# -- auth, errors, retries --------------------------------------------------------------


async def test_bad_credentials_401_clear_and_secret_free(sandbox):
    wrong = MarketingCredentials(CREDS.username, "not-the-password-xyz")
    async with make_client(sandbox, wrong) as c:
        with pytest.raises(MarketingAuthError) as e:
            await c.ping()
    text = str(e.value)
    assert "401" in text and "NSTUI_DD_USERNAME" in text and "NSTUI_DD_PASSWORD" in text
    assert "not-the-password-xyz" not in text and CREDS.password not in text and CREDS.username not in text
    assert "hidden" in repr(wrong) and wrong.password not in repr(wrong)


async def test_429_retried_honouring_reset(sandbox):
    sandbox.faults.configure(throttle_rate=0.5)
    async with make_client(sandbox) as c:
        for i in range(10):
            await c.upsert_contact(ContactWrite(email=f"t{i}@example.com"))
        assert c.calls["retry"] > 0
        assert all(s <= 300 for s in c.sleeps)  # type: ignore[attr-defined]
    assert len(sandbox.dump()["contacts"]) == 10


async def test_429_gives_up_after_max_retries(sandbox):
    sandbox.faults.configure(throttle_rate=1.0)
    async with make_client(sandbox, max_retries=2) as c:
        with pytest.raises(MarketingRateLimited):
            await c.list_lists()
        assert c.calls["retry"] == 2


async def test_5xx_retried(sandbox):
    sandbox.faults.configure(error_rate=0.4)
    async with make_client(sandbox) as c:
        lists = await c.list_lists()
    assert {lst.name for lst in lists} >= {"Newsletter", "VIP"}


async def test_4xx_raised_with_platform_message(client):
    with pytest.raises(MarketingError) as e:
        await client.upsert_contact(ContactWrite(email="x@example.com", lists=[9999]))
    assert "9999" in str(e.value) and e.value.status == 400


# -- lists -----------------------------------------------------------------------------


async def test_lists_find_create_add_remove(client, sandbox):
    assert await client.find_list("Brand New") is None
    created = await client.create_list("Brand New")
    assert (await client.find_list("Brand New")).id == created.id
    await client.upsert_contact(ContactWrite(email="a@example.com"))
    await client.add_to_list(created.id, ["a@example.com", "B@Example.com"])
    assert "Brand New" in sandbox.contact("b@example.com")["lists"]
    await client.remove_from_list(created.id, ["a@example.com"])
    assert "Brand New" not in sandbox.contact("a@example.com")["lists"]
    with pytest.raises(MarketingError):
        await client.create_list("Brand New")


# -- contacts ----------------------------------------------------------------------------


async def test_upsert_get_delete_case_insensitive(client, sandbox):
    c = await client.upsert_contact(ContactWrite(email="Mixed@Example.COM", data_fields={"FIRSTNAME": "Ann"},
                                                 mobile_number="+14155552671"))
    assert c.email == "mixed@example.com" and c.data_fields["FIRSTNAME"] == "Ann"
    again = await client.upsert_contact(ContactWrite(email="mixed@example.com", data_fields={"LASTNAME": "Lee"}))
    assert again.contact_id == c.contact_id and again.data_fields == {"FIRSTNAME": "Ann", "LASTNAME": "Lee"}
    assert (await client.get_contact("MIXED@example.com")).mobile_number == "+14155552671"
    got = await client.get_contacts(["mixed@example.com", "nobody@example.com"])
    assert list(got) == ["mixed@example.com"]
    await client.delete_contact("mixed@example.com")
    assert await client.get_contact("mixed@example.com") is None
    await client.delete_contact("mixed@example.com")  # already gone: no error


async def test_bulk_import_5000_in_platform_batches(client, sandbox):
    writes = [ContactWrite(email=f"bulk{i}@example.com", data_fields={"N": i}) for i in range(5000)]
    writes.append(ContactWrite(email="not-an-email"))
    report = await client.import_contacts(writes)
    assert report.created == 5000 and report.updated == 0
    assert report.failed and report.failed[0][0] == "not-an-email"
    assert client.calls["contacts.import"] == 6  # 5,001 contacts in batches of 1,000
    assert len(sandbox.dump()["contacts"]) == 5000
    report = await client.import_contacts(writes[:10])
    assert report.updated == 10


async def test_unsubscribed_stays_unless_resubscribed(client, sandbox):
    await client.upsert_contact(ContactWrite(email="u@example.com", status="onboarding"))
    sandbox.contact_unsubscribes("u@example.com")
    await client.upsert_contact(ContactWrite(email="u@example.com", status="onboarding"))
    assert (await client.get_contact("u@example.com")).status == "unsubscribed"
    await client.resubscribe("u@example.com", with_confirmation=True)
    assert (await client.get_contact("u@example.com")).status == "unconfirmed"


async def test_suppress_and_unsuppress(client):
    await client.upsert_contact(ContactWrite(email="s@example.com", status="onboarding"))
    await client.suppress("s@example.com")
    c = await client.get_contact("s@example.com")
    assert c.suppressed
    await client.upsert_contact(ContactWrite(email="s@example.com", status="onboarding"))
    assert (await client.get_contact("s@example.com")).suppressed  # stays suppressed
    await client.unsuppress("s@example.com")
    c = await client.get_contact("s@example.com")
    assert not c.suppressed and c.status == "onboarding"


async def test_unsubscribe(client):
    await client.upsert_contact(ContactWrite(email="x@example.com"))
    await client.unsubscribe("x@example.com")
    c = await client.get_contact("x@example.com")
    assert c.status == "unsubscribed" and not c.suppressed


# -- changed since -------------------------------------------------------------------------


async def test_changed_since_reads_are_exact(client, sandbox, clock):
    await client.upsert_contact(ContactWrite(email="old@example.com"))
    t1 = clock.tick(10)
    await client.upsert_contact(ContactWrite(email="new@example.com"))
    clock.tick(10)
    seen = [c.email async for c in client.contacts_changed_since(t1)]
    assert seen == ["new@example.com"]
    seen = [c.email async for c in client.contacts_changed_since(t1 + timedelta(seconds=1))]
    assert seen == []


async def test_changed_since_pages_by_marker(client, sandbox, clock):
    await client.import_contacts([ContactWrite(email=f"p{i}@example.com") for i in range(2500)])
    seen = [c.email async for c in client.contacts_changed_since(T0)]
    assert len(seen) == len(set(seen)) == 2500
    assert client.calls["contacts.changed"] == 3


async def test_opt_outs_since(client, sandbox, clock):
    for e in ("a@example.com", "b@example.com", "c@example.com"):
        await client.upsert_contact(ContactWrite(email=e))
    t = clock.tick(5)
    sandbox.contact_unsubscribes("a@example.com")
    sandbox.bounce("b@example.com", hard=True)
    await client.suppress("c@example.com")
    outs = {o.email: o.reason async for o in client.opt_outs_since(t)}
    assert outs == {"a@example.com": "unsubscribed", "b@example.com": "bounced", "c@example.com": "suppressed"}
    assert [o async for o in client.opt_outs_since(clock.tick(5))] == []


async def test_list_changes_since(client, sandbox, clock):
    vip = await client.find_list("VIP")
    await client.upsert_contact(ContactWrite(email="a@example.com", lists=[vip.id]))
    t = clock.tick(5)
    await client.upsert_contact(ContactWrite(email="b@example.com", lists=[vip.id]))
    changes = [(e, m) async for e, m, _ in client.list_changes_since(vip.id, t)]
    assert changes == [("b@example.com", True)]


async def test_list_unsubscribes_since_come_with_their_time(client, sandbox, clock):
    vip = await client.find_list("VIP")
    await client.upsert_contact(ContactWrite(email="a@example.com", lists=[vip.id]))
    await client.upsert_contact(ContactWrite(email="b@example.com", lists=[vip.id]))
    sandbox.contact_unsubscribes_from_list("a@example.com", "VIP")  # before t: not reported
    t = clock.tick(5)
    sandbox.contact_unsubscribes_from_list("b@example.com", "VIP")
    got = [x async for x in client.list_unsubscribes_since(vip.id, t)]
    assert got == [("b@example.com", t)]  # at the platform's time, inclusive of the given second
    assert "VIP" not in sandbox.contact("b@example.com")["lists"]  # they left the list
    assert [x async for x in client.list_unsubscribes_since(vip.id, clock.tick(5))] == []


# -- insight data ---------------------------------------------------------------------------


async def test_catalog_and_orders_collections(client, sandbox):
    await client.ensure_collection("catalog_AcmeUS_NetSuite", scope="account")
    await client.ensure_collection("catalog_AcmeUS_NetSuite", scope="account")  # exists: fine
    await client.upsert_insight_records("catalog_AcmeUS_NetSuite", [("1", {"name": "Mug", "price": 5.0}),
                                                                   ("2", {"name": "Pen", "price": 1.0})])
    records = dict([r async for r in client.list_insight_records("catalog_AcmeUS_NetSuite")])
    assert records["1"]["name"] == "Mug"
    await client.delete_insight_record("catalog_AcmeUS_NetSuite", "1")
    assert [k async for k, _ in client.list_insight_records("catalog_AcmeUS_NetSuite")] == ["2"]
    await client.upsert_contact(ContactWrite(email="buyer@example.com"))
    await client.ensure_collection("Orders", scope="contact")
    await client.upsert_insight_records("Orders", [("SO1", {"order_total": 9.5})], contact_emails=["buyer@example.com"])
    assert [k async for k, _ in client.list_insight_records("Orders", scope="contact")] == ["SO1"]
    with pytest.raises(MarketingError):
        await client.upsert_insight_records("Orders", [("SO2", {})], contact_emails=["nobody@example.com"])


async def test_ping(client):
    assert "OK" in await client.ping()


def test_wire_models_refuse_drift():
    from pydantic import ValidationError

    from nstui.marketing.wire import Contact

    good = {"contactId": 1, "status": "subscribed", "created": "2026-01-01T00:00:00Z",
            "updated": "2026-01-01T00:00:00Z", "identifiers": {"email": "a@b.co"}}
    Contact.model_validate(good)
    with pytest.raises(ValidationError):
        Contact.model_validate({**good, "surprise": 1})
    with pytest.raises(ValidationError):
        Contact.model_validate({**good, "channelProperties": {"email": {"status": "happy"}}})
