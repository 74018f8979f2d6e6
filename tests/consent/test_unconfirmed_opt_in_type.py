"""Bronto's "unconfirmed" (has not agreed yet, must opt in) is written as
Dotdigital's verified double opt-in, which sends the confirmation email and
keeps the contact pendingOptIn, i.e. not mailable, until they confirm. A plain
``double`` opt-in type leaves a contact subscribed: the sandbox follows the
spec there too (dotdigital-contacts-service.json,
channelProperties_channelProperties_email.optInType)."""

from __future__ import annotations

from nstui.config import MarketingConfig, SandboxConfig
from nstui.credentials import MarketingCredentials
from nstui.marketing.client import MarketingClient
from nstui.marketing.model import ContactWrite
from nstui.marketing.statuses import to_wire
from nstui.sandbox.marketing import MarketingSandbox

CREDS = MarketingCredentials("apiuser-test@apiconnector.com", "s3cret-Passw0rd-value")


def test_unconfirmed_is_written_as_verified_double():
    assert to_wire("unconfirmed") == {"status": "subscribed", "optInType": "verifiedDouble"}
    assert to_wire("onboarding")["optInType"] == "single"


async def test_unconfirmed_contact_is_pending_until_confirmed(tmp_path):
    box = MarketingSandbox(tmp_path / "mk.sqlite", credentials=CREDS, sandbox=SandboxConfig())
    try:
        async with MarketingClient(MarketingConfig(), CREDS, transport=box.transport()) as client:
            made = await client.upsert_contact(ContactWrite(email="new@example.com", status="unconfirmed"))
            assert made.status == "unconfirmed"
            assert box.contact("new@example.com")["wire_status"] == "pendingOptIn"
            # The engine reads it back as unconfirmed, not as a mailable onboarding contact.
            assert (await client.get_contact("new@example.com")).status == "unconfirmed"
            box.engage("new@example.com")  # the contact clicks the confirmation link
            assert (await client.get_contact("new@example.com")).status == "active"
    finally:
        box.close()


async def test_plain_double_opt_in_type_stays_subscribed(tmp_path):
    box = MarketingSandbox(tmp_path / "mk.sqlite", credentials=CREDS, sandbox=SandboxConfig())
    try:
        async with MarketingClient(MarketingConfig(), CREDS, transport=box.transport()) as client:
            await client._set_email_channel("d@example.com", {"status": "subscribed", "optInType": "double"})
            contact = box.contact("d@example.com")
            assert contact["wire_status"] == "subscribed" and contact["status"] == "onboarding"
    finally:
        box.close()


async def test_sandbox_answers_with_its_own_date(tmp_path):
    from datetime import datetime, timedelta, timezone

    ahead = datetime.now(timezone.utc) + timedelta(hours=3)
    box = MarketingSandbox(tmp_path / "mk.sqlite", credentials=CREDS, sandbox=SandboxConfig(), clock=lambda: ahead)
    try:
        async with MarketingClient(MarketingConfig(), CREDS, transport=box.transport()) as client:
            await client.list_lists()
            seen = client.server_clock.now()
            assert seen is not None and abs((seen - ahead).total_seconds()) < 5
    finally:
        box.close()
