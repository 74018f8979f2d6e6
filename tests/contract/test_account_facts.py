"""What the accounts have, read through the real clients from the sandboxes'
documented surfaces (NetSuite's REST metadata catalog, SuiteQL; Dotdigital's
data fields and address books), and the rules that hold a setting to it."""

from __future__ import annotations

import pytest

from nstui.account_facts import (
    AccountReader,
    MarketingFacts,
    field_kind,
    mapping_problems,
    price_level_problem,
    read_marketing,
    read_netsuite,
    source_field_choices,
    source_field_problem,
)
from nstui.config import FieldMapping
from nstui.connections import open_connections
from nstui.netsuite.errors import NetSuiteError


async def facts(env):
    async with open_connections(env.cfg, sandboxes=env.boxes) as conn:
        reader = AccountReader(conn.netsuite, conn.marketing)
        return await read_netsuite(reader), await read_marketing(reader), conn.netsuite.calls


async def test_the_metadata_catalog_gives_each_field_and_its_kind(make_env):
    ns, mk, calls = await facts(make_env())
    customer = ns.fields["customers"]
    assert customer["firstname"].kind == "text" and not customer["firstname"].custom
    assert customer["custentity_marketing_optin"].kind == "checkbox" and customer["custentity_marketing_optin"].custom
    assert customer["entitystatus"].kind == "select" and customer["globalsubscriptionstatus"].kind == "select"
    assert customer["lastmodifieddate"].kind == "date" and customer["isperson"].kind == "checkbox"
    assert "addressbook" not in customer and "subscriptions" not in customer  # sublists are no fields
    assert customer["city"].kind == "text" and "stage" in customer  # the engine's own names
    assert "company" in ns.fields["contacts"] and "stage" not in ns.fields["contacts"]
    assert ns.fields["items"]["custitem_colors"].kind == "multiselect"
    assert ns.price_levels[0] == "Base Price" and "Online Price" in ns.price_levels and "USD" in ns.currencies
    assert ns.subscriptions[:2] == ["Newsletter", "Product Updates"]
    assert calls["metadata"] == 3
    assert mk.data_fields["FIRSTNAME"] == "String" and "Newsletter" in mk.lists


async def test_the_catalog_is_json_schema_only_and_names_unknown_records(make_env):
    env = make_env()
    async with open_connections(env.cfg, sandboxes=env.boxes) as conn:
        with pytest.raises(NetSuiteError, match="salesorder"):
            await conn.netsuite.record_metadata("salesorder")


def test_kinds_of_documented_shapes():
    ref = {"type": "object", "properties": {"id": {"type": "string"}, "refName": {"type": "string"}}}
    assert field_kind(ref) == "select" and field_kind({"$ref": "/x/customerstatus"}) == "select"
    assert field_kind({"type": "object", "properties": {"items": {}, "totalResults": {}}}) == "multiselect"
    assert field_kind({"type": "object", "properties": {"items": {}, "hasMore": {}, "count": {}}}) is None
    assert field_kind({"type": "string", "format": "date"}) == "date"
    assert field_kind({"type": "integer"}) == "number" and field_kind({"type": "array"}) is None


async def test_settings_are_held_to_what_the_accounts_have(make_env):
    ns, mk, _ = await facts(make_env())
    assert [f.name for f in source_field_choices(ns, ["customers", "contacts"])] == ["custentity_marketing_optin"]
    assert source_field_problem("custentity_marketing_optin", ns, ["customers"]) is None
    problem = source_field_problem("custentity_optin", ns, ["customers", "contacts"])
    assert problem == ("optins.source_field: 'custentity_optin' is not a custom checkbox or list field of customer "
                       "and contact in NetSuite (it has: custentity_marketing_optin)")
    assert "isinactive" not in {f.name for f in source_field_choices(ns, [])}  # a standard checkbox is no consent
    assert price_level_problem("Online Price", ns.price_levels) is None
    assert "no price level 'Gold' (it has: Base Price, Alternate Price 1" in price_level_problem("Gold", ns.price_levels)

    def problems(dataset, netsuite, marketing="TIER", kind=None):
        return mapping_problems(dataset, FieldMapping(netsuite=netsuite, marketing=marketing, netsuite_type=kind),
                                ns, mk)

    assert problems("customers", "firstname", "FIRSTNAME", "text") == []
    assert problems("customers", "city", "CITY") == []
    assert problems("customers", "phone", "mobileNumber") == []
    assert problems("customers", "custentity_tier", "FIRSTNAME") == [
        "netsuite: NetSuite's customer record has no field 'custentity_tier' (pick one of its "
        f"{len(ns.fields['customers'])} fields)"]
    assert problems("customers", "isperson", "FIRSTNAME", "text") == [
        "netsuite_type: isperson is a checkbox field in NetSuite, not text"]
    assert problems("items", "custitem_colors", "colors", "text") == [
        "netsuite: custitem_colors is a multiple select field in NetSuite; multi-select fields cannot be mapped "
        "on items (seed 003)"]
    assert problems("customers", "firstname", "NICKNAME")[0].startswith(
        "marketing: the marketing account has no data field 'NICKNAME' (it has: ")
    numeric = MarketingFacts({**mk.data_fields, "SCORE": "Numeric"}, mk.lists)
    assert mapping_problems("customers", FieldMapping(netsuite="isperson", marketing="SCORE"), ns, numeric) == [
        "marketing: isperson is a checkbox but data field SCORE is Numeric; map it to a Boolean or String data field"]
    assert mapping_problems("customers", FieldMapping(netsuite="nope", marketing="NOPE"), None, None) == []
