"""The NetSuite REST client: SuiteQL reads and record API writes, signed with
Token-Based Authentication, with bounded retries and a bounded number of
requests in flight.

The engine talks to NetSuite only through this class. It does not know whether
the other end is NetSuite or the embedded sandbox: same URLs, same signatures,
same JSON.
"""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from collections import Counter
from datetime import datetime, timezone
from types import TracebackType
from typing import Any, AsyncIterator, Awaitable, Callable, Literal, Sequence
from urllib.parse import quote as url_quote

import httpx

from nstui.config import NetSuiteConfig
from nstui.credentials import NetSuiteCredentials
from nstui.netsuite.auth import TBAAuth, realm_of
from nstui.netsuite.errors import (
    NetSuiteError,
    NetSuiteQueryTooLarge,
    NetSuiteValidationError,
    from_response,
    from_transport,
)
from nstui.netsuite.models import (
    SUBSCRIPTION_STATES_TABLE,
    CampaignSubscription,
    EntityType,
    SubscriptionState,
)
from nstui.netsuite.retry import TRANSIENT_ERRORS, Backoff, retry_after, retryable_status
from nstui.netsuite.suiteql import column, parse_ts, quote, quote_list, ts
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
Kind = Literal["suiteql", "record.get", "record.create", "record.patch", "record.delete"]


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
        self._http = httpx.AsyncClient(
            base_url=cfg.url,
            auth=TBAAuth(credentials, self.realm),
            transport=transport,
            timeout=cfg.timeout_s,
            headers={"Accept": "application/json"},
        )

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
        attempt = 0
        while True:
            failure: Exception | None = None
            response: httpx.Response | None = None
            async with self._slots:
                try:
                    response = await self._http.request(method, path, params=params, json=json, headers=headers)
                except TRANSIENT_ERRORS as e:
                    failure = e
            if response is not None:
                self.server_clock.observe(response)
                if response.status_code < 400:
                    return response
                if not retryable_status(response.status_code) or attempt >= self.cfg.max_retries:
                    raise from_response(response, realm=self.realm, what=what,
                                        credential_names=self._credential_names)
                wait = self.backoff.delay(attempt + 1, retry_after(response.headers.get("Retry-After")))
                reason = f"{response.status_code}"
            else:
                assert failure is not None
                if attempt >= self.cfg.max_retries:
                    raise from_transport(failure, realm=self.realm, what=what) from None
                wait = self.backoff.delay(attempt + 1)
                reason = type(failure).__name__
            attempt += 1
            self.calls["retry"] += 1
            log.debug("NetSuite %s: %s answered %s; retry %d of %d in %.2fs",
                      self.realm, what, reason, attempt, self.cfg.max_retries, wait)
            await self._sleep(wait)

    # -- SuiteQL -------------------------------------------------------------

    def _limit(self, page_size: int | None) -> int:
        limit = page_size or self.cfg.page_size
        if not 1 <= limit <= MAX_PAGE:
            raise ValueError(f"page_size must be 1..{MAX_PAGE} (NetSuite's largest SuiteQL page), got {limit}")
        return limit

    async def _suiteql_page(self, query: str, limit: int, offset: int) -> dict[str, Any]:
        response = await self._send(
            "suiteql", "POST", SUITEQL_PATH, what="SuiteQL query",
            params={"limit": limit, "offset": offset}, json={"q": query},
            headers={"Prefer": "transient"},
        )
        body = response.json()
        body["items"] = [{k: v for k, v in item.items() if k != "links"} for item in body.get("items") or []]
        return body

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
            if items:
                yield items
            if not body.get("hasMore") or not items:
                return
            last = items[-1]
            if time_name not in last or id_name not in last:
                raise NetSuiteError(
                    f"NetSuite account {self.realm}: keyset paging needs {key_time} and {key_id} on every row; "
                    f"a row of {from_} has none", realm=self.realm)
            new_cursor = (parse_ts(last[time_name]), int(float(last[id_name])))
            if cursor is not None and new_cursor <= cursor:  # type: ignore[operator]
                raise NetSuiteError(f"NetSuite account {self.realm}: keyset paging on {key_time}, {key_id} "
                                    "is not advancing (sub-second times?)", realm=self.realm)
            cursor = new_cursor  # type: ignore[assignment]

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
        return response.json()

    async def create_record(self, record_type: str, body: dict[str, Any]) -> int:
        """POST a new record; NetSuite answers 204 with its URL in Location.

        One idempotency key serves every retry of this call, so a create whose
        answer was lost on the way back is not made twice."""
        response = await self._send(
            "record.create", "POST", self._record_path(record_type), what=f"create {record_type}",
            json=body, headers={"X-NetSuite-Idempotency-Key": str(uuid.uuid4())},
        )
        location = response.headers.get("Location", "")
        match = re.search(r"/(\d+)/?$", location)
        if not match:
            raise NetSuiteValidationError(
                f"NetSuite account {self.realm}: create {record_type} answered {response.status_code} "
                f"without the new record's Location", status=response.status_code, realm=self.realm)
        return int(match.group(1))

    async def patch_record(self, record_type: str, record_id: int | str, body: dict[str, Any]) -> None:
        await self._send("record.patch", "PATCH", self._record_path(record_type, record_id),
                         what=f"PATCH {record_type}/{record_id}", json=body)

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

    async def list_campaign_subscriptions(self) -> list[CampaignSubscription]:
        rows = [r async for r in self.suiteql("SELECT id, name, isinactive FROM campaignsubscription ORDER BY id")]
        return [CampaignSubscription(int(r["id"]), r.get("name", ""), r.get("isinactive") == "T") for r in rows]

    async def entity_subscriptions(self, record_type: EntityType, ids: Sequence[int]) -> dict[int, list[SubscriptionState]]:
        """Campaign subscription states of many entities, read in batches."""
        if record_type not in ("customer", "contact"):
            raise ValueError(f"record_type must be 'customer' or 'contact', got {record_type!r}")
        wanted = list(dict.fromkeys(int(i) for i in ids))
        result: dict[int, list[SubscriptionState]] = {i: [] for i in wanted}
        for start in range(0, len(wanted), MAX_IN_LIST):
            chunk = wanted[start : start + MAX_IN_LIST]
            query = (
                "SELECT s.entity AS entity, s.subscription AS subscription, cs.name AS name, "
                f"s.subscribed AS subscribed, {ts('s.lastmodifieddate')} AS lastmodified "
                f"FROM {SUBSCRIPTION_STATES_TABLE} s "
                "JOIN campaignsubscription cs ON cs.id = s.subscription "
                f"JOIN {record_type} e ON e.id = s.entity "
                f"WHERE s.entity IN {quote_list(chunk)} ORDER BY s.entity, s.subscription"
            )
            async for row in self.suiteql(query):
                result[int(row["entity"])].append(SubscriptionState(
                    subscription_id=int(row["subscription"]),
                    name=row.get("name", ""),
                    subscribed=row.get("subscribed") == "T",
                    last_modified=parse_ts(row.get("lastmodified")),  # type: ignore[arg-type]
                ))
        return result

    async def set_campaign_subscription(self, record_type: EntityType, record_id: int,
                                        subscription_id: int, subscribed: bool) -> None:
        """One line of the record's ``subscriptions`` sublist; the others stay."""
        body = {"subscriptions": {"items": [{"subscription": {"id": str(int(subscription_id))},
                                              "subscribed": bool(subscribed)}]}}
        await self.patch_record(record_type, record_id, body)

    # -- connection test -------------------------------------------------------------

    async def ping(self) -> str:
        """A cheap signed SuiteQL request; raises the typed error if it fails."""
        await self._suiteql_page("SELECT 1 AS ok FROM dual", 1, 0)
        return f"NetSuite {self.realm}: OK"
