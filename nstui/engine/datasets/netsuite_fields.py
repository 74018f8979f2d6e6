"""NetSuite entity fields as the record API and the marketing platform want
them, and the integration's stage lists."""

from __future__ import annotations

from typing import Any

from nstui.config import ADDRESS_FIELDS
from nstui.engine.rules.merge import canon

MOBILE = "mobilenumber"  # the marketing "field" that is the contact's Mobile Number
STAGE_LISTS = {"LEAD": "Leads", "PROSPECT": "Prospects", "CUSTOMER": "Customers"}
#: SuiteQL column -> REST record field, where they differ.
REST_NAMES = {
    "firstname": "firstName", "lastname": "lastName", "companyname": "companyName",
    "mobilephone": "mobilePhone", "isperson": "isPerson", "entitystatus": "entityStatus",
    "globalsubscriptionstatus": "globalSubscriptionStatus", "altphone": "altPhone",
    "entityid": "entityId", "salesrep": "salesRep",
}
REFERENCE_FIELDS = {"entitystatus", "globalsubscriptionstatus", "salesrep"}


def rest_body(values: dict[str, Any], current: dict[str, Any] | None = None) -> dict[str, Any]:
    """A record API body from SuiteQL-named values.

    Address fields go through the ``addressBook`` sublist, whose default
    billing line replaces the address whole: the fields not being changed are
    sent with their current values (``current``), so none loses its value.
    """
    body: dict[str, Any] = {}
    address: dict[str, Any] = {}
    for name, value in values.items():
        if name in ADDRESS_FIELDS:
            address[name] = value
            continue
        key = REST_NAMES.get(name, name)
        if name in REFERENCE_FIELDS and value not in (None, ""):
            value = {"id": str(int(float(value)))}
        elif name.startswith("is") and not isinstance(value, bool) and value is not None:
            value = canon(value) is True
        elif value is not None and not isinstance(value, (str, bool)):
            value = str(value)
        body[key] = value
    if address:
        line = {a: (current or {}).get(a) for a in ADDRESS_FIELDS}
        line.update(address)
        body["addressBook"] = {"items": [{
            "defaultBilling": True,
            "addressBookAddress": {k: (None if v in (None, "") else str(v)) for k, v in line.items()},
        }]}
    return body


def to_marketing_value(netsuite_field: str, value: Any) -> Any:
    """NetSuite's 'T'/'F' become yes/no values (seed 003: isPerson maps to a
    yes/no data field, or a text field holding True or False)."""
    if isinstance(value, str) and value in ("T", "F") and netsuite_field.startswith("is"):
        return value == "T"
    if value == "":
        return None
    return value

