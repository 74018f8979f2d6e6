"""Secrets never show: not in reprs, not in any error message."""

from __future__ import annotations

import pytest

from nstui.netsuite.auth import TBAAuth
from nstui.netsuite.errors import NetSuiteError
from nstui.sandbox.netsuite_oauth import Verifier

from .conftest import CREDS, REALM, SECRETS

ALL = (*SECRETS, CREDS.consumer_key, CREDS.token_id)


async def test_reprs_hide_credentials(sandbox, make_client):
    async with make_client(sandbox) as client:
        shown = " ".join(repr(x) for x in (client, TBAAuth(CREDS, REALM), sandbox, Verifier(REALM, CREDS), CREDS))
        shown += str(client.__dict__) + str(client._http.__dict__)
    for secret in ALL:
        assert secret not in shown


@pytest.mark.parametrize("faults, call", [
    ({"throttle_rate": 1.0}, lambda c: c.ping()),
    ({"error_rate": 1.0}, lambda c: c.get_record("customer", 1001)),
    ({}, lambda c: c.patch_record("customer", 1001, {"email": "bad"})),
    ({}, lambda c: c.get_record("customer", 1)),
    ({}, lambda c: c.set_global_subscription_status("customer", 1001, 3)),
])
async def test_error_messages_name_the_account_never_a_secret(make_sandbox, make_client, faults, call):
    sandbox = make_sandbox(**faults)
    async with make_client(sandbox, max_retries=1) as client:
        with pytest.raises(NetSuiteError) as caught:
            await call(client)
    text = f"{caught.value} {caught.value!r} {caught.value.detail} {caught.value.code}"
    assert REALM in str(caught.value)
    for secret in ALL:
        assert secret not in text
