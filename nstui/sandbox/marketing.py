"""The embedded Dotdigital sandbox: the v3 contacts and insight data endpoints
and the v2 address books and suppressions the client uses, as Dotdigital's
OpenAPI descriptions give them, backed by SQLite.

Behaves like the platform where the engine depends on it: emails are unique
case-insensitively; an unsubscribed, bounced or suppressed contact stays so
unless resubscribed (``resubscribeOptions``); a write with optInType
verifiedDouble sends the confirmation email and leaves the contact
pendingOptIn until they confirm (``engage``), while optInType double leaves it
subscribed (dotdigital-contacts-service.json, channelProperties_email.optInType);
onboarding contacts become active (VerifiedDouble) after an engagement
(``engage``); bounces can be injected;
changed-since reads are exact (inclusive of the given second).
"""

from __future__ import annotations

import base64
import hmac
import json
import sqlite3
import uuid
from contextvars import ContextVar
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Sequence
from urllib.parse import unquote

import httpx
from starlette.applications import Starlette
from starlette.convertors import Convertor, register_url_convertor
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from nstui.config import SandboxConfig
from nstui.credentials import MarketingCredentials
from nstui.files import private_file
from nstui.sandbox import marketing_requests as rq
from nstui.sandbox.faults import Faults, spoil
from nstui.sandbox.transport import EmbeddedTransport
from nstui.server_clock import http_date

SCHEMA = """
CREATE TABLE IF NOT EXISTS contact (
    id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE COLLATE NOCASE, mobile TEXT,
    status TEXT NOT NULL, opt_in TEXT NOT NULL DEFAULT 'Single', data TEXT NOT NULL DEFAULT '{}',
    created TEXT NOT NULL, updated TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS contact_updated ON contact (updated);
CREATE TABLE IF NOT EXISTS addressbook (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, visibility TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS membership (
    list_id INTEGER NOT NULL, contact_id INTEGER NOT NULL, changed TEXT NOT NULL,
    PRIMARY KEY (list_id, contact_id));
CREATE INDEX IF NOT EXISTS membership_contact ON membership (contact_id);
CREATE TABLE IF NOT EXISTS suppression (
    id INTEGER PRIMARY KEY, contact_id INTEGER NOT NULL, reason TEXT NOT NULL, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS collection (name TEXT PRIMARY KEY, scope TEXT NOT NULL, type TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS record (
    collection TEXT NOT NULL, key TEXT NOT NULL, contact_id INTEGER NOT NULL DEFAULT 0, json TEXT NOT NULL,
    created TEXT NOT NULL, updated TEXT NOT NULL, PRIMARY KEY (collection, key, contact_id));
CREATE TABLE IF NOT EXISTS job (id TEXT PRIMARY KEY, kind TEXT NOT NULL, result TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS datafield (name TEXT PRIMARY KEY COLLATE NOCASE, type TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS list_unsubscribe (
    id INTEGER PRIMARY KEY, list_id INTEGER NOT NULL, contact_id INTEGER NOT NULL, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS write_log (
    seq INTEGER PRIMARY KEY, at TEXT NOT NULL, via TEXT NOT NULL, email TEXT NOT NULL,
    kind TEXT NOT NULL, detail TEXT NOT NULL);
"""

#: Who is writing: "api" inside a request, "direct" for what a recipient or a
#: test does through the direct-access methods. Kept in the write log, which
#: the consent property suite reads to see every write at the moment it happened.
VIA: ContextVar[str] = ContextVar("nstui_sandbox_via", default="direct")

OPTED_OUT = {"unsubscribed", "softBounced", "hardBounced", "suppressed", "ispComplained", "directComplaint"}
V2_REASON = {"unsubscribed": "Unsubscribed", "softBounced": "SoftBounced", "hardBounced": "HardBounced",
             "suppressed": "Suppressed"}
V2_STATUS = {"subscribed": "Subscribed", "pendingOptIn": "PendingOptIn", "noSubscription": "Subscribed",
             **V2_REASON}
OPT_IN = {"unknown": "Unknown", "single": "Single", "double": "Double", "verifiedDouble": "VerifiedDouble"}
MAX_IMPORT = 1000


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _fmt(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse_date(text: str) -> str | None:
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return _fmt(dt)


#: The data fields every Dotdigital account starts with.
DEFAULT_DATA_FIELDS = {"FIRSTNAME": "String", "LASTNAME": "String", "FULLNAME": "String", "GENDER": "String",
                       "POSTCODE": "String"}
#: List names the platform keeps for itself (a create answers ERROR_ADDRESSBOOK_NAME_ISRESERVED).
RESERVED_LIST_NAMES = {"all contacts", "test"}


class AnyText(Convertor[str]):
    """A path value that may hold any character, a newline or a slash too:
    Starlette's own ``path`` stops at a newline, and an address is the
    platform's to refuse (400), not a missing route's (404)."""

    regex = r"[\s\S]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("nstui_any", AnyText())


def error(status: int, code: str, description: str) -> JSONResponse:
    return JSONResponse({"errorCode": code, "description": description}, status_code=status)


def v2_error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"message": message}, status_code=status)


