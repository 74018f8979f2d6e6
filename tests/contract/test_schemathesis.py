"""schemathesis against the marketing sandbox served over real HTTP (uvicorn
on 127.0.0.1, port 0): for every operation of tests/contract/dotdigital-openapi.yaml
(the Dotdigital operations nstui uses, written from Dotdigital's OpenAPI
files), valid requests generated from the document must get answers with a
documented status code, content type and body schema, never a server error;
invalid ones must be refused with a documented 4xx. Bounded and seeded (the
requests also draw on constants Hypothesis collects from the loaded modules)."""

from __future__ import annotations

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import seed as fixed_seed
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from faults.layer import Served
from nstui.config import SandboxConfig
from nstui.credentials import MarketingCredentials
from nstui.sandbox.marketing import MarketingSandbox

from .dotdigital_schemas import DOCUMENT

SEED = 20261201
#: Examples per operation and mode (21 operations, valid and invalid requests).
POSITIVE_EXAMPLES = 25
NEGATIVE_EXAMPLES = 10
CREDS = MarketingCredentials("apiuser-contract@apiconnector.com", "contract-Passw0rd")

SCHEMA = schemathesis.openapi.from_path(DOCUMENT)
# Invalid requests break what the document declares; a query parameter it does
# not name is ignored by the platform (the spec says nothing of refusing one).
SCHEMA.config.generation.update(allow_extra_parameters=False)
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]


def authorized(ctx, response, case) -> None:
    """401 is documented everywhere: a run whose credentials were refused would
    pass vacuously. (A negative case may leave the credentials out on purpose.)"""
    sent = response.request.headers.get("Authorization")
    assert not (sent and response.status_code == 401), "the run's credentials were refused"


CONFORMS = [authorized, not_a_server_error, status_code_conformance, content_type_conformance,
            response_schema_conformance]


@pytest.fixture
def served(tmp_path_factory):
    """The sandbox with what an account has (lists, contacts in each status on a
    list, a list unsubscribe, insight records, finished imports), served on
    127.0.0.1, port 0, new for each operation; and the path values that exist
    in it, which generated requests draw on."""
    box = MarketingSandbox(tmp_path_factory.mktemp("mk") / "mk.sqlite", credentials=CREDS, sandbox=SandboxConfig())
    emails = [f"member{i}@example.com" for i in range(5)]
    for email, act in zip(emails, (None, box.contact_unsubscribes, box.company_suppresses, box.bounce, box.engage)):
        box.add_contact(email, {"FIRSTNAME": email[:7]})
        box.add_to_list_by_name(email, "Newsletter")
        if act:
            act(email)
    box.add_to_list_by_name(emails[0], "Events")
    box.contact_unsubscribes_from_list(emails[0], "Events")
    server = Served(box.app)
    session = requests.Session()
    session.auth = (CREDS.username, CREDS.password)
    imports = []
    for collection, scope in (("catalog_items", "account"), ("orders", "contact")):
        records = [{"key": f"r{i}", "json": {"n": i}} for i in range(3)]
        if scope == "contact":
            for r, email in zip(records, emails):
                r["contactIdentity"] = {"identifier": "email", "value": email}
        answer = session.put(server.url + "/insightData/v3/import", json={
            "collectionName": collection, "collectionScope": scope, "collectionType": "custom", "records": records})
        imports.append(answer.json()["importId"])
    answer = session.put(server.url + "/contacts/v3/import", json={"contacts": [
        {"identifiers": {"email": "imported@example.com"}, "matchIdentifier": "email", "lists": [2]}]})
    imports.append(answer.json()["importId"])
    known = {"value": emails, "collectionName": ["catalog_items", "orders"], "recordId": ["r0", "r1", "r2"],
             "insightImports": imports[:2], "contactImports": imports[2:], "addressBookId": [1, 2, 3, 4]}
    # path values that exist only together: a record of one contact, an account record
    together = [{"value": email, "collectionName": "orders", "recordId": f"r{i}"} for i, email in enumerate(emails[:3])]
    together += [{"collectionName": "catalog_items", "recordId": f"r{i}"} for i in range(3)]
    yield server.url, session, known, together
    session.close()
    server.close()
    box.close()


def _run(operation, mode: GenerationMode, examples: int, checks, served) -> list[int]:
    """The answers' status codes, in order."""
    url, session, known, together = served
    known = dict(known)
    known["importId"] = known.pop("insightImports" if operation.path.startswith("/insightData/") else "contactImports")
    known.pop("insightImports", None)
    statuses: list[int] = []
    # Often a path parameter names something that exists, so the answers'
    # success bodies are checked too, not only their 404s.
    existing = st.one_of(st.fixed_dictionaries({k: st.none() | st.sampled_from(v) for k, v in known.items()}),
                         st.sampled_from(together))

    @fixed_seed(SEED)
    @settings(max_examples=examples, deadline=None, database=None, derandomize=False,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode), swap=existing)
    def conforms(case, swap) -> None:
        if mode is GenerationMode.POSITIVE:
            for name, value in swap.items():
                if value is not None and name in (case.path_parameters or {}):
                    case.path_parameters[name] = value
        response = case.call(base_url=url, session=session, timeout=10)
        statuses.append(response.status_code)
        case.validate_response(response, checks=checks)

    conforms()
    return statuses


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda o: o.label)
def test_answers_to_valid_requests_are_as_documented(operation, served):
    statuses = _run(operation, GenerationMode.POSITIVE, POSITIVE_EXAMPLES, CONFORMS, served)
    # the success answer's schema was checked, not only errors'
    assert any(200 <= s < 300 for s in statuses), statuses


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda o: o.label)
def test_invalid_requests_are_refused_with_a_documented_error(operation, served):
    """Requests that break the document are refused with a 4xx, never a 5xx or a
    traceback, and that error is one the document lists."""
    _run(operation, GenerationMode.NEGATIVE, NEGATIVE_EXAMPLES,
         [authorized, not_a_server_error, negative_data_rejection, status_code_conformance, content_type_conformance],
         served)


def test_every_operation_is_exercised():
    assert len(OPERATIONS) == 21
