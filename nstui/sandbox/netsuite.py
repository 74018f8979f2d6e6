"""The embedded NetSuite: an ASGI app speaking NetSuite's REST web services
(SuiteQL and the record API), backed by SQLite.

Every request goes through the same gate, in NetSuite's order: the account's
concurrency limit (a request beyond it gets 429 at once), the OAuth 1.0a
signature (any failure gets NetSuite's one 401 body), then the configured
latency and the seeded 429s and 5xx, then the endpoint.

Tests reach it in-process through ``transport()``; ``nstui sandbox serve``
serves ``app`` over HTTP with uvicorn.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Awaitable, Callable
from zoneinfo import ZoneInfo

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from nstui.config import SandboxConfig
from nstui.credentials import NetSuiteCredentials
from nstui.files import private_file
from nstui.sandbox import netsuite_metadata
from nstui.sandbox.faults import Faults, spoil
from nstui.sandbox.netsuite_data import (
    KEYS,
    META_TABLE,
    SCHEMA,
    SCHEMA_VERSION,
    SEARCH_STAGES,
    create_schema,
    db_time,
    generate,
    load_fixture,
    normalize,
    q,
    stage_alias,
)
from nstui.sandbox.netsuite_log import VIA
from nstui.sandbox.netsuite_oauth import OAuthFailure, Verifier
from nstui.sandbox.netsuite_records import ENTITY_TYPES, RecordError, Records
from nstui.sandbox.netsuite_sql import SuiteQLError, register_functions, run_page
from nstui.sandbox.transport import EmbeddedTransport
from nstui.server_clock import http_date

MAX_ROWS = 100_000
MAX_PAGE = 1000
ERROR_TYPES = {
    400: ("https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.1", "Bad Request"),
    401: ("https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.2", "Unauthorized"),
    404: ("https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.5", "Not Found"),
    405: ("https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.6", "Method Not Allowed"),
    429: ("https://www.rfc-editor.org/rfc/rfc6585.html#section-4", "Too Many Requests"),
    500: ("https://www.rfc-editor.org/rfc/rfc9110.html#section-15.6.1", "Internal Server Error"),
}
INVALID_LOGIN = (
    "Invalid login attempt. For more details, see the Login Audit Trail in the NetSuite UI at "
    "Setup > Users/Roles > User Management > View Login Audit Trail."
)
ERROR_CONTENT_TYPE = "application/vnd.oracle.resource+json; type=error"
#: Tables whose rows a user edit bumps through another table's lastmodifieddate.
PARENTS = {"transactionline": ("transaction", "transaction"), "pricing": ("item", "item")}

Handler = Callable[[Request], Awaitable[Response]]


def error_response(status: int, code: str, detail: str, *, path: str | None = None,
                   query_param: str | None = None, headers: dict[str, str] | None = None) -> JSONResponse:
    kind, title = ERROR_TYPES.get(status, ERROR_TYPES[400])
    item: dict[str, Any] = {"detail": detail}
    if path:
        item["o:errorPath"] = path
    if query_param:
        item["o:errorQueryParam"] = query_param
    item["o:errorCode"] = code
    body = {"type": kind, "title": title, "status": status, "o:errorDetails": [item]}
    return JSONResponse(body, status_code=status, headers=headers, media_type=ERROR_CONTENT_TYPE)


class NetSuiteSandbox:
    def __init__(
        self,
        db_path: Path,
        *,
        account_id: str,
        credentials: NetSuiteCredentials,
        sandbox: SandboxConfig,
        fixture: Path | None = None,
        concurrency_limit: int = 5,
        clock: Callable[[], datetime] | None = None,
        time_zone: str = "UTC",
        oneworld: bool = False,
    ):
        self.account_id = account_id
        #: The time zone SuiteQL renders and reads times in (the user's preference).
        self.time_zone = ZoneInfo(time_zone)
        #: A OneWorld account: customers and contacts need a subsidiary.
        self.oneworld = oneworld
        self.realm = account_id.upper().replace("-", "_")
        self.clock = clock or (lambda: datetime.now(timezone.utc))
        self.faults = Faults(sandbox, salt="netsuite")
        self.concurrency_limit = concurrency_limit
        #: Rows one SuiteQL query can return at most (NetSuite: 100,000).
        self.row_cap = MAX_ROWS
        #: Retry-After header sent with injected throttles (None: no header, like NetSuite).
        self.retry_after: str | None = None
        self.in_flight = 0
        self.in_flight_max = 0
        #: Requests that reached an endpoint, by kind (suiteql, record.get, ...).
        self.requests: Counter[str] = Counter()
        #: Why each refused login was refused: NetSuite's Login Audit Trail.
        self.login_audit: list[str] = []
        self._errors = 0
        self._verifier = Verifier(self.realm, credentials)
        self.db_path = Path(db_path)
        self.db = self._open(sandbox, fixture)
        # SuiteQL reads run on their own connection in a worker thread, as a
        # server would: a long query never stalls the event loop (the console
        # keeps redrawing), and WAL keeps them from blocking the writes.
        self._query_db = self._connect()
        self._query_lock = threading.Lock()
        if oneworld:
            with self.db:
                self.db.execute("INSERT OR IGNORE INTO subsidiary (id, name, isinactive) VALUES (2, 'Honeycomb UK Ltd', 'F')")
        self.records = Records(self.db, self._now, oneworld=oneworld)
        self.app = Starlette(routes=[
            Route("/services/rest/query/v1/suiteql", self._gate("suiteql", self._suiteql), methods=["POST"]),
            Route("/services/rest/record/v1/metadata-catalog", self._gate("metadata", self._catalog), methods=["GET"]),
            Route("/services/rest/record/v1/metadata-catalog/{rtype}", self._gate("metadata", self._metadata),
                  methods=["GET"]),
            Route("/services/rest/record/v1/{rtype}", self._gate("record.create", self._create), methods=["POST"]),
            Route("/services/rest/record/v1/{rtype}/{rid}", self._gate("record", self._record),
                  methods=["GET", "PATCH", "DELETE", "PUT", "POST"]),
            Route("/services/rest/record/v1/{rtype}/{rid}/{sublist}", self._gate("record.get", self._sublist),
                  methods=["GET"]),
            Route("/{path:path}", self._gate("other", self._unknown),
                  methods=["GET", "POST", "PATCH", "PUT", "DELETE"]),
        ])

    def __repr__(self) -> str:
        return f"NetSuiteSandbox(realm={self.realm!r}, db={str(self.db_path)!r})"

    # -- the database --------------------------------------------------------------

    def _now(self) -> str:
        return db_time(self.clock()) or ""

    def _open(self, sandbox: SandboxConfig, fixture: Path | None) -> sqlite3.Connection:
        self.db_path.parent.mkdir(parents=True, exist_ok=True)
        conn = self._connect()
        if self._ready(conn):
            return conn
        # A file without the finished mark is a creation that died half-way.
        conn.close()
        self.db_path.unlink(missing_ok=True)
        conn = self._connect()
        fixture = fixture or (Path(sandbox.fixture) if sandbox.fixture else None)
        anchor = self.clock()
        conn.execute("BEGIN")
        try:
            create_schema(conn)
            if fixture is not None:
                load_fixture(conn, fixture, anchor=anchor)
            else:
                generate(conn, seed=sandbox.seed, records=sandbox.records, anchor=anchor)
            meta = {"schema": SCHEMA_VERSION, "account_id": self.account_id, "seed": str(sandbox.seed),
                    "records": str(sandbox.records), "fixture": str(fixture or ""), "created": self._now()}
            conn.executemany(f"INSERT INTO {META_TABLE} (key, value) VALUES (?, ?)", meta.items())
            conn.commit()
        except BaseException:
            conn.rollback()
            conn.close()
            self.db_path.unlink(missing_ok=True)
            raise
        return conn

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(private_file(self.db_path), check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA case_sensitive_like=ON")  # Oracle's LIKE is case-sensitive
        register_functions(conn, None if self.time_zone.key == "UTC" else self.time_zone)
        return conn

    @staticmethod
    def _ready(conn: sqlite3.Connection) -> bool:
        try:
            found = conn.execute(f"SELECT value FROM {META_TABLE} WHERE key = 'schema'").fetchone()
        except sqlite3.DatabaseError:
            return False
        return bool(found and found[0] == SCHEMA_VERSION)

    # -- direct access for tests and `nstui sandbox dump` ------------------------------

    def query(self, sql: str, params: Any = ()) -> list[dict[str, Any]]:
        cur = self.db.execute(sql, params)
        names = [d[0] for d in cur.description or ()]
        return [dict(zip(names, row)) for row in cur.fetchall()]

    def row(self, table: str, record_id: int) -> dict[str, Any] | None:
        key = self._key(table)
        found = self.query(f"SELECT * FROM {q(table)} WHERE {q(key)} = ?", (record_id,))
        return found[0] if found else None

    def dump(self) -> dict[str, list[dict[str, Any]]]:
        return {table: self.query(f"SELECT * FROM {q(table)}") for table in SCHEMA if table != "dual"}

    def _key(self, table: str) -> str:
        if table not in KEYS:
            raise ValueError(f"no table {table!r} addressed by id; tables: {', '.join(KEYS)}")
        return KEYS[table]

    def update(self, table: str, record_id: int, **values: Any) -> None:
        """Change a row as a user editing it in NetSuite would: no API rules,
        and the record's lastmodifieddate (or its parent's) becomes clock()."""
        key = self._key(table)
        if self.row(table, record_id) is None:
            raise LookupError(f"{table} {record_id} does not exist")
        now = self._now()
        if table == "customer":
            values = stage_alias(values)
        changes = {c: normalize(table, c, v) for c, v in values.items()}
        columns = dict(SCHEMA[table])
        if "lastmodifieddate" in columns and "lastmodifieddate" not in changes:
            changes["lastmodifieddate"] = now
        if "searchstage" in columns and "entitystatus" in changes and "searchstage" not in changes:
            found = self.query("SELECT stage FROM customerstatus WHERE id = ?", (changes["entitystatus"],))
            if found:
                changes["searchstage"] = SEARCH_STAGES.get(found[0]["stage"], found[0]["stage"])
        before = self.row(table, record_id) or {}
        with self.db:
            if changes:
                sets = ", ".join(f"{q(c)} = ?" for c in changes)
                self.db.execute(f"UPDATE {q(table)} SET {sets} WHERE {q(key)} = ?", (*changes.values(), record_id))
            if table in ENTITY_TYPES:
                for column, kind in (("globalsubscriptionstatus", "status"), ("custentity_marketing_optin", "optin_field")):
                    if column in changes and changes[column] != before.get(column):
                        self.records.log.add(record_id, kind, changes[column], now)
            self._bump_parents(table, record_id, now)

    def _bump_parents(self, table: str, record_id: int, now: str) -> None:
        if table == "entityaddress":
            for parent in ENTITY_TYPES:
                self.db.execute(f"UPDATE {q(parent)} SET lastmodifieddate = ? WHERE defaultbillingaddress = ?",
                                (now, record_id))
        elif table in PARENTS:
            parent, column = PARENTS[table]
            self.db.execute(
                f"UPDATE {q(parent)} SET lastmodifieddate = ? WHERE id = "
                f"(SELECT {q(column)} FROM {q(table)} WHERE {q(self._key(table))} = ?)", (now, record_id))

    def set_subscription(self, entity_id: int, subscription_id: int, subscribed: bool) -> None:
        """A user ticks or clears one campaign subscription of an entity."""
        now = self._now()
        with self.db:
            self.db.execute(
                "INSERT INTO entitysubscription (entity, subscription, subscribed, lastmodifieddate) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (entity, subscription) DO UPDATE SET subscribed = excluded.subscribed, "
                "lastmodifieddate = excluded.lastmodifieddate",
                (entity_id, subscription_id, "T" if subscribed else "F", now))
            self.records.log_subscription(entity_id, subscription_id, subscribed, now)
            for table in ENTITY_TYPES:
                self.db.execute(f"UPDATE {q(table)} SET lastmodifieddate = ? WHERE id = ?", (now, entity_id))

    def insert(self, table: str, **values: Any) -> int:
        """Add a row as a user would in NetSuite; returns its id (nkey, uniquekey).

        Customers and contacts get the shared entity id sequence, the stage's
        default status, Soft Opt-In and their campaign subscriptions' defaults
        unless given."""
        key = self._key(table)
        if table == "customer":
            values = stage_alias(values)
        row = {c: normalize(table, c, v) for c, v in values.items()}
        columns = dict(SCHEMA[table])
        now = self._now()
        for column in ("datecreated", "createddate", "lastmodifieddate"):
            if column in columns:
                row.setdefault(column, now)
        with self.db:
            if table in ENTITY_TYPES:
                row.setdefault("id", self.records.next_entity_id())
                row.setdefault("globalsubscriptionstatus", 1)
                row.setdefault("isinactive", "F")
                if table == "customer":
                    row.setdefault("isperson", "T")
                    stage = str(row.get("searchstage") or "CUSTOMER").upper()
                    row.setdefault("entitystatus", self.records.default_status(stage))
                    found = self.query("SELECT stage FROM customerstatus WHERE id = ?", (row["entitystatus"],))
                    row["searchstage"] = SEARCH_STAGES.get(found[0]["stage"] if found else stage, stage.title())
            elif key not in row:
                top = self.db.execute(f"SELECT MAX({q(key)}) FROM {q(table)}").fetchone()[0]
                row[key] = int(top or 0) + 1
            self.db.execute(f"INSERT INTO {q(table)} ({', '.join(q(c) for c in row)}) "
                            f"VALUES ({', '.join('?' for _ in row)})", tuple(row.values()))
            if table in ENTITY_TYPES:
                self.records.log.add(row["id"], "create", row["globalsubscriptionstatus"], now)
                self.records.default_subscriptions(row["id"], row["globalsubscriptionstatus"], now)
                if row.get("defaultbillingaddress") is not None:
                    self.records.add_address_line(row["id"], row["defaultbillingaddress"], billing=True)
            self._bump_parents(table, row[key], now)
        return int(row[key])

    def write_log(self, after: int = 0) -> list[dict[str, Any]]:
        """Every consent-relevant write to a customer or contact after ``after``
        (a ``seq``), in order: ``via`` is "api" for the REST requests
        (``netsuite_log.py``)."""
        return self.records.log.entries(after)

    def write_log_end(self) -> int:
        return self.records.log.end()

    def transport(self) -> httpx.ASGITransport:
        return EmbeddedTransport(app=self.app)

    def close(self) -> None:
        self._query_db.close()
        self.db.close()

    # -- the gate ---------------------------------------------------------------------

    def _gate(self, kind: str, handler: Handler) -> Handler:
        gated = self._gate_inner(kind, handler)

        async def dated(request: Request) -> Response:
            token = VIA.set("api")  # the write log tells the API's writes from a user's
            try:
                response = await gated(request)
            finally:
                VIA.reset(token)
            # NetSuite's own time, as every server sends it: the engine bounds
            # its watermarks by this clock, not the client's.
            response.headers["Date"] = http_date(self.clock())
            return response

        return dated

    def _gate_inner(self, kind: str, handler: Handler) -> Handler:
        async def endpoint(request: Request) -> Response:
            self.in_flight += 1
            self.in_flight_max = max(self.in_flight_max, self.in_flight)
            try:
                if self.in_flight > self.concurrency_limit:
                    return error_response(429, "CONCURRENCY_LIMIT_EXCEEDED",
                                          "Concurrent request limit exceeded. Request blocked.")
                try:
                    self._verifier.verify(
                        method=request.method, scheme=request.url.scheme, host=request.url.hostname or "",
                        port=request.url.port, path=request.scope.get("raw_path", b"").decode("latin-1")
                        or request.url.path, query=request.scope.get("query_string", b"").decode("latin-1"),
                        authorization=request.headers.get("authorization"),
                    )
                except OAuthFailure as e:
                    self.login_audit.append(str(e))
                    return error_response(401, "INVALID_LOGIN", INVALID_LOGIN)
                self.requests[self._kind(kind, request.method)] += 1
                await self.faults.delay()
                outcome = self.faults.roll()
                if outcome == "throttle":
                    headers = {"Retry-After": self.retry_after} if self.retry_after is not None else None
                    return error_response(429, "SSS_REQUEST_LIMIT_EXCEEDED",
                                          "Request limit exceeded. Try again later.", headers=headers)
                if outcome == "error":
                    self._errors += 1
                    if self._errors % 2:  # a proxy's page, not JSON, every other time
                        return Response("<html><body>503 Service Unavailable</body></html>",
                                        status_code=503, media_type="text/html")
                    return error_response(500, "UNEXPECTED_ERROR",
                                          f"An unexpected error occurred. Error ID: sandbox{self._errors:06d}")
                response = await handler(request)
                lost = self.faults.lost_answer(request.method, request.url.path)
                return spoil(lost) if lost else response  # type: ignore[return-value]
            except RecordError as e:
                return error_response(e.status, e.code, e.detail, path=e.path)
            finally:
                self.in_flight -= 1

        return endpoint

    @staticmethod
    def _kind(kind: str, method: str) -> str:
        if kind != "record":
            return kind
        return {"GET": "record.get", "PATCH": "record.patch", "DELETE": "record.delete",
                "PUT": "record.upsert"}.get(method, "record.other")

    @staticmethod
    def _base(request: Request) -> str:
        return f"{request.url.scheme}://{request.url.netloc}"

    @staticmethod
    async def _json(request: Request) -> Any:
        raw = await request.body()
        if not raw:
            raise RecordError(400, "INVALID_CONTENT", "The request body is empty; a JSON object is expected.")
        try:
            return json.loads(raw)
        except ValueError as e:
            raise RecordError(400, "INVALID_CONTENT", f"The request body is not valid JSON: {e}.") from None

    # -- endpoints --------------------------------------------------------------------

    async def _suiteql(self, request: Request) -> Response:
        if "transient" not in request.headers.get("prefer", "").lower():
            return error_response(400, "INVALID_HEADER", "SuiteQL queries need the header Prefer: transient.")
        try:
            limit = int(request.query_params.get("limit", MAX_PAGE))
            offset = int(request.query_params.get("offset", 0))
        except ValueError:
            return error_response(400, "INVALID_PARAMETER", "limit and offset must be whole numbers.",
                                  query_param="limit")
        if not 1 <= limit <= MAX_PAGE:
            return error_response(400, "INVALID_PARAMETER",
                                  f"Invalid limit {limit}: the limit must be between 1 and {MAX_PAGE}.",
                                  query_param="limit")
        if offset < 0 or offset % limit:
            return error_response(400, "INVALID_PARAMETER",
                                  f"Invalid offset {offset}: the offset must be a multiple of the limit ({limit}).",
                                  query_param="offset")
        if offset >= self.row_cap:
            return error_response(400, "INVALID_PARAMETER",
                                  f"Invalid offset {offset}: a SuiteQL query returns at most {self.row_cap} rows.",
                                  query_param="offset")
        body = await self._json(request)
        query = body.get("q") if isinstance(body, dict) else None
        if not isinstance(query, str):
            return error_response(400, "INVALID_CONTENT", 'The body must be {"q": "<SuiteQL query>"}.')
        try:
            rows, total = await asyncio.to_thread(self._run_page, query, limit, offset)
        except SuiteQLError as e:
            return error_response(400, "INVALID_PARAMETER",
                                  "Invalid search query. Detailed unprocessed description follows. "
                                  f"Search error occurred: {e}", query_param="q")
        has_more = offset + len(rows) < min(total, self.row_cap)
        url = f"{self._base(request)}/services/rest/query/v1/suiteql"
        links = []
        if offset > 0:
            links.append({"rel": "previous", "href": f"{url}?limit={limit}&offset={offset - limit}"})
        links.append({"rel": "first", "href": f"{url}?limit={limit}&offset=0"})
        if has_more:
            links.append({"rel": "next", "href": f"{url}?limit={limit}&offset={offset + limit}"})
        last = max(0, (min(total, self.row_cap) - 1) // limit * limit)
        links.append({"rel": "last", "href": f"{url}?limit={limit}&offset={last}"})
        links.append({"rel": "self", "href": f"{url}?limit={limit}&offset={offset}"})
        return JSONResponse({
            "links": links, "count": len(rows), "hasMore": has_more,
            "items": [{"links": [], **row} for row in rows], "offset": offset, "totalResults": total,
        }, media_type="application/vnd.oracle.resource+json; type=collection")

    def _run_page(self, query: str, limit: int, offset: int) -> tuple[list[dict[str, str]], int]:
        with self._query_lock:
            return run_page(self._query_db, query, limit=limit, offset=offset, cap=self.row_cap)

    @staticmethod
    def _record_id(text: str) -> int:
        try:
            return int(text)
        except ValueError:
            raise RecordError(404, "NONEXISTENT_ID",
                              "The record instance does not exist. Provide a valid record instance ID.") from None

    @staticmethod
    def _refuse_async(request: Request) -> None:
        # NetSuite honours X-NetSuite-Idempotency-Key only on asynchronous
        # requests ("Sending an Asynchronous Request Using an Idempotency Key",
        # https://docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/subsect_164494900632.html);
        # on a synchronous one the key is ignored, as here. The sandbox does
        # not run asynchronous jobs, and says so.
        if "respond-async" in request.headers.get("prefer", "").lower():
            raise RecordError(400, "INVALID_HEADER",
                              "Asynchronous requests (Prefer: respond-async) are not served by this sandbox.")

    async def _create(self, request: Request) -> Response:
        rtype = request.path_params["rtype"]
        self._refuse_async(request)
        rid = self.records.create(rtype, await self._json(request), replace=self._replace(request))
        location = f"{self._base(request)}/services/rest/record/v1/{rtype}/{rid}"
        return Response(status_code=204, headers={"Location": location})

    @staticmethod
    def _replace(request: Request) -> set[str]:
        """The sublists named by ?replace= (lower-case), replaced rather than merged
        ("Replacing a Sublist", https://docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/section_1545297048.html)."""
        return {n.strip().lower() for n in request.query_params.get("replace", "").split(",") if n.strip()}

    async def _upsert(self, request: Request, rtype: str, external_id: str) -> Response:
        """PUT .../{type}/eid:{externalId}: create the record, or update the one
        with that external ID ("Using the Upsert Operation",
        https://docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/section_156335203191.html)."""
        self._refuse_async(request)
        rid = self.records.upsert(rtype, external_id, await self._json(request), replace=self._replace(request))
        location = f"{self._base(request)}/services/rest/record/v1/{rtype}/{rid}"
        return Response(status_code=204, headers={"Location": location})

    async def _record(self, request: Request) -> Response:
        rtype = request.path_params["rtype"]
        raw = request.path_params["rid"]
        if raw.startswith("eid:"):
            if request.method == "PUT":
                return await self._upsert(request, rtype, raw[4:])
            found = self.records.by_external_id(rtype, raw[4:])
            raw = str(found) if found is not None else raw
        rid = self._record_id(raw)
        if request.method == "GET":
            expand = request.query_params.get("expandSubResources", "").lower() == "true"
            body = self.records.get(rtype, rid, base=self._base(request), expand=expand)
            return JSONResponse(body, media_type="application/vnd.oracle.resource+json; type=singular-resource")
        if request.method == "PATCH":
            self._refuse_async(request)
            apply = self.records.patch(rtype, rid, replace=self._replace(request))
            apply(await self._json(request))
            return Response(status_code=204)
        if request.method == "DELETE":
            self.records.delete(rtype, rid)
            return Response(status_code=204)
        return error_response(405, "INVALID_METHOD", f"{request.method} is not supported on a record by this sandbox.")

    async def _sublist(self, request: Request) -> Response:
        rid = self._record_id(request.path_params["rid"])
        body = self.records.sublist(request.path_params["rtype"], rid, request.path_params["sublist"],
                                    base=self._base(request))
        return JSONResponse(body, media_type="application/vnd.oracle.resource+json; type=collection")

    async def _catalog(self, request: Request) -> Response:
        return JSONResponse(netsuite_metadata.catalog(self._base(request)))

    async def _metadata(self, request: Request) -> Response:
        # JSON Schema only: OpenAPI 3.0 (swagger+json) describes URLs and
        # methods the sandbox has no use for.
        if "application/schema+json" not in request.headers.get("accept", ""):
            return error_response(400, "INVALID_HEADER", "This sandbox serves record metadata as JSON Schema: "
                                                         "send Accept: application/schema+json.")
        schema = netsuite_metadata.record_schema(request.path_params["rtype"])
        if schema is None:
            return error_response(404, "NONEXISTENT_PATH", f"No record type {request.path_params['rtype']!r} "
                                  f"in this sandbox's metadata catalog ({', '.join(netsuite_metadata.RECORD_TABLES)}).")
        return JSONResponse(schema, media_type="application/schema+json")

    async def _unknown(self, request: Request) -> Response:
        return error_response(404, "NONEXISTENT_PATH", f"No REST resource at {request.url.path}.")
