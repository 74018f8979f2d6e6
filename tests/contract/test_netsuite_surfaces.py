"""Every request the NetSuite client sends over a whole sync with changes is
a row of docs/netsuite-surfaces.md (method, path, query, body fields,
headers), and every SuiteQL table it names is in that file's table list."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import httpx

from nstui.engine.datasets.netsuite_fields import REST_NAMES

from .conftest import Exchange
from .sync_with_changes import sync_with_changes

DOC = Path(__file__).resolve().parents[2] / "docs" / "netsuite-surfaces.md"
PLACEHOLDERS = {"{type}": "(customer|contact)", "{id}": r"\d+", "{externalId}": r"[A-Za-z0-9_-]+"}


@dataclass
class Surface:
    method: str
    path: str
    query: set[str]
    body: set[str]
    mapped: bool
    headers: dict[str, str]
    page: str

    def matches(self, method: str, path: str) -> bool:
        pattern = re.escape(self.path)
        for name, rx in PLACEHOLDERS.items():
            pattern = pattern.replace(re.escape(name), rx)
        return method == self.method and re.fullmatch(pattern, path) is not None


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def surfaces() -> tuple[list[Surface], set[str]]:
    text = DOC.read_text(encoding="utf-8")
    rows, tables = [], set()
    section = ""
    for line in text.splitlines():
        if line.startswith("## "):
            section = line
        if not line.startswith("| ") or line.startswith("| ---") or line.startswith("| Method") \
                or line.startswith("| Table"):
            continue
        cells = _cells(line)
        if section.startswith("## Requests"):
            method, path, query, body, headers, page = cells
            fields = {f.strip() for f in body.split(",") if f.strip()}
            rows.append(Surface(method, path, {q.strip() for q in query.split(",") if q.strip()},
                                {f for f in fields if not f.startswith("*")}, "*mapped fields*" in fields,
                                dict(h.split(": ", 1) for h in [headers] if ": " in h), page))
        elif section.startswith("## SuiteQL tables"):
            tables |= {t.strip() for t in cells[0].split(",")}
    return rows, tables


def problems_of(exchanges: list[Exchange], mapped_names: set[str]) -> list[str]:
    rows, tables = surfaces()
    problems = []
    for ex in exchanges:
        req = ex.request
        where = f"{req.method} {req.url.path}"
        row = next((r for r in rows if r.matches(req.method, req.url.path)), None)
        if row is None:
            problems.append(f"{where}: not in docs/netsuite-surfaces.md")
            continue
        extra = set(req.url.params.keys()) - row.query
        if extra:
            problems.append(f"{where}: query {sorted(extra)} not in the table")
        for name, value in row.headers.items():
            if req.headers.get(name) != value:
                problems.append(f"{where}: header {name}: {value} missing")
        body = json.loads(req.content) if req.content else {}
        if isinstance(body, dict):
            allowed = row.body | (mapped_names if row.mapped else set())
            if set(body) - allowed:
                problems.append(f"{where}: body fields {sorted(set(body) - allowed)} not in the table")
            if "q" in body:
                named = {t.lower() for t in re.findall(r"\b(?:FROM|JOIN)\s+([A-Za-z_]+)", body["q"], re.I)}
                if named - tables:
                    problems.append(f"{where}: SuiteQL table {sorted(named - tables)} not in the table list")
    return problems


def mapped_names(cfg) -> set[str]:
    names = set()
    for name in ("customers", "contacts"):
        for f in getattr(cfg.model.datasets, name).fields:
            names.add(REST_NAMES.get(f.netsuite, f.netsuite))
    return names


async def test_every_netsuite_request_is_in_the_surfaces_table(recorded_env):
    env = await sync_with_changes(recorded_env)
    kinds = {(ex.request.method, ex.request.url.path.split("/")[-1] if "subscriptions" in ex.request.url.path
              else ex.request.method) for ex in env.ns_log}
    assert len(env.ns_log) > 30 and ("GET", "subscriptions") in kinds
    assert problems_of(env.ns_log, mapped_names(env.cfg)) == []
    rows, _ = surfaces()
    assert all(r.page for r in rows)  # each row names its Oracle page


def test_a_request_outside_the_table_is_named():
    def ex(method, path, body=None, headers=None):
        content = json.dumps(body).encode() if body is not None else b""
        return Exchange(httpx.Request(method, "https://1234567-sb1.suitetalk.api.netsuite.com" + path,
                                      content=content, headers=headers or {}), httpx.Response(200))

    found = problems_of([
        ex("POST", "/services/rest/record/v1/customer", {"firstName": "A"}),             # a POST create
        ex("POST", "/services/rest/query/v1/suiteql", {"q": "SELECT entity FROM entitysubscription"},
           {"Prefer": "transient"}),                                                       # undocumented table
        ex("PATCH", "/services/rest/record/v1/customer/5", {"stage": "LEAD"}),            # unlisted field
        ex("POST", "/services/rest/query/v1/suiteql?limit=5", {"q": "SELECT 1 FROM dual"}),  # no Prefer
    ], {"firstName"})
    assert len(found) == 4, found


async def test_the_doctors_requests_are_described_too(recorded_env):
    from nstui.connections import open_connections
    from nstui.doctor import run_doctor

    from .test_dotdigital_contract import problems_of as marketing_problems

    env = recorded_env(records=10)
    async with open_connections(env.cfg, sandboxes=env.boxes) as conn:
        checks = await run_doctor(env.cfg.model, conn.netsuite, conn.marketing)
    assert all(c.ok for c in checks)
    assert problems_of(env.ns_log, mapped_names(env.cfg)) == []
    assert marketing_problems(env.mk_log) == []