class MarketingSandbox:
    def __init__(self, db_path: Path, *, credentials: MarketingCredentials, sandbox: SandboxConfig,
                 lists: Sequence[str] = ("Newsletter", "Product Updates", "Promotions", "Events", "VIP"),
                 data_fields: dict[str, str] | None = None,
                 clock: Callable[[], datetime] | None = None):
        """``data_fields`` (name -> String, Numeric, Date or Boolean) are the
        account's own data fields besides the defaults every account has, made
        when the sandbox is first created, as an admin sets up an account."""
        self.path = db_path
        self._credentials = credentials
        self.clock = clock or _now
        self.faults = Faults(sandbox, "marketing")
        self.requests: dict[str, int] = {}
        #: The ApiEndpoint account-info names (None: the address it was reached at).
        self.api_endpoint: str | None = None
        db_path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(private_file(db_path), check_same_thread=False, isolation_level=None)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        new = not self.db.execute("SELECT name FROM sqlite_master WHERE name = 'contact'").fetchone()
        self.db.executescript(SCHEMA)
        if new:
            for name in lists:
                self.db.execute("INSERT INTO addressbook (name, visibility) VALUES (?, 'Private')", (name,))
            for name, kind in {**DEFAULT_DATA_FIELDS, **(data_fields or {})}.items():
                self.db.execute("INSERT OR IGNORE INTO datafield (name, type) VALUES (?, ?)", (name, kind))
        self.app = Starlette(routes=self._routes(), exception_handlers={HTTPException: self._no_route})

    # -- plumbing ------------------------------------------------------------------

    def transport(self) -> httpx.ASGITransport:
        return EmbeddedTransport(app=self.app)

    def close(self) -> None:
        self.db.close()

    def _stamp(self) -> str:
        return _fmt(self.clock())

    async def _no_route(self, request: Request, exc: Exception) -> Response:
        """No such operation: JSON as every other answer, not Starlette's plain text."""
        status = exc.status_code if isinstance(exc, HTTPException) else 404
        if request.url.path.startswith("/v2/"):
            return v2_error(status, "ERROR_RESOURCE_NOT_FOUND" if status == 404 else "ERROR_METHOD_NOT_ALLOWED")
        return error(status, "notFound" if status == 404 else "methodNotAllowed",
                     f"No operation {request.method} {request.url.path[:200]}")

    def _routes(self) -> list[Route]:
        g = self._gate
        return [
            Route("/v2/account-info", g(self._account), methods=["GET"]),
            Route("/v2/data-fields", g(self._data_fields), methods=["GET"]),
            Route("/v2/address-books", g(self._books), methods=["GET", "POST"]),
            Route("/v2/address-books/{book}/contacts/delete", g(self._book_remove), methods=["POST"]),
            Route("/v2/address-books/{book}/contacts/modified-since/{date}", g(self._book_changed), methods=["GET"]),
            Route("/v2/address-books/{book}/contacts/unsubscribed-since/{date}", g(self._book_unsubscribed),
                  methods=["GET"]),
            Route("/v2/contacts/suppressed-since/{date}", g(self._suppressed_since), methods=["GET"]),
            Route("/contacts/v3", g(self._contacts), methods=["GET"]),
            Route("/contacts/v3/import", g(self._import), methods=["PUT"]),
            Route("/contacts/v3/import/{job}", g(self._import_status), methods=["GET"]),
            Route("/contacts/v3/{identifier}/{value:nstui_any}", g(self._contact), methods=["GET", "PATCH", "DELETE"]),
            Route("/insightData/v3/collections/{name}", g(self._collection), methods=["POST"]),
            Route("/insightData/v3/import", g(self._insight_import), methods=["PUT"]),
            Route("/insightData/v3/import/{job}", g(self._insight_status), methods=["GET"]),
            Route("/insightData/v3/account/{name}", g(self._account_records), methods=["GET"]),
            Route("/insightData/v3/account/{name}/{key}", g(self._account_record), methods=["DELETE"]),
            Route("/insightData/v3/contacts/{name}", g(self._contact_records), methods=["GET"]),
            Route("/insightData/v3/contacts/{identifier}/{value}/{name}/{key}", g(self._contact_record_delete),
                  methods=["DELETE"]),
        ]

    def _authorized(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        if not header.lower().startswith("basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        return hmac.compare_digest(user, self._credentials.username) and hmac.compare_digest(
            password, self._credentials.password)

    def _gate(self, handler: Callable[[Request], Any]) -> Callable[[Request], Any]:
        gated = self._gate_inner(handler)

        async def dated(request: Request) -> Response:
            token = VIA.set("api")
            try:
                response: Response = await gated(request)
            finally:
                VIA.reset(token)
            # The platform's own time, as every server sends it: the engine
            # takes its marketing-side watermark from this clock, not its own.
            response.headers["Date"] = http_date(self.clock())
            return response

        return dated

    def _gate_inner(self, handler: Callable[[Request], Any]) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            self.requests[request.url.path] = self.requests.get(request.url.path, 0) + 1
            if not self._authorized(request):
                return JSONResponse({"message": "Authorization has been denied for this request."}, status_code=401)
            await self.faults.delay()
            outcome = self.faults.roll()
            if outcome == "throttle":
                reset = int(self.clock().timestamp()) + 1
                return JSONResponse({"message": "You have exceeded your API call limit."}, status_code=429,
                                    headers={"X-RateLimit-Limit": "2000", "X-RateLimit-Remaining": "0",
                                             "X-RateLimit-Reset": str(reset), "Retry-After": "0"})
            if outcome == "error":
                return JSONResponse({"message": "An error has occurred."}, status_code=500)
            try:
                response: Response = await handler(request)
            except (rq.BadRequest, json.JSONDecodeError, UnicodeDecodeError) as e:
                # a malformed request (bad JSON, a wrong type, a value out of its
                # documented range): refused whole, nothing written
                if self.db.in_transaction:
                    self.db.execute("ROLLBACK")
                what = "The request JSON is badly formed" if not isinstance(e, rq.BadRequest) else str(e)
                if request.url.path.startswith("/v2/"):
                    return v2_error(400, f"ERROR_PARAMETER_INVALID: {what}")
                area = "insightData" if request.url.path.startswith("/insightData/") else "contacts"
                return error(400, f"{area}:invalidRequest", what)
            lost = self.faults.lost_answer(request.method, request.url.path)
            return spoil(lost) if lost else response  # type: ignore[return-value]
        return endpoint

    async def _body(self, request: Request) -> Any:
        return json.loads((await request.body()) or b"null")

    # -- contacts: model -------------------------------------------------------------

    def _contact_row(self, email: str | None = None, contact_id: int | None = None) -> sqlite3.Row | None:
        row: sqlite3.Row | None
        if contact_id is not None:
            row = self.db.execute("SELECT * FROM contact WHERE id = ?", (contact_id,)).fetchone()
        else:
            row = self.db.execute("SELECT * FROM contact WHERE email = ? COLLATE NOCASE", ((email or "").lower(),)).fetchone()
        return row

    def _lists_of(self, cid: int) -> list[sqlite3.Row]:
        return self.db.execute(
            "SELECT b.id, b.name FROM membership m JOIN addressbook b ON b.id = m.list_id WHERE m.contact_id = ? "
            "ORDER BY b.id", (cid,)).fetchall()

    def _v3_many(self, rows: Sequence[sqlite3.Row]) -> list[dict[str, Any]]:
        """A page of contacts, their lists read in one query (not one each)."""
        lists: dict[int, list[sqlite3.Row]] = {r["id"]: [] for r in rows}
        ids = list(lists)
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            for m in self.db.execute(
                    "SELECT m.contact_id, b.id, b.name FROM membership m JOIN addressbook b ON b.id = m.list_id "
                    f"WHERE m.contact_id IN ({', '.join('?' * len(chunk))}) ORDER BY b.id", chunk):
                lists[m["contact_id"]].append(m)
        return [self._v3(r, lists[r["id"]]) for r in rows]

    def _v3(self, row: sqlite3.Row, lists: Sequence[sqlite3.Row] | None = None) -> dict[str, Any]:
        status = row["status"]
        state = ("subscribed" if status == "subscribed" else "pendingOptIn" if status == "pendingOptIn"
                 else "noSubscription" if status == "noSubscription"
                 else "suppressed" if status == "suppressed" else "unsubscribed")
        identifiers = {"email": row["email"]}
        if row["mobile"]:
            identifiers["mobileNumber"] = row["mobile"]
        list_status = "suppressed" if status in OPTED_OUT else ("pending" if status == "pendingOptIn" else "subscribed")
        return {
            "contactId": row["id"], "status": state, "created": row["created"], "updated": row["updated"],
            "identifiers": identifiers, "dataFields": json.loads(row["data"]),
            "channelProperties": {"email": {"emailType": "Html", "optInType": row["opt_in"], "status": status}},
            "lists": [{"id": b["id"], "name": b["name"], "status": list_status} for b in (self._lists_of(row["id"]) if lists is None else lists)],
        }

    def _log(self, cid: int, kind: str, detail: str, stamp: str) -> None:
        """One consent-relevant write: a status, a list join or removal, a delete."""
        row = self.db.execute("SELECT email FROM contact WHERE id = ?", (cid,)).fetchone()
        self.db.execute("INSERT INTO write_log (at, via, email, kind, detail) VALUES (?, ?, ?, ?, ?)",
                        (stamp, VIA.get(), row["email"] if row else "?", kind, detail))

    def _list_name(self, list_id: int) -> str:
        row = self.db.execute("SELECT name FROM addressbook WHERE id = ?", (list_id,)).fetchone()
        return row["name"] if row else str(list_id)

    def _set_status(self, cid: int, status: str, stamp: str, opt_in: str | None = None) -> None:
        self.db.execute("UPDATE contact SET status = ?, opt_in = COALESCE(?, opt_in), updated = ? WHERE id = ?",
                        (status, opt_in, stamp, cid))
        self._log(cid, "status", status, stamp)
        if status in V2_REASON:
            self.db.execute("INSERT INTO suppression (contact_id, reason, at) VALUES (?, ?, ?)",
                            (cid, V2_REASON[status], stamp))

    def _apply_channel(self, row: sqlite3.Row | None, channel: dict[str, Any], stamp: str) -> tuple[str, str] | None:
        """The email status a write asks for, as the platform would apply it."""
        want = channel.get("status")
        opt_in = OPT_IN.get(channel.get("optInType") or "")
        if want is None:
            return None
        if want not in ("subscribed", "unsubscribed", "suppressed"):
            raise ValueError(f"status {want!r} cannot be written (subscribed, unsubscribed, suppressed)")
        current = row["status"] if row else None
        if want == "subscribed":
            resub = channel.get("resubscribeOptions")
            if current in OPTED_OUT:
                if not resub:
                    return None  # an opted-out contact stays so unless resubscribed
                if resub.get("resubscribeWithNoChallenge"):
                    return "subscribed", row["opt_in"] if row else "Single"
                return "pendingOptIn", "VerifiedDouble"
            if current == "subscribed" and row is not None and row["opt_in"] == "VerifiedDouble":
                return None  # already engaged: nothing to change
            if opt_in == "VerifiedDouble":
                # The spec: verified double sends the confirmation email and the
                # channel is pendingOptIn meanwhile. (double does not.)
                return "pendingOptIn", "VerifiedDouble"
            return "subscribed", opt_in or (row["opt_in"] if row else "Single")
        return want, row["opt_in"] if row else "Unknown"

    def _upsert(self, body: dict[str, Any], email: str, stamp: str) -> tuple[sqlite3.Row, bool]:
        if not isinstance(body, dict):
            raise ValueError("the body must be a contact object")
        ids = body.get("identifiers") or {}
        email = (ids.get("email") or email or "").strip().lower()
        if not rq.valid_email(email):
            raise rq.InvalidEntry("invalidEmail", f"The id value '{email[:256]}' is invalid for the identifier 'email'")
        mobile = ids.get("mobileNumber")
        if mobile is not None and not rq.E164.fullmatch(mobile):
            raise rq.InvalidEntry("invalidMobileNumber", f"The id value '{mobile[:40]}' is invalid for the identifier "
                                  "'mobileNumber' (international format, E.164)")
        row = self._contact_row(email)
        created = row is None
        channel = ((body.get("channelProperties") or {}).get("email")) or {}
        data = body.get("dataFields") or {}
        if not isinstance(data, dict):
            raise ValueError("dataFields must be an object")
        if created:
            cur = self.db.execute(
                "INSERT INTO contact (email, mobile, status, opt_in, data, created, updated) VALUES (?, ?, 'subscribed', 'Single', '{}', ?, ?)",
                (email, ids.get("mobileNumber"), stamp, stamp))
            row = self._contact_row(contact_id=cur.lastrowid)
        assert row is not None
        merged = json.loads(row["data"])
        for k, v in data.items():
            if v is None:
                merged.pop(k, None)
            else:
                merged[k] = v
        self.db.execute("UPDATE contact SET data = ?, mobile = COALESCE(?, mobile), updated = ? WHERE id = ?",
                        (json.dumps(merged), ids.get("mobileNumber"), stamp, row["id"]))
        change = self._apply_channel(None if created else row, channel, stamp)
        if change:
            self._set_status(row["id"], change[0], stamp, change[1])
        elif created:
            self._log(row["id"], "status", "subscribed", stamp)
        for list_id in body.get("lists") or []:
            if self.db.execute("SELECT 1 FROM addressbook WHERE id = ?", (list_id,)).fetchone() is None:
                raise ValueError(f"The list id {list_id} does not exist")
            cur = self.db.execute("INSERT OR IGNORE INTO membership VALUES (?, ?, ?)", (list_id, row["id"], stamp))
            if cur.rowcount:
                self._log(row["id"], "list_add", self._list_name(list_id), stamp)
        return self._contact_row(contact_id=row["id"]), created  # type: ignore[return-value]

    # -- contacts: endpoints -------------------------------------------------------------

    async def _contact(self, request: Request) -> Response:
        identifier = request.path_params["identifier"]
        value = unquote(request.path_params["value"])
        if identifier == "email":
            row = self._contact_row(value)
        elif identifier == "contactId" and value.isdigit():
            row = self._contact_row(contact_id=int(value))
        else:
            return error(400, "contacts:invalidIdentifier", f"The identifier '{identifier}' is not supported here")
        if request.method == "GET":
            return JSONResponse(self._v3(row)) if row else error(404, "contacts:contactNotFound", "Contact not found")
        if request.method == "DELETE":
            if row is None:
                return error(404, "contacts:contactNotFound", "Contact not found")
            with self.db:
                self._log(row["id"], "delete", "", self._stamp())
                self.db.execute("DELETE FROM membership WHERE contact_id = ?", (row["id"],))
                self.db.execute("DELETE FROM contact WHERE id = ?", (row["id"],))
            # deleteContact answers 200 with the deleted contact's id
            # (dotdigital-contacts-service.json, DELETE /contacts/v3/{identifier}/{value})
            return JSONResponse({"contactId": row["id"]}, status_code=200)
        rq.choice(request.query_params.get("merge-option", "overwrite"), "merge-option",
                  ("overwrite", "overwrite-if-not-empty", "overwrite-if-empty"))
        if identifier == "email" and not rq.valid_email(value):
            raise rq.BadRequest(f"The id value '{value[:256]}' is invalid for the identifier 'email'")
        body = await self._body(request)
        rq.parse(rq.ContactWriteBody, body)
        try:
            self.db.execute("BEGIN")
            new_row, created = self._upsert(body, value if identifier == "email" else (row["email"] if row else ""),
                                            self._stamp())
            self.db.execute("COMMIT")
        except ValueError as e:
            self.db.execute("ROLLBACK")
            return error(400, "contacts:invalidRequest", str(e))
        return JSONResponse(self._v3(new_row), status_code=201 if created else 200)

    async def _contacts(self, request: Request) -> Response:
        q = request.query_params
        limit = rq.whole(q.get("limit"), "limit", low=1, high=5000, default=1000)
        for part in q["include"].split("|") if "include" in q else ():
            rq.choice(part, "include", ("channelProperties", "lists", "preferences", "consentRecords"))
        for part in q["data-fields"].split("|") if "data-fields" in q else ():
            if not rq.DATA_FIELD_NAME.fullmatch(part):
                raise rq.BadRequest(f"data-fields: {part[:60]!r} is not a data field name or [[ALL]]")
        where: list[str] = ["1 = 1"]
        params: list[Any] = []
        modified = q.get("~modified")
        if modified:
            if not modified.startswith("gte::") or not _parse_date(modified[5:]):
                return error(400, "contacts:invalidFilter", f"The filter value '{modified}' is invalid")
            where.append("updated >= ?")
            params.append(_parse_date(modified[5:]))
        marker = q.get("marker")
        if marker:
            try:
                m_updated, m_id = base64.urlsafe_b64decode(marker.encode()).decode().split("|")
                cursor = int(m_id)
            except ValueError:
                return error(400, "contacts:invalidMarker", "The marker is invalid")
            where.append("(updated > ? OR (updated = ? AND id > ?))")
            params += [m_updated, m_updated, cursor]
        rows = self.db.execute(f"SELECT * FROM contact WHERE {' AND '.join(where)} ORDER BY updated, id LIMIT ?",
                               (*params, limit + 1)).fetchall()
        more = len(rows) > limit
        rows = rows[:limit]
        # paginationLinks requires first and self (dotdigital-contacts-service.json, getContacts)
        first = {k: v for k, v in q.items() if k != "marker"}
        links: dict[str, Any] = {
            "self": {"marker": marker or "", "link": str(request.url.path) + "?" + str(q)},
            "first": {"marker": "", "link": "/contacts/v3?" + "&".join(f"{k}={v}" for k, v in first.items())},
        }
        if more:
            token = base64.urlsafe_b64encode(f"{rows[-1]['updated']}|{rows[-1]['id']}".encode()).decode()
            params_ = dict(q)
            params_["marker"] = token
            query = "&".join(f"{k}={v}" for k, v in params_.items())
            links["next"] = {"marker": token, "link": f"/contacts/v3?{query}"}
        return JSONResponse({"_links": links, "_items": [self._as_asked(c, q) for c in self._v3_many(rows)]})

    @staticmethod
    def _as_asked(contact: dict[str, Any], q: Any) -> dict[str, Any]:
        """getContacts returns "a minimum of contactId and any associated
        identifiers": the data fields named in ``data-fields`` ([[ALL]]: every
        one) and the data sets named in ``include`` come only when asked for
        (dotdigital-contacts-service.json, getContacts parameters)."""
        include = set((q.get("include") or "").split("|"))
        for part in ("channelProperties", "lists"):
            if part not in include:
                contact.pop(part, None)
        for part in ("preferences", "consentRecords"):  # not modelled: none
            if part in include:
                contact[part] = []
        wanted = {w.lower() for w in (q.get("data-fields") or "").split("|") if w}
        if "[[all]]" not in wanted:
            fields = {k: v for k, v in contact.pop("dataFields", {}).items() if k.lower() in wanted}
            if fields:
                contact["dataFields"] = fields
        return contact

    async def _import(self, request: Request) -> Response:
        body = await self._body(request)
        rq.parse(rq.ImportBody, body)
        contacts = body["contacts"]
        if len(contacts) > MAX_IMPORT:
            return error(400, "contacts:tooManyContacts", f"An import takes at most {MAX_IMPORT} contacts")
        stamp = self._stamp()
        new = updated = 0
        created_refs: list[dict[str, Any]] = []
        updated_refs: list[dict[str, Any]] = []
        failures: list[dict[str, Any]] = []
        self.db.execute("BEGIN")
        for c in contacts:
            try:
                row, was_new = self._upsert(c, "", stamp)
            except ValueError as e:
                # importContacts reports a contact it cannot take as a failure
                # (getImportStatus failures: invalidEmail, duplicateIdentifier, ...)
                code = e.code if isinstance(e, rq.InvalidEntry) else "invalidEntry"
                failures.append({"matchIdentifier": "email", "identifiers": c.get("identifiers") or {},
                                 "failures": [{"failureCode": code, "description": str(e)}]})
                continue
            ref = {"contactId": row["id"], "identifiers": {"email": row["email"]}}
            (created_refs if was_new else updated_refs).append(ref)
            new += was_new
            updated += not was_new
        job = str(uuid.uuid4())
        result: dict[str, Any] = {"importId": job, "status": "Finished",
                  "summary": {"newContacts": new, "updatedContacts": updated, "globallySuppressed": 0,
                              "invalidEntries": len(failures), "duplicateIdentifiers": 0},
                  "created": created_refs, "updated": updated_refs}
        if failures:
            result["failures"] = failures
        self.db.execute("INSERT INTO job VALUES (?, 'contacts', ?)", (job, json.dumps(result)))
        self.db.execute("COMMIT")
        return JSONResponse({"importId": job}, status_code=202)

    async def _import_status(self, request: Request) -> Response:
        row = self.db.execute("SELECT result FROM job WHERE id = ? AND kind = 'contacts'",
                              (request.path_params["job"],)).fetchone()
        if row is None:
            return error(404, "contacts:importNotFound", f"The import request '{request.path_params['job']}' was not found")
        return JSONResponse(json.loads(row["result"]))

    # -- v2 ------------------------------------------------------------------------

    async def _account(self, request: Request) -> Response:
        return JSONResponse({"id": 1, "properties": [
            {"name": "Name", "type": "String", "value": "nstui sandbox"},
            {"name": "ApiEndpoint", "type": "String", "value": self.api_endpoint or str(request.base_url).rstrip("/")},
        ]})

    async def _data_fields(self, request: Request) -> Response:
        # ApiDataField_GetDataFields (dotdigital-v2-api-swagger.json): every data field of the account
        return JSONResponse([{"name": r["name"], "type": r["type"], "visibility": "Private", "defaultValue": None}
                             for r in self.db.execute("SELECT name, type FROM datafield ORDER BY name")])

    async def _books(self, request: Request) -> Response:
        if request.method == "POST":
            body = await self._body(request)
            if not isinstance(body, dict):
                return v2_error(400, "ERROR_ADDRESSBOOK_INVALID: the body is an address book object")
            name = body.get("name", "")
            if not isinstance(name, str) or not name.strip():
                return v2_error(400, "ERROR_ADDRESSBOOK_INVALID: name is required")
            if len(name) > 128:  # createAddressBook: "max 128 characters"
                return v2_error(400, "ERROR_ADDRESSBOOK_INVALID: the name is longer than 128 characters")
            if name.strip().lower() in RESERVED_LIST_NAMES:
                return v2_error(400, "ERROR_ADDRESSBOOK_NAME_ISRESERVED")
            if "visibility" in body:
                rq.choice(body["visibility"], "visibility", ("Private", "Public"))
            try:
                cur = self.db.execute("INSERT INTO addressbook (name, visibility) VALUES (?, ?)",
                                      (name, body.get("visibility") or "Private"))
            except sqlite3.IntegrityError:
                return v2_error(400, "ERROR_ADDRESSBOOK_DUPLICATE")
            # 201 as dotdigital-v2-api-swagger.json (ApiAddressBook_CreateAddressBook) has it; the
            # lists YAML says 200 for the same call, and the client takes either
            return JSONResponse({"id": cur.lastrowid, "name": name, "visibility": body.get("visibility") or "Private",
                                 "contacts": 0}, status_code=201)
        select, skip = self._paging(request)
        rows = self.db.execute(
            "SELECT b.id, b.name, b.visibility, (SELECT COUNT(*) FROM membership m WHERE m.list_id = b.id) AS n "
            "FROM addressbook b ORDER BY b.id LIMIT ? OFFSET ?", (min(select, 1000), skip)).fetchall()
        return JSONResponse([{"id": r["id"], "name": r["name"], "visibility": r["visibility"], "contacts": r["n"]}
                             for r in rows])

    def _paging(self, request: Request) -> tuple[int, int]:
        """v2 select (1 to 1000) and skip (not negative): ecommerce.yaml, get-orders-since-date, 400."""
        q = request.query_params
        return (rq.whole(q.get("select"), "select", low=1, high=1000, default=1000),
                rq.whole(q.get("skip"), "skip", low=0, default=0))

    async def _book_remove(self, request: Request) -> Response:
        book = rq.whole(request.path_params["book"], "addressBookId", low=1)
        ids = await self._body(request)
        if not isinstance(ids, list) or not all(type(i) is int and 0 < i <= rq.INT32 for i in ids):
            return v2_error(400, "ERROR_PARAMETER_INVALID: the body is an array of contact ids")
        stamp = self._stamp()
        with self.db:
            for cid in ids:
                cur = self.db.execute("DELETE FROM membership WHERE list_id = ? AND contact_id = ?", (book, cid))
                if cur.rowcount:
                    self._log(cid, "list_remove", self._list_name(book), stamp)
                self.db.execute("UPDATE contact SET updated = ? WHERE id = ?", (stamp, cid))
        # 202 with the bulk deletion's id and status (ApiContact_DeleteContactsFromAddressBook:
        # ApiBulkContactDeletion); the sandbox has finished by the time it answers
        return JSONResponse({"id": str(uuid.uuid4()), "status": "Completed"}, status_code=202)

    def _v2_contact(self, row: sqlite3.Row) -> dict[str, Any]:
        return {"id": row["id"], "email": row["email"], "optInType": row["opt_in"], "emailType": "Html",
                "dataFields": [{"key": k, "value": v} for k, v in json.loads(row["data"]).items()],
                "status": V2_STATUS.get(row["status"], "Suppressed")}

    async def _book_changed(self, request: Request) -> Response:
        book = rq.whole(request.path_params["book"], "addressBookId", low=1)
        since = _parse_date(request.path_params["date"])
        if since is None:
            return v2_error(400, "ERROR_INVALID_DATE")
        rq.choice(request.query_params.get("withFullData", "false").lower(), "withFullData", ("true", "false"))
        select, skip = self._paging(request)
        rows = self.db.execute(
            "SELECT c.* FROM membership m JOIN contact c ON c.id = m.contact_id WHERE m.list_id = ? "
            "AND (m.changed >= ? OR c.updated >= ?) ORDER BY c.id LIMIT ? OFFSET ?",
            (book, since, since, select, skip)).fetchall()
        return JSONResponse([self._v2_contact(r) for r in rows])

    async def _suppressed_since(self, request: Request) -> Response:
        return self._suppressions(request, "suppression", "x.reason")

    def _suppressions(self, request: Request, table: str, reason: str, where: str = "",
                      args: tuple[Any, ...] = ()) -> Response:
        """A page of ApiContactSuppression items from ``table`` (contact_id,
        at) at or after the path's date, oldest first."""
        since = _parse_date(request.path_params["date"])
        if since is None:
            return v2_error(400, "ERROR_INVALID_DATE")
        select, skip = self._paging(request)
        rows = self.db.execute(
            f"SELECT {reason} AS reason, x.at, c.* FROM {table} x JOIN contact c ON c.id = x.contact_id "
            f"WHERE {where}x.at >= ? ORDER BY x.id LIMIT ? OFFSET ?", (*args, since, select, skip)).fetchall()
        return JSONResponse([{"suppressedContact": self._v2_contact(r), "dateRemoved": r["at"], "reason": r["reason"]}
                             for r in rows])

    async def _book_unsubscribed(self, request: Request) -> Response:
        """Contacts who unsubscribed from this list at or after the date, each
        with the time it happened (dotdigital-v2-api-swagger.json,
        ApiContact_GetUnsubscribedContactsInAddressBook: ApiContactSuppression
        items; the lists YAML's get-unsubscribed-contacts-from-address-book-since-date)."""
        book = rq.whole(request.path_params["book"], "addressBookId", low=1)
        return self._suppressions(request, "list_unsubscribe", "'Unsubscribed'", "x.list_id = ? AND ", (book,))

    # -- insight data ------------------------------------------------------------------

    async def _collection(self, request: Request) -> Response:
        name = rq.collection_name(request.path_params["name"])
        scope = rq.choice(request.query_params.get("collectionScope"), "collectionScope", ("account", "contact"))
        kind = rq.choice(request.query_params.get("collectionType"), "collectionType", rq.COLLECTION_TYPES)
        if self.db.execute("SELECT 1 FROM collection WHERE name = ?", (name,)).fetchone():
            return Response(status_code=200)
        self.db.execute("INSERT INTO collection VALUES (?, ?, ?)", (name, scope, kind))
        return Response(status_code=201)

    async def _insight_import(self, request: Request) -> Response:
        body = await self._body(request)
        rq.parse(rq.InsightImportBody, body)
        name, scope = rq.collection_name(body["collectionName"]), body["collectionScope"]
        stamp = self._stamp()
        imported, failures = 0, []
        self.db.execute("BEGIN")
        self.db.execute("INSERT OR IGNORE INTO collection VALUES (?, ?, ?)", (name, scope, body.get("collectionType") or "custom"))
        for rec in body["records"]:
            owner = 0
            if scope == "contact":
                ident = rec.get("contactIdentity") or {}
                row = self._contact_row(ident.get("value")) if ident.get("identifier") == "email" else None
                if row is None:
                    failures.append({"key": rec.get("key"), "failures": [{"failureCode": "contactNotFound",
                                                                         "description": "The contact does not exist"}]})
                    continue
                owner = row["id"]
            self.db.execute(
                "INSERT INTO record VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (collection, key, contact_id) "
                "DO UPDATE SET json = excluded.json, updated = excluded.updated",
                (name, str(rec["key"]), owner, json.dumps(rec["json"]), stamp, stamp))
            imported += 1
        job = str(uuid.uuid4())
        result: dict[str, Any] = {"importId": job, "status": "Complete", "collectionName": name,
                                  "summary": {"totalRecords": len(body["records"]), "totalImported": imported,
                                              "totalRejected": len(failures)}}
        if failures:
            result["failures"] = failures
        self.db.execute("INSERT INTO job VALUES (?, 'insight', ?)", (job, json.dumps(result)))
        self.db.execute("COMMIT")
        return JSONResponse({"importId": job}, status_code=202)

    async def _insight_status(self, request: Request) -> Response:
        row = self.db.execute("SELECT result FROM job WHERE id = ? AND kind = 'insight'",
                              (request.path_params["job"],)).fetchone()
        if row is None:
            return error(404, "insightData:importNotFound", "The import request was not found")
        return JSONResponse(json.loads(row["result"]))

    def _records_page(self, request: Request, owner_clause: str) -> Response:
        name = rq.collection_name(request.path_params["name"])
        if not self.db.execute("SELECT 1 FROM collection WHERE name = ?", (name,)).fetchone():
            return error(404, "insightData:collectionNotFound", f"The collection '{name}' does not exist")
        marker = request.query_params.get("marker") or ""
        rows = self.db.execute(
            f"SELECT * FROM record WHERE collection = ? AND key > ? {owner_clause} ORDER BY key LIMIT 1001",
            (name, marker)).fetchall()
        more = len(rows) > 1000
        rows = rows[:1000]
        # paginationLinks requires first and self (dotdigital-insight-data-service.json, getAccountInsightData)
        links: dict[str, Any] = {"self": {"marker": marker, "link": str(request.url.path)},
                                 "first": {"marker": "", "link": str(request.url.path)}}
        if more:
            links["next"] = {"marker": rows[-1]["key"], "link": f"{request.url.path}?marker={rows[-1]['key']}"}
        items = []
        for r in rows:
            item = {"key": r["key"], "json": json.loads(r["json"]), "created": r["created"], "updated": r["updated"]}
            if r["contact_id"]:
                item["ownerContactId"] = r["contact_id"]
            items.append(item)
        return JSONResponse({"_links": links, "_items": items})

    async def _account_records(self, request: Request) -> Response:
        return self._records_page(request, "AND contact_id = 0")

    async def _contact_records(self, request: Request) -> Response:
        return self._records_page(request, "AND contact_id <> 0")

    async def _account_record(self, request: Request) -> Response:
        cur = self.db.execute("DELETE FROM record WHERE collection = ? AND key = ? AND contact_id = 0",
                              (rq.collection_name(request.path_params["name"]), request.path_params["key"]))
        if not cur.rowcount:
            return error(404, "insightData:recordNotFound", "The record does not exist")
        return Response(status_code=204)

    async def _contact_record_delete(self, request: Request) -> Response:
        rq.choice(request.path_params["identifier"], "identifier", ("email",))
        row = self._contact_row(unquote(request.path_params["value"]))
        cur = self.db.execute("DELETE FROM record WHERE collection = ? AND key = ? AND contact_id = ?",
                              (rq.collection_name(request.path_params["name"]), request.path_params["key"], row["id"] if row else -1))
        if not cur.rowcount:
            return error(404, "insightData:recordNotFound", "The record does not exist")
        return Response(status_code=204)

    # -- direct access: what a recipient or a test does --------------------------------------

    def _required(self, email: str) -> sqlite3.Row:
        row = self._contact_row(email)
        if row is None:
            raise LookupError(f"no contact {email}")
        return row

    def engage(self, email: str) -> None:
        """The contact opens or clicks: onboarding (and a confirmed pending opt-in) becomes active."""
        row = self._required(email)
        if row["status"] in ("subscribed", "pendingOptIn"):
            with self.db:
                self._set_status(row["id"], "subscribed", self._stamp(), "VerifiedDouble")

    def bounce(self, email: str, *, hard: bool = True) -> None:
        row = self._required(email)
        with self.db:
            self._set_status(row["id"], "hardBounced" if hard else "softBounced", self._stamp())

    def contact_unsubscribes(self, email: str) -> None:
        row = self._required(email)
        with self.db:
            self._set_status(row["id"], "unsubscribed", self._stamp())

    def company_suppresses(self, email: str) -> None:
        """A marketer suppresses the address (the company's block)."""
        row = self._required(email)
        with self.db:
            self._set_status(row["id"], "suppressed", self._stamp())

    def contact_resubscribes(self, email: str) -> None:
        """The contact signs up again (a form of the platform's own): subscribed."""
        row = self._required(email)
        with self.db:
            self._set_status(row["id"], "subscribed", self._stamp(), "Single")

    def add_contact(self, email: str, data_fields: dict[str, Any] | None = None) -> int:
        """A contact added on the platform (a sign-up form, an import by a marketer)."""
        with self.db:
            row, _ = self._upsert({"identifiers": {"email": email}, "dataFields": data_fields or {}}, email, self._stamp())
        return int(row["id"])

    def set_data_fields(self, email: str, fields: dict[str, Any]) -> None:
        with self.db:
            self._upsert({"identifiers": {"email": email}, "dataFields": fields}, email, self._stamp())

    def change_email(self, old: str, new: str) -> None:
        row = self._required(old)
        with self.db:
            self.db.execute("UPDATE contact SET email = ?, updated = ? WHERE id = ?", (new.lower(), self._stamp(), row["id"]))

    def _list_id(self, name: str) -> int:
        found = self.db.execute("SELECT id FROM addressbook WHERE name = ?", (name,)).fetchone()
        if found is None:
            raise LookupError(f"no list {name!r}")
        return int(found["id"])

    def add_to_list_by_name(self, email: str, name: str) -> None:
        row, stamp = self._required(email), self._stamp()
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO membership VALUES (?, ?, ?)", (self._list_id(name), row["id"], stamp))
            self._log(row["id"], "list_add", name, stamp)
            self.db.execute("UPDATE contact SET updated = ? WHERE id = ?", (stamp, row["id"]))

    def remove_from_list_by_name(self, email: str, name: str) -> None:
        row, stamp = self._required(email), self._stamp()
        with self.db:
            cur = self.db.execute("DELETE FROM membership WHERE list_id = ? AND contact_id = ?",
                                  (self._list_id(name), row["id"]))
            if cur.rowcount:
                self._log(row["id"], "list_remove", name, stamp)
            self.db.execute("UPDATE contact SET updated = ? WHERE id = ?", (stamp, row["id"]))

    def contact_unsubscribes_from_list(self, email: str, name: str) -> None:
        """The contact unsubscribes from one list (not from everything): they
        leave it, and the list's unsubscribes since a date show it with its time."""
        row, stamp = self._required(email), self._stamp()
        list_id = self._list_id(name)
        with self.db:
            self.db.execute("DELETE FROM membership WHERE list_id = ? AND contact_id = ?", (list_id, row["id"]))
            self.db.execute("INSERT INTO list_unsubscribe (list_id, contact_id, at) VALUES (?, ?, ?)",
                            (list_id, row["id"], stamp))
            self._log(row["id"], "list_remove", name, stamp)
            self.db.execute("UPDATE contact SET updated = ? WHERE id = ?", (stamp, row["id"]))

    def contact(self, email: str) -> dict[str, Any] | None:
        """A contact as the engine's model sees it (for tests)."""
        from nstui.marketing.statuses import from_wire

        row = self._contact_row(email)
        if row is None:
            return None
        status, suppressed = from_wire(row["status"], row["opt_in"])
        return {"id": row["id"], "email": row["email"], "status": status, "suppressed": suppressed,
                "wire_status": row["status"], "opt_in": row["opt_in"], "data_fields": json.loads(row["data"]),
                "mobile_number": row["mobile"], "lists": [b["name"] for b in self._lists_of(row["id"])]}

    def write_log(self, after: int = 0) -> list[dict[str, Any]]:
        """Every status write, list join and removal and delete after ``after``
        (a ``seq``), in order: ``via`` is "api" for the engine's requests."""
        return [dict(r) for r in self.db.execute("SELECT * FROM write_log WHERE seq > ? ORDER BY seq", (after,))]

    def write_log_end(self) -> int:
        return int(self.db.execute("SELECT COALESCE(MAX(seq), 0) FROM write_log").fetchone()[0])

    def insight_records(self, collection: str) -> list[tuple[str, dict[str, Any]]]:
        return [(r["key"], json.loads(r["json"])) for r in
                self.db.execute("SELECT key, json FROM record WHERE collection = ? ORDER BY key", (collection,))]

    def dump(self) -> dict[str, list[dict[str, Any]]]:
        contacts = [self.contact(r["email"]) for r in self.db.execute("SELECT email FROM contact ORDER BY id")]
        return {
            "contacts": [c for c in contacts if c],
            "lists": [dict(r) for r in self.db.execute("SELECT * FROM addressbook ORDER BY id")],
            "collections": [dict(r) for r in self.db.execute("SELECT * FROM collection ORDER BY name")],
            "records": [{**dict(r), "json": json.loads(r["json"])} for r in
                        self.db.execute("SELECT * FROM record ORDER BY collection, key")],
        }

