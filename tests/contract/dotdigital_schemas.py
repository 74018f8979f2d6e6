"""The Dotdigital operations nstui uses, read from the hand-written OpenAPI
document beside this file (dotdigital-openapi.yaml): for each, the path, the
query parameters it takes, the request body's JSON schema and the JSON schema
of each documented answer, every ``$ref`` resolved.

The document is written from Dotdigital's OpenAPI files (not copied; tests
never read them); each operation names its source file and operationId in
``x-source``. The same document drives the schemathesis run
(test_schemathesis.py), so the two checks cannot drift apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

DOCUMENT = Path(__file__).with_name("dotdigital-openapi.yaml")
METHODS = ("get", "put", "post", "patch", "delete")


@cache
def document() -> dict[str, Any]:
    with DOCUMENT.open(encoding="utf-8") as f:
        loaded: dict[str, Any] = yaml.safe_load(f)
    return loaded


def resolve(node: Any, doc: dict[str, Any] | None = None) -> Any:
    """``node`` with every local ``$ref`` replaced by what it points at."""
    doc = doc or document()
    if isinstance(node, dict):
        if "$ref" in node:
            target: Any = doc
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            return resolve(target, doc)
        return {k: resolve(v, doc) for k, v in node.items()}
    if isinstance(node, list):
        return [resolve(v, doc) for v in node]
    return node


@dataclass(frozen=True)
class Operation:
    source: str                       # the Dotdigital spec file it is written from
    operation_id: str                 # its operationId there
    method: str
    path: str                         # template, {name} for a path parameter
    query: frozenset[str] = frozenset()
    required_query: frozenset[str] = frozenset()
    body: dict[str, Any] | None = None
    responses: dict[int, dict[str, Any] | None] = field(default_factory=dict)  # None: no JSON body

    def matches(self, method: str, path: str) -> bool:
        if method != self.method:
            return False
        pattern = "^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(self.path)) + "$"
        return re.match(pattern, path) is not None


def _json_schema(holder: dict[str, Any] | None) -> dict[str, Any] | None:
    content = (holder or {}).get("content") or {}
    media = content.get("application/json")
    return media.get("schema") if media else None


def _operations() -> list[Operation]:
    doc = resolve(document())
    out = []
    for path, item in doc["paths"].items():
        shared = item.get("parameters", [])
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            params = shared + op.get("parameters", [])
            query = [p for p in params if p["in"] == "query"]
            out.append(Operation(
                source=op["x-source"]["file"], operation_id=op["x-source"]["operationId"],
                method=method.upper(), path=path,
                query=frozenset(p["name"] for p in query),
                required_query=frozenset(p["name"] for p in query if p.get("required")),
                body=_json_schema(op.get("requestBody")),
                responses={int(code): _json_schema(r) for code, r in op["responses"].items()},
            ))
    return out


OPERATIONS: list[Operation] = _operations()


def operation_of(method: str, path: str) -> Operation | None:
    # the most specific template first: literal segments beat parameters
    ranked = sorted(OPERATIONS, key=lambda o: o.path.count("{"))
    return next((o for o in ranked if o.matches(method, path)), None)
