"""getContacts returns "a minimum of contactId and any associated
identifiers"; data fields come only when named in ``data-fields`` ([[ALL]]:
every one) and channel properties and lists only when named in ``include``
(dotdigital-contacts-service.json, getContacts parameters). The client asks
for what it reads."""

from __future__ import annotations

from nstui.marketing.model import ContactWrite

from .test_mk_client import CREDS, clock, client, make_client, sandbox  # noqa: F401  (fixtures)


async def page(client, query: str) -> dict:
    response = await client._http.get("/contacts/v3" + query)
    assert response.status_code == 200
    return response.json()["_items"][0]


async def test_only_what_is_asked_for_comes_back(client, sandbox):
    sandbox.add_contact("ann@example.com", {"FIRSTNAME": "Ann", "LASTNAME": "Lee"})
    sandbox.add_to_list_by_name("ann@example.com", "Events")
    bare = await page(client, "")
    assert set(bare) == {"contactId", "status", "created", "updated", "identifiers"}
    some = await page(client, "?data-fields=firstname&include=lists")
    assert some["dataFields"] == {"FIRSTNAME": "Ann"} and [lst["name"] for lst in some["lists"]] == ["Events"]
    assert "channelProperties" not in some
    everything = await page(client, "?data-fields=[[ALL]]&include=channelProperties|lists")
    assert everything["dataFields"] == {"FIRSTNAME": "Ann", "LASTNAME": "Lee"}
    assert everything["channelProperties"]["email"]["status"] == "subscribed"


async def test_the_client_reads_status_lists_and_data_fields_from_a_changed_page(client, sandbox):
    await client.upsert_contact(ContactWrite(email="bo@example.com", status="onboarding",
                                             data_fields={"FIRSTNAME": "Bo"}, lists=[sandbox._list_id("VIP")]))
    [contact] = [c async for c in client.contacts_changed_since(None)]
    assert (contact.status, contact.data_fields, list(contact.lists)) == (
        "onboarding", {"FIRSTNAME": "Bo"}, [sandbox._list_id("VIP")])
