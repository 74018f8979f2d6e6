"""The NetSuite sandbox's metadata catalog: what fields each record has, and
of what kind, as REST web services describe them.

``GET /services/rest/record/v1/metadata-catalog`` lists the record types;
``GET .../metadata-catalog/{type}`` with ``Accept: application/schema+json``
answers the record's JSON Schema ("Working with Resource Metadata",
https://docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/chapter_1540810168.html;
"Getting Metadata", .../section_1540810174.html; "Working with JSON Schema
Metadata", .../section_1545129726.html): one property per field, REST-named
(``firstName``; a custom field keeps its script id and carries
``x-ns-custom-field``), typed (``string``, ``boolean``, ``number``,
``string`` + ``format: date-time``). A select field is an object holding the
referenced record's ``id`` and ``refName`` ("Format of Selects and
References", .../section_1545142037.html), with the ``id``'s ``enum`` where the
values are fixed; a multi-select is a collection of such references under
``items`` ("Format of Multiselects", .../section_1545142093.html); a sublist
is a paged collection (``items``, ``count``, ``hasMore``, ``offset``).

The fields are the sandbox's own columns (``netsuite_data.SCHEMA``), so what
the catalog says is what SuiteQL and the record API take.
"""

from __future__ import annotations

from typing import Any

from nstui.sandbox.netsuite_data import SCHEMA

#: REST record type -> the SuiteQL table holding its fields. Items come in
#: several record types sharing their body fields; the inventory item stands for them.
RECORD_TABLES = {"customer": "customer", "contact": "contact", "inventoryitem": "item"}

#: Columns that are references (select fields), and the record they point to.
SELECTS = {
    "entitystatus": "customerstatus", "subsidiary": "subsidiary", "company": "customer",
    "defaultbillingaddress": "address", "globalsubscriptionstatus": None, "currency": "currency",
    "location": "location", "entity": "customer",
}
#: Select fields whose values are fixed (the id's ``enum``).
ENUMS = {"globalsubscriptionstatus": ["1", "2", "3", "4"]}
#: Multi-select columns (stored as "1, 3": the ids of ``customlist_colors``).
MULTISELECTS = {"custitem_colors": "customlist_colors"}
#: REST names where they are not the column's name (matched without regard to case).
REST_NAMES = {
    "entityid": "entityId", "firstname": "firstName", "lastname": "lastName", "mobilephone": "mobilePhone",
    "globalsubscriptionstatus": "globalSubscriptionStatus", "isinactive": "isInactive", "externalid": "externalId",
    "isperson": "isPerson", "companyname": "companyName", "entitystatus": "entityStatus",
    "defaultbillingaddress": "defaultBillingAddress", "datecreated": "dateCreated",
    "lastmodifieddate": "lastModifiedDate", "searchstage": "searchStage", "itemid": "itemId", "displayname": "displayName",
    "itemtype": "itemType", "urlcomponent": "urlComponent", "storedisplayimage": "storeDisplayImage",
    "storedisplaythumbnail": "storeDisplayThumbnail", "createddate": "createdDate",
}
TITLES = {"custentity_marketing_optin": "Marketing Opt-In", "custitem_colors": "Colors", "id": "Internal ID"}
_SUBLISTS = {"customer": ("addressBook", "subscriptions"), "contact": ("addressBook", "subscriptions")}
_NS_LINK = {"$ref": "/services/rest/record/v1/metadata-catalog/nsLink"}


def _title(column: str) -> str:
    rest = REST_NAMES.get(column, column)
    words, word = [], ""
    for ch in rest:
        if ch.isupper() and word:
            words.append(word)
            word = ch
        else:
            word += ch
    words.append(word)
    return TITLES.get(column) or " ".join(w[:1].upper() + w[1:] for w in words)


def _reference(column: str) -> dict[str, Any]:
    ident: dict[str, Any] = {"title": "Internal identifier", "type": "string"}
    if column in ENUMS:
        ident["enum"] = ENUMS[column]
    return {"type": "object", "properties": {
        "id": ident,
        "refName": {"title": "Reference Name", "type": "string"},
        "links": {"title": "Links", "type": "array", "readOnly": True, "items": _NS_LINK},
    }}


def _property(column: str, kind: str) -> dict[str, Any]:
    if column in MULTISELECTS:
        prop: dict[str, Any] = {"type": "object", "properties": {
            "items": {"type": "array", "items": _reference(column)},
            "totalResults": {"title": "Total Results", "type": "integer"},
            "links": {"title": "Links", "type": "array", "readOnly": True, "items": _NS_LINK},
        }}
    elif column in SELECTS:
        prop = _reference(column)
    elif column == "id":
        prop = {"type": "string", "readOnly": True}
    elif kind == "bool":
        prop = {"type": "boolean"}
    elif kind == "datetime":
        prop = {"type": "string", "format": "date-time"}
    elif kind == "int":
        prop = {"type": "integer", "format": "int64"}
    elif kind == "real":
        prop = {"type": "number", "format": "double"}
    else:
        prop = {"type": "string"}
    prop = {"title": _title(column), **prop, "nullable": column != "id"}
    if column.startswith(("custentity", "custitem", "custbody")):
        prop["x-ns-custom-field"] = True
    return prop


def _sublist(name: str) -> dict[str, Any]:
    return {"title": name, "type": "object", "properties": {
        "items": {"type": "array", "items": {"type": "object"}},
        "count": {"type": "integer"}, "hasMore": {"type": "boolean"}, "offset": {"type": "integer"},
        "totalResults": {"type": "integer"},
        "links": {"title": "Links", "type": "array", "readOnly": True, "items": _NS_LINK},
    }}


def record_schema(record_type: str) -> dict[str, Any] | None:
    """The JSON Schema of one record type, or None when the sandbox has no such record."""
    table = RECORD_TABLES.get(record_type.lower())
    if table is None:
        return None
    properties: dict[str, Any] = {
        "links": {"title": "Links", "type": "array", "readOnly": True, "items": _NS_LINK},
        "refName": {"title": "Reference Name", "type": "string"},
    }
    for column, kind in SCHEMA[table]:
        properties[REST_NAMES.get(column, column)] = _property(column, kind)
    for name in _SUBLISTS.get(table, ()):
        properties[name] = _sublist(name)
    return {"type": "object", "properties": properties}


def catalog(base: str) -> dict[str, Any]:
    """The list of record types, each with its links (as "Getting Metadata" shows it)."""
    items = []
    for name in RECORD_TABLES:
        href = f"{base}/services/rest/record/v1/metadata-catalog/{name}"
        items.append({"name": name, "links": [
            {"rel": "canonical", "href": href, "mediaType": "application/json"},
            {"rel": "alternate", "href": href, "mediaType": "application/swagger+json"},
            {"rel": "alternate", "href": href, "mediaType": "application/schema+json"},
        ]})
    return {"items": items}
