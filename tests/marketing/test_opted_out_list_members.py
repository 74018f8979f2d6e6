"""What the platform does when an unsubscribed, bounced or suppressed contact
is written with a list, as Dotdigital's descriptions say, and how the client
reads it (README, "The marketing platform": opted-out contacts and lists).

- No refusal is documented: importContact answers 200/201 (400 and 409 are
  for malformed requests and identifier conflicts), importContacts' failure
  codes are about bad entries (invalidEmail, duplicateIdentifier, ...).
- The channel status stays as it was: a write lifts an opt-out only with
  resubscribeOptions (channelPropertiesWithResubscribe); Dotdigital's
  "Understanding unified contacts" (Channel subscription behavior): updates of
  a suppressed contact succeed and leave its channel statuses unchanged.
- The membership is kept with its own list status, ``suppressed``
  (contact_lists.status: subscribed, suppressed, pending): on the list, not
  mailed from it.
"""

from __future__ import annotations

import pytest

from nstui.marketing.model import ContactWrite

from .test_mk_client import CREDS, clock, client, make_client, sandbox  # noqa: F401  (fixtures)

OPT_OUTS = {
    "unsubscribed": lambda box, e: box.contact_unsubscribes(e),
    "suppressed": lambda box, e: box.company_suppresses(e),
    "hardBounced": lambda box, e: box.bounce(e),
}


def list_id(sandbox, name: str) -> int:
    return sandbox._list_id(name)


async def raw_lists(client, email: str) -> list[dict]:
    response = await client._http.get(f"/contacts/v3/email/{email}")
    assert response.status_code == 200
    return response.json()["lists"]


@pytest.mark.parametrize("wire_status", OPT_OUTS)
async def test_a_single_write_with_a_list_keeps_the_opt_out_and_a_suppressed_membership(sandbox, client, wire_status):
    sandbox.add_contact("out@example.com")
    OPT_OUTS[wire_status](sandbox, "out@example.com")
    news = list_id(sandbox, "Newsletter")
    contact = await client.upsert_contact(ContactWrite(email="out@example.com", lists=[news],
                                                       data_fields={"FIRSTNAME": "Olive"}))
    assert sandbox.contact("out@example.com")["wire_status"] == wire_status
    assert contact.status in ("unsubscribed", "bounced")
    assert news in contact.lists
    if wire_status == "suppressed":
        assert contact.suppressed  # the company's block: the memberships wait for it to be lifted
    else:
        assert not contact.subscribed_to(news)  # their own opt-out: the membership is suppressed
    assert await raw_lists(client, "out@example.com") == [{"id": news, "name": "Newsletter", "status": "suppressed"}]
    # the data is written all the same ("we do not reject any updates because they are suppressed")
    assert sandbox.contact("out@example.com")["data_fields"]["FIRSTNAME"] == "Olive"


@pytest.mark.parametrize("wire_status", OPT_OUTS)
async def test_an_import_with_a_list_is_no_failure_and_keeps_the_opt_out(sandbox, client, wire_status):
    sandbox.add_contact("out@example.com")
    OPT_OUTS[wire_status](sandbox, "out@example.com")
    promos = list_id(sandbox, "Promotions")
    report = await client.import_contacts([ContactWrite(email="out@example.com", lists=[promos])])
    assert (report.created, report.updated, report.failed) == (0, 1, [])
    assert sandbox.contact("out@example.com")["wire_status"] == wire_status
    assert await raw_lists(client, "out@example.com") == [{"id": promos, "name": "Promotions", "status": "suppressed"}]


async def test_a_write_of_subscribed_without_resubscribe_options_does_not_lift_the_opt_out(sandbox, client):
    sandbox.add_contact("out@example.com")
    sandbox.contact_unsubscribes("out@example.com")
    await client.upsert_contact(ContactWrite(email="out@example.com", status="onboarding",
                                             lists=[list_id(sandbox, "Events")]))
    assert sandbox.contact("out@example.com")["wire_status"] == "unsubscribed"


async def test_list_changes_name_only_subscribed_members_as_members(sandbox, client, clock):
    """Seed 003: "a subscribed member of the NetSuite integration's customer list"
    is a customer entity; an unsubscribed one on the same list is not."""
    since = clock.now
    for email in ("in@example.com", "out@example.com"):
        sandbox.add_contact(email)
        sandbox.add_to_list_by_name(email, "VIP")
    sandbox.contact_unsubscribes("out@example.com")
    members = {e: m async for e, m, _ in client.list_changes_since(list_id(sandbox, "VIP"), since)}
    assert members == {"in@example.com": True, "out@example.com": False}
