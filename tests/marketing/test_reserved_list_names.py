"""The list names Dotdigital keeps for itself (All contacts, Test): the
sandbox refuses to create one, as the platform does
(ERROR_ADDRESSBOOK_NAME_ISRESERVED), and the client says so before sending."""

from __future__ import annotations

import pytest

from nstui.marketing.errors import MarketingError

from .test_mk_client import CREDS, clock, client, make_client, sandbox  # noqa: F401  (fixtures)


@pytest.mark.parametrize("name", ["Test", "All contacts", " all CONTACTS "])
async def test_the_sandbox_refuses_a_reserved_list_name(client, name):
    response = await client._http.post("/v2/address-books", json={"name": name, "visibility": "Private"})
    assert response.status_code == 400 and "ERROR_ADDRESSBOOK_NAME_ISRESERVED" in response.json()["message"]


async def test_the_client_refuses_it_without_a_request(client, sandbox):
    before = dict(sandbox.requests)
    with pytest.raises(MarketingError, match="keeps for itself"):
        await client.create_list("Test")
    assert sandbox.requests == before and client.calls["lists.create"] == 0
    assert (await client.create_list("Testers")).name == "Testers"
