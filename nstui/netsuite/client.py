"""The NetSuite REST client: SuiteQL reads and record API writes, signed with
Token-Based Authentication, with bounded retries and a bounded number of
requests in flight.

The engine talks to NetSuite only through this class. It does not know whether
the other end is NetSuite or the embedded sandbox: same URLs, same signatures,
same JSON.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
import uuid
from collections import Counter
from datetime import datetime, timezone
from types import TracebackType
from typing import Any, AsyncIterator, Awaitable, Callable, Literal, Sequence
from urllib.parse import quote as url_quote
from zoneinfo import ZoneInfo

import httpx

from nstui import http_guard
from nstui.config import NetSuiteConfig
from nstui.credentials import NetSuiteCredentials
from nstui.netsuite.auth import TBAAuth, realm_of
from nstui.netsuite.errors import (
    NetSuiteBadAnswer,
    NetSuiteError,
    NetSuiteNotFound,
    NetSuiteQueryTooLarge,
    NetSuiteValidationError,
    from_response,
    from_transport,
)
from nstui.netsuite.models import (
    CampaignSubscription,
    EntityType,
    SubscriptionState,
)
from nstui.netsuite.suiteql import LITERAL_FORMAT, column, parse_ts, quote, ts
from nstui.retry import TRANSIENT_ERRORS, Backoff, RetryLater, describe, retry_after, retryable_status, retrying
from nstui.server_clock import ServerClock
from nstui.sqlfilter import FilterError, validate_filter

log = logging.getLogger("nstui.netsuite")

SUITEQL_PATH = "/services/rest/query/v1/suiteql"
RECORD_PATH = "/services/rest/record/v1"
#: NetSuite's largest SuiteQL page, and the most rows one query returns.
MAX_PAGE = 1000
MAX_QUERY_ROWS = 100_000
#: Oracle's longest IN list.
MAX_IN_LIST = 1000

_RECORD_TYPE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
Kind = Literal["suiteql", "record.get", "record.create", "record.patch", "record.delete", "metadata"]
#: A ``ts()`` value as SuiteQL returns it: local time of the user's time zone, no offset.
_TS_VALUE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")
#: A timestamp literal written by ``quote``: UTC, to be moved into the user's time zone.
_TS_LITERAL = re.compile(r"TO_TIMESTAMP\('(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})', '" + re.escape(LITERAL_FORMAT) + r"'\)")
#: Where the subscriptions sublist and upsert rest on Oracle's help (docs/netsuite-surfaces.md).
SUBSCRIPTIONS_SUBLIST = "subscriptions"
ADDRESS_SUBLIST = "addressBook"


class NetSuiteClient:
    def __init__(
        self,
        cfg: NetSuiteConfig,
        credentials: NetSuiteCredentials,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        backoff: Backoff | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ):
        self.cfg = cfg
        self.realm = realm_of(cfg.account_id)
        #: SuiteQL shows times in the user's time zone (REST records: UTC,
        #: "Using Datetime Fields",
        #: https://docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/section_157305090645.html);
        #: the client moves them to UTC and back so the engine only sees UTC.
        self.zone = ZoneInfo(getattr(cfg, "time_zone", "UTC") or "UTC")
        #: Requests by kind; every retry is counted once more under "retry".
        self.calls: Counter[str] = Counter()
        #: NetSuite's own time, from the Date header of its answers.
        self.server_clock = ServerClock()
        self.backoff = backoff or Backoff()
        self._sleep = sleep
        self._slots = asyncio.Semaphore(cfg.concurrency)
        self._credential_names = ", ".join(
            (cfg.consumer_key_env, cfg.consumer_secret_env, cfg.token_id_env, cfg.token_secret_env)
        )
        if cfg.mode == "live" and (problem := http_guard.live_url_problem(cfg.url)):
            raise ValueError(f"NetSuite account {self.realm}: {problem}")
        self._http = http_guard.make_client(
            cfg.url, TBAAuth(credentials, self.realm), transport=transport,
            deadline=cfg.timeout_s, headers={"Accept": "application/json"},
        )
        self._max_bytes = int(cfg.max_answer_mb * 1024 * 1024)

    def __repr__(self) -> str:
        return f"NetSuiteClient(realm={self.realm!r}, url={self.cfg.url!r})"

    async def __aenter__(self) -> "NetSuiteClient":
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # -- the one way out -----------------------------------------------------

    async def _send(self, kind: Kind, method: str, path: str, *, what: str,
                    params: dict[str, Any] | None = None, json: Any = None,
                    headers: dict[str, str] | None = None) -> httpx.Response:
        """One call, retried while NetSuite (or the network) says "later".

        The slot is held only while the request is in flight, not while
        backing off, so a waiting retry never blocks another request."""
        self.calls[kind] += 1
        response: httpx.Response | None = None
        try:
            async for attempt in retrying(max_retries=self.cfg.max_retries, backoff=self.backoff,
                                          sleep=self._sleep, on_retry=functools.partial(self._on_retry, what)):
                with attempt:
                    async with self._slots:
                        try:
                            response = await http_guard.fetch(
                                self._http, method, path, deadline=self.cfg.timeout_s, max_bytes=self._max_bytes,
                                params=params, json=json, headers=headers)
                        except http_guard.ForeignOrigin as e:
                            raise NetSuiteBadAnswer(f"NetSuite account {self.realm}: {what}: {e}",
                                                    realm=self.realm) from None
                    self.server_clock.observe(response)
                    if response.status_code == 429:
                        self.calls["throttle"] += 1
                    if retryable_status(response.status_code):
                        raise RetryLater(response, retry_after(response.headers.get("Retry-After")))
        except RetryLater as e:  # still "later" after the retries
            response = e.response
        except TRANSIENT_ERRORS as e:
            raise from_transport(e, realm=self.realm, what=what) from None
        assert response is not None
        if response.status_code >= 300:
            raise from_response(response, realm=self.realm, what=what, credential_names=self._credential_names)
        return response

    def _on_retry(self, what: str, number: int, failure: BaseException, wait: float) -> None:
        self.calls["retry"] += 1
        log.debug("NetSuite %s: %s answered %s; retry %d of %d in %.2fs",
                  self.realm, what, describe(failure), number, self.cfg.max_retries, wait)

    # -- SuiteQL -------------------------------------------------------------

    def _limit(self, page_size: int | None) -> int:
        limit = page_size or self.cfg.page_size
        if not 1 <= limit <= MAX_PAGE:
            raise ValueError(f"page_size must be 1..{MAX_PAGE} (NetSuite's largest SuiteQL page), got {limit}")
        return limit

    def _utc_zone(self) -> bool:
        return self.zone.key == "UTC"

    def _local_literals(self, query: str) -> str:
        """``quote``'s UTC timestamp literals, moved into the user's time zone."""
        if self._utc_zone():
            return query

        def local(m: re.Match[str]) -> str:
            moment = datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc)
            text = moment.astimezone(self.zone).strftime("%Y-%m-%d %H:%M:%S")
            return f"TO_TIMESTAMP('{text}', '{LITERAL_FORMAT}')"
        return _TS_LITERAL.sub(local, query)

    def _utc_value(self, value: Any) -> Any:
        """A ``ts()`` value (local, no offset) as ISO-8601 UTC with its offset."""
        if not isinstance(value, str) or not _TS_VALUE.match(value):
            return value
        moment = datetime.fromisoformat(value).replace(tzinfo=self.zone).astimezone(timezone.utc)
        return moment.strftime("%Y-%m-%dT%H:%M:%S+00:00")

    async def _suiteql_page(self, query: str, limit: int, offset: int) -> dict[str, Any]:
        response = await self._send(
            "suiteql", "POST", SUITEQL_PATH, what="SuiteQL query",
            params={"limit": limit, "offset": offset}, json={"q": self._local_literals(query)},
            headers={"Prefer": "transient"},
        )
        body = self._json(response, "SuiteQL query")
        items = body.get("items") or []
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise self._malformed("SuiteQL query", "'items' is not a list of rows")
        # SuiteQL rows are flat: a column holds text, a number or a boolean (links aside).
        if any(isinstance(v, (dict, list)) for row in items for k, v in row.items() if k != "links"):
            raise self._malformed("SuiteQL query", "answered a row whose values are not plain values")
        utc = self._utc_zone()
        body["items"] = [{k: (v if utc else self._utc_value(v)) for k, v in item.items() if k != "links"}
                         for item in items]
        return body

    def _malformed(self, what: str, why: str) -> NetSuiteBadAnswer:
        return NetSuiteBadAnswer(f"NetSuite account {self.realm}: {what} {why}", realm=self.realm)

    def _json(self, response: httpx.Response, what: str) -> dict[str, Any]:
        """The answer's JSON object; a truncated body, an array or any other
        shape is a NetSuiteBadAnswer of this call, never a crash."""
        try:
            return http_guard.json_body(response, dict)  # type: ignore[no-any-return]
        except http_guard.MalformedAnswer as e:
            raise self._malformed(what, str(e)) from None

    async def suiteql_pages(self, query: str, *, page_size: int | None = None) -> AsyncIterator[list[dict[str, Any]]]:
        """The rows of ``query``, one page at a time, following ``hasMore``.

        Rows are NetSuite's: lower-case column names, values as text, and a
        column whose value is NULL left out of the row. A query matching more
        than the 100,000 rows NetSuite returns raises NetSuiteQueryTooLarge
        (up front when the first page's totalResults says so) rather than
        stop short: read such sets with ``keyset_pages``."""
        limit = self._limit(page_size)
        offset = 0
        while True:
            body = await self._suiteql_page(query, limit, offset)
            items: list[dict[str, Any]] = body["items"]
            total = body.get("totalResults")
            if offset == 0 and isinstance(total, int) and total > MAX_QUERY_ROWS:
                raise self._too_large(total)
            if items:
                yield items
            if not body.get("hasMore"):
                if isinstance(total, int) and total > offset + len(items):
                    raise self._too_large(total)
                return
            offset += limit

    def _too_large(self, total: int) -> NetSuiteQueryTooLarge:
        return NetSuiteQueryTooLarge(
            f"NetSuite account {self.realm}: a SuiteQL query matches {total} rows; NetSuite returns at most "
            f"{MAX_QUERY_ROWS} for one query - read it by key (keyset_pages) instead",
            status=400, code="TOO_MANY_ROWS", detail=f"{total} rows", realm=self.realm,
        )

    async def suiteql(self, query: str, *, page_size: int | None = None) -> AsyncIterator[dict[str, Any]]:
        async for page in self.suiteql_pages(query, page_size=page_size):
            for row in page:
                yield row

    async def keyset_pages(
        self,
        *,
        select: str,
        from_: str,
        where: str = "",
        key_time: str,
        key_id: str,
        since: datetime | None,
        after_id: int | None = None,
        page_size: int | None = None,
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """Rows ordered by (key_time, key_id) with key_time >= since, one query
        per page, each starting after the last key of the page before, so no
        query ever nears NetSuite's 100,000-row cap and a row is never skipped
        however many share one time.

        The client adds the two key columns to each row, named after the
        column (``c.lastmodifieddate`` -> ``lastmodifieddate`` as ISO-8601 UTC
        text, ``c.id`` -> ``id``). ``where`` is validated like the orders
        filter (nstui.sqlfilter): plain predicates, values quoted with
        ``quote``. With ``after_id``, reading resumes strictly after
        (since, after_id)."""
        limit = self._limit(page_size)
        column(key_time)
        column(key_id)
        try:
            where = validate_filter(where)
        except FilterError as e:
            raise ValueError(f"keyset_pages: where is not allowed: {e}") from None
        for name, text in (("select", select), ("from_", from_)):
            if not text.strip() or ";" in text or "--" in text or "/*" in text:
                raise ValueError(f"keyset_pages: {name} must be non-empty, without ';' or comments")
        if since is not None:
            since = since.replace(tzinfo=timezone.utc) if since.tzinfo is None else since.astimezone(timezone.utc)
        time_name = key_time.split(".")[-1].lower()
        id_name = key_id.split(".")[-1].lower()
        columns = f"{select}, {ts(key_time)} AS {time_name}, {key_id} AS {id_name}"
        cursor: tuple[datetime, int] | None = (since, after_id) if since and after_id is not None else None
        while True:
            conditions = [f"({where})"] if where else []
            if cursor is not None:
                t, i = quote(cursor[0]), quote(cursor[1])
                conditions.append(f"({key_time} > {t} OR ({key_time} = {t} AND {key_id} > {i}))")
            elif since is not None:
                conditions.append(f"{key_time} >= {quote(since)}")
            query = f"SELECT {columns} FROM {from_}"
            if conditions:
                query += " WHERE " + " AND ".join(conditions)
            query += f" ORDER BY {key_time}, {key_id}"
            body = await self._suiteql_page(query, limit, 0)
            items: list[dict[str, Any]] = body["items"]
            keys = [self._row_key(row, time_name, id_name, key_time, key_id, from_) for row in items]
            if items:
                yield items
            if not body.get("hasMore") or not items:
                return
            new_cursor = keys[-1]
            if cursor is not None and new_cursor <= cursor:
                raise NetSuiteError(f"NetSuite account {self.realm}: keyset paging on {key_time}, {key_id} "
                                    "is not advancing (sub-second times?)", realm=self.realm)
            cursor = new_cursor  # type: ignore[assignment]

    def _row_key(self, row: dict[str, Any], time_name: str, id_name: str, key_time: str, key_id: str,
                 from_: str) -> tuple[datetime | None, int]:
        """A keyset row's key; every row's is read, so a page whose rows hold
        an id "abc" or a time that is none is a bad answer of the page."""
        if time_name not in row or id_name not in row:
            raise NetSuiteError(
                f"NetSuite account {self.realm}: keyset paging needs {key_time} and {key_id} on every row; "
                f"a row of {from_} has none", realm=self.realm)
        try:
            return parse_ts(row[time_name]), int(float(row[id_name]))
        except (TypeError, ValueError, OverflowError):
            raise self._malformed("SuiteQL query", f"answered a row whose {key_time}, {key_id} are no key") from None

    # -- record API ------------------------------------------------------------

    def _record_path(self, record_type: str, record_id: int | str | None = None) -> str:
        if not _RECORD_TYPE.match(record_type):
            raise ValueError(f"{record_type!r} is not a NetSuite record type")
        path = f"{RECORD_PATH}/{record_type}"
        if record_id is not None:
            path += "/" + url_quote(str(record_id), safe=":")
        return path

    async def get_record(self, record_type: str, record_id: int | str, *, expand: bool = False) -> dict[str, Any]:
        params = {"expandSubResources": "true"} if expand else None
        response = await self._send("record.get", "GET", self._record_path(record_type, record_id),
                                    what=f"GET {record_type}/{record_id}", params=params)
        return self._json(response, f"GET {record_type}/{record_id}")

    async def create_record(self, record_type: str, body: dict[str, Any], *, external_id: str | None = None) -> int:
        """A new record, made with an upsert by external ID (PUT
        .../{type}/eid:{externalId}, "Using the Upsert Operation",
        https://docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/section_156335203191.html):
        a retry after a lost answer updates the record the first try made
        instead of making a second one. (X-NetSuite-Idempotency-Key would not:
        NetSuite honours it only with Prefer: respond-async.) The record keeps
        the external ID, ``nstui-`` and a random hex unless one is given.

        On a OneWorld account the configured subsidiary goes with it."""
        external_id = external_id or f"nstui-{uuid.uuid4().hex}"
        body = self._wire_body(body)
        if getattr(self.cfg, "subsidiary", None) and "subsidiary" not in body:
            body["subsidiary"] = {"id": str(self.cfg.subsidiary)}
        response = await self._send(
            "record.create", "PUT", self._record_path(record_type, f"eid:{external_id}"),
            what=f"create {record_type}", json=body,
        )
        location = response.headers.get("Location", "")
        match = re.search(r"/(\d+)/?$", location)
        if match:
            return int(match.group(1))
        found = await self.get_record(record_type, f"eid:{external_id}")
        if str(found.get("id", "")).isdigit():
            return int(found["id"])
        raise NetSuiteValidationError(
            f"NetSuite account {self.realm}: create {record_type} answered {response.status_code} "
            f"without the new record's Location", status=response.status_code, realm=self.realm)

    @staticmethod
    def _wire_body(body: dict[str, Any]) -> dict[str, Any]:
        """``body`` with each address's country as the reference NetSuite takes
        (``{"id": "GB"}``, a select field of the address subrecord)."""
        book = body.get(ADDRESS_SUBLIST)
        if not isinstance(book, dict) or not isinstance(book.get("items"), list):
            return dict(body)
        items = []
        for line in book["items"]:
            fields = line.get("addressBookAddress") if isinstance(line, dict) else None
            if isinstance(fields, dict) and isinstance(fields.get("country"), str):
                line = {**line, "addressBookAddress": {**fields, "country": {"id": fields["country"]}}}
            items.append(line)
        return {**body, ADDRESS_SUBLIST: {**book, "items": items}}

    async def patch_record(self, record_type: str, record_id: int | str, body: dict[str, Any]) -> None:
        """PATCH body fields. The address book is a keyed sublist: a line
        without an id is appended ("Updating a Sublist",
        https://docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/section_1545295601.html),
        so a new default billing address is sent with the id of the current
        default billing line (read first: one more request), which is then
        updated in place and the customer's other addresses stay."""
        body = self._wire_body(body)
        book = body.get(ADDRESS_SUBLIST)
        if isinstance(book, dict) and any(isinstance(i, dict) and i.get("defaultBilling") is True and "id" not in i
                                          for i in book.get("items") or []):
            current = await self.sublist(record_type, record_id, ADDRESS_SUBLIST)
            billing = next((line.get("id") for line in current if line.get("defaultBilling") is True), None)
            if billing is not None:
                body[ADDRESS_SUBLIST] = {**book, "items": [
                    {**i, "id": billing} if isinstance(i, dict) and i.get("defaultBilling") is True and "id" not in i
                    else i for i in book["items"]]}
        await self._send("record.patch", "PATCH", self._record_path(record_type, record_id),
                         what=f"PATCH {record_type}/{record_id}", json=body)

    async def sublist(self, record_type: str, record_id: int | str, name: str) -> list[dict[str, Any]]:
        """The lines of one sublist of a record ("Accessing Subresources in REST
        Web Services", https://docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/section_159894563219.html)."""
        if not _RECORD_TYPE.match(name):
            raise ValueError(f"{name!r} is not a sublist name")
        response = await self._send("record.get", "GET", self._record_path(record_type, record_id) + "/" + name,
                                    what=f"GET {record_type}/{record_id}/{name}")
        items = self._json(response, f"GET {record_type}/{record_id}/{name}").get("items") or []
        if not isinstance(items, list):
            raise self._malformed(f"GET {record_type}/{record_id}/{name}", "'items' is not a list")
        return [i for i in items if isinstance(i, dict)]

    async def record_metadata(self, record_type: str) -> dict[str, Any]:
        """The JSON Schema of a record type from the metadata catalog: its
        ``properties``, one per field ("Working with JSON Schema Metadata",
        https://docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/section_1545129726.html).
        The catalog is per user: it shows the custom fields of this account
        that the integration role may see."""
        path = f"{RECORD_PATH}/metadata-catalog/{self._record_path(record_type).rsplit('/', 1)[1]}"
        what = f"GET metadata-catalog/{record_type}"
        response = await self._send("metadata", "GET", path, what=what,
                                    headers={"Accept": "application/schema+json"})
        properties = self._json(response, what).get("properties")
        if not isinstance(properties, dict):
            raise self._malformed(what, "'properties' is not an object")
        return {str(k): v for k, v in properties.items() if isinstance(v, dict)}

    async def delete_record(self, record_type: str, record_id: int | str) -> None:
        await self._send("record.delete", "DELETE", self._record_path(record_type, record_id),
                         what=f"DELETE {record_type}/{record_id}")

    # -- opt-ins -------------------------------------------------------------------

    async def set_global_subscription_status(self, record_type: EntityType, record_id: int, status: int) -> None:
        """1 Soft Opt-In or 2 Soft Opt-Out. NetSuite refuses 3 and 4 (only the
        recipient confirms); its error is raised as it comes."""
        if status not in (1, 2, 3, 4):
            raise ValueError(f"globalsubscriptionstatus is 1..4, got {status!r}")
        await self.patch_record(record_type, record_id, {"globalSubscriptionStatus": {"id": str(status)}})

    async def rows_by_id(self, select: str, from_: str, where: str, ids: Sequence[int]) -> list[dict[str, Any]]:
        """``SELECT select FROM from_`` for the records ``ids`` (``<alias>.id``,
        the alias being the one ``from_`` gives its first table), 500 a query."""
        parts = from_.split()
        alias = parts[1] if len(parts) > 1 and parts[1].upper() not in ("LEFT", "JOIN", "INNER") else parts[0]
        rows: list[dict[str, Any]] = []
        wanted = [int(i) for i in ids]
        for i in range(0, len(wanted), 500):
            cond = f"{alias}.id IN ({', '.join(str(x) for x in wanted[i:i + 500])})"
            full = f"{where} AND {cond}" if where else cond
            rows += [r async for r in self.suiteql(f"SELECT {select} FROM {from_} WHERE {full}")]
        return rows

    async def entities_by_email(self, emails: Sequence[str]) -> list[dict[str, Any]]:
        """Every customer and contact with one of ``emails`` (compared in lower
        case): ``record_type``, ``id``, ``email``, ``globalsubscriptionstatus``."""
        if not emails:
            return []
        marks = ", ".join(quote(e.lower()) for e in emails)
        return [{**r, "id": int(float(r["id"]))} async for r in self.suiteql(
            f"SELECT 'contact' AS record_type, id, email, globalsubscriptionstatus FROM contact "
            f"WHERE LOWER(email) IN ({marks}) UNION ALL SELECT 'customer' AS record_type, id, email, "
            f"globalsubscriptionstatus FROM customer WHERE LOWER(email) IN ({marks})")]

    async def entities_by_id(self, ids: Sequence[int]) -> list[dict[str, Any]]:
        """The customers and contacts with one of ``ids``: ``record_type``, ``id``, ``email``."""
        if not ids:
            return []
        marks = ", ".join(str(int(i)) for i in ids)
        return [{**r, "id": int(float(r["id"]))} async for r in self.suiteql(
            f"SELECT 'contact' AS record_type, id, email FROM contact WHERE id IN ({marks}) "
            f"UNION ALL SELECT 'customer' AS record_type, id, email FROM customer WHERE id IN ({marks})")]

    async def list_campaign_subscriptions(self) -> list[CampaignSubscription]:
        rows = [r async for r in self.suiteql("SELECT id, name, isinactive FROM campaignsubscription ORDER BY id")]
        try:
            return [CampaignSubscription(int(r["id"]), r.get("name", ""), r.get("isinactive") == "T") for r in rows]
        except (KeyError, TypeError, ValueError):
            raise self._malformed("SuiteQL query of campaign subscriptions", "answered an id that is none") from None

    async def entity_subscriptions(self, record_type: EntityType, ids: Sequence[int]) -> dict[int, list[SubscriptionState]]:
        """Campaign subscription states of many entities: one GET of each
        record's ``subscriptions`` sublist (the customer REST record documents
        it, https://docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/article_161581923822.html;
        no SuiteQL table of subscription states is documented, so there is no
        bulk read). The requests run side by side, up to ``concurrency``."""
        if record_type not in ("customer", "contact"):
            raise ValueError(f"record_type must be 'customer' or 'contact', got {record_type!r}")
        wanted = list(dict.fromkeys(int(i) for i in ids))

        async def states(rid: int) -> list[SubscriptionState]:
            try:
                lines = await self.sublist(record_type, rid, SUBSCRIPTIONS_SUBLIST)
            except NetSuiteNotFound:  # deleted since it was read: no subscriptions to sync
                return []
            try:
                return [state for state in (self._subscription_state(line) for line in lines) if state is not None]
            except (AttributeError, TypeError, ValueError):
                raise self._malformed(f"{record_type} {rid}'s subscriptions", "hold a value that is not one") from None

        found = await asyncio.gather(*(states(rid) for rid in wanted))
        return dict(zip(wanted, found))

    @staticmethod
    def _subscription_state(line: dict[str, Any]) -> SubscriptionState | None:
        ref = line.get("subscription")
        sid = ref.get("id") if isinstance(ref, dict) else ref
        if sid is None or not str(sid).isdigit():
            return None
        modified = line.get("lastModifiedDate")
        return SubscriptionState(
            subscription_id=int(sid),
            name=(ref.get("refName") if isinstance(ref, dict) else None) or line.get("refName") or "",
            subscribed=line.get("subscribed") is True,
            last_modified=(parse_ts(modified) if modified else None) or datetime.min.replace(tzinfo=timezone.utc),
        )

    async def set_campaign_subscription(self, record_type: EntityType, record_id: int,
                                        subscription_id: int, subscribed: bool) -> None:
        """One line of the record's ``subscriptions`` sublist (keyed by
        subscription: the other lines stay). The customer record documents
        the sublist; the contact record's REST page does not, so on a contact
        the line is read back, and a write NetSuite did not apply raises
        rather than pass as done."""
        body = {"subscriptions": {"items": [{"subscription": {"id": str(int(subscription_id))},
                                              "subscribed": bool(subscribed)}]}}
        await self.patch_record(record_type, record_id, body)
        if record_type == "contact":
            lines = await self.sublist(record_type, record_id, SUBSCRIPTIONS_SUBLIST)
            now = {s.subscription_id: s.subscribed for s in map(self._subscription_state, lines) if s}
            if now.get(int(subscription_id)) is not bool(subscribed):
                raise NetSuiteValidationError(
                    f"NetSuite account {self.realm}: contact {record_id} did not take campaign subscription "
                    f"{subscription_id} = {bool(subscribed)} (the contact record's subscriptions sublist is not "
                    "writable on this account); nothing was changed", status=204, realm=self.realm)

    # -- connection test -------------------------------------------------------------

    async def ping(self) -> str:
        """A cheap signed SuiteQL request; raises the typed error if it fails."""
        await self._suiteql_page("SELECT 1 AS ok FROM dual", 1, 0)
        return f"NetSuite {self.realm}: OK"
