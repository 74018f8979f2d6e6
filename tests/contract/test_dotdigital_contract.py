"""Every request the marketing client sends and every answer the marketing
sandbox gives over a whole sync with changes, checked against the
operations' descriptions (tests/contract/dotdigital_schemas.py, written from
Dotdigital's OpenAPI files)."""

from __future__ import annotations

import json

import jsonschema
import pytest

from .dotdigital_schemas import OPERATIONS, Operation, operation_of
from .sync_with_changes import sync_with_changes


def problems_of(exchanges) -> list[str]:
    problems = []
    for ex in exchanges:
        req, res = ex.request, ex.response
        where = f"{req.method} {req.url.path}"
        op = operation_of(req.method, req.url.path)
        if op is None:
            problems.append(f"{where}: no described operation")
            continue
        names = set(req.url.params.keys())
        if names - op.query:
            problems.append(f"{where} ({op.operation_id}): query {sorted(names - op.query)} not in {sorted(op.query)}")
        if op.required_query - names:
            problems.append(f"{where} ({op.operation_id}): missing query {sorted(op.required_query - names)}")
        if op.body is not None:
            try:
                jsonschema.validate(json.loads(req.content or b"null"), op.body)
            except (jsonschema.ValidationError, ValueError) as e:
                problems.append(f"{where} ({op.operation_id}) request: {str(e).splitlines()[0]}")
        if res.status_code not in op.responses:
            problems.append(f"{where} ({op.operation_id}): answered {res.status_code}, "
                            f"documented {sorted(op.responses)}")
            continue
        schema = op.responses[res.status_code]
        if schema is not None:
            try:
                jsonschema.validate(res.json(), schema)
            except (jsonschema.ValidationError, ValueError) as e:
                problems.append(f"{where} ({op.operation_id}) answer {res.status_code}: {str(e).splitlines()[0]}")
    return problems


async def test_every_marketing_request_and_answer_is_as_described(recorded_env):
    env = await sync_with_changes(recorded_env)
    used = [operation_of(ex.request.method, ex.request.url.path) for ex in env.mk_log]
    assert len(env.mk_log) > 50, [o.operation_id for o in used if o]
    assert problems_of(env.mk_log) == []
    # the sync reached the operations it is meant to exercise
    assert {o.operation_id for o in used if o} >= {
        "getContacts", "importContacts", "getImportStatus", "getContact", "importContact",
        "ApiAddressBook_GetAddressBooks", "importInsightData"}


async def test_the_checker_catches_what_the_spec_forbids(recorded_env):
    """The checks can fail: a query parameter getContact does not take, a
    page without _links.first, and a DELETE answering 204 are all named."""
    import httpx
    from .conftest import Exchange

    def ex(method, url, status, body=None, content=None):
        request = httpx.Request(method, "https://r1-api.dotdigital.com" + url, content=content)
        return Exchange(request, httpx.Response(status, json=body))

    bad = [
        ex("GET", "/contacts/v3/email/a@example.com?include=lists", 404, {"errorCode": "x", "description": "y"}),
        ex("GET", "/contacts/v3?limit=10", 200, {"_links": {"self": {"link": "/contacts/v3", "marker": ""}},
                                                 "_items": []}),
        ex("DELETE", "/contacts/v3/email/a@example.com", 204),
        ex("POST", "/v2/address-books", 201, {"id": 1, "name": "x", "visibility": "Private", "contacts": 0},
           content=json.dumps({"name": "x" * 129}).encode()),
    ]
    found = problems_of(bad)
    assert len(found) == 4, found
    assert "include" in found[0] and "first" in found[1] and "204" in found[2] and "129" not in found[3]


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda o: o.operation_id)
def test_each_described_operation_cites_its_spec(op: Operation):
    assert op.source.endswith((".json", ".yaml")) and op.operation_id and op.path.startswith("/")
