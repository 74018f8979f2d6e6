"""The marketing client: Dotdigital's REST API (v3 contacts and insight data,
v2 address books and suppressions) behind Bronto's contact model.

HTTP basic auth with the API user, the regional base URL; 429 and 5xx are
retried by the policy both clients share (``nstui/retry.py``), the wait taken
from ``Retry-After`` / ``X-RateLimit-Reset`` when the platform sends one; other
4xx are raised as typed errors with the platform's message. Requests are
counted by kind. The client does not know whether it talks to Dotdigital or
to the embedded sandbox.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections import Counter
from datetime import datetime, timezone
from typing import Any, AsyncIterator, Awaitable, Callable, Literal, Sequence, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, TypeAdapter, ValidationError

from nstui import http_guard
from nstui.config import MarketingConfig
from nstui.credentials import MarketingCredentials
from nstui.marketing import wire
from nstui.marketing.errors import MarketingError, MarketingServerError, from_response
from nstui.marketing.model import ContactWrite, ImportReport, MarketingContact, MarketingList, OptOut
from nstui.marketing.statuses import from_wire, to_wire
from nstui.retry import TRANSIENT_ERRORS, Backoff, RetryLater, describe, retryable_status, retrying
from nstui.sanitize import clean
from nstui.server_clock import ServerClock

log = logging.getLogger("nstui.marketing")

V2_PAGE = 1000  # the v2 `select` maximum
V3_PAGE = 1000
#: Status reads of one import job before it counts as failed (at the default
#: 0.5 s apart: five minutes).
MAX_IMPORT_POLLS = 600
#: List names Dotdigital keeps for itself: creating one is refused (ERROR_ADDRESSBOOK_NAME_ISRESERVED).
RESERVED_LIST_NAMES = {"all contacts", "test"}
MOBILE = "mobileNumber"


def _iso(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _utc(dt: datetime | None) -> datetime | None:
    if dt is None:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def _hint(response: httpx.Response) -> float | None:
    retry_after = response.headers.get("Retry-After")
    if retry_after:
        try:
            return float(retry_after)
        except ValueError:
            from email.utils import parsedate_to_datetime

            try:
                return (parsedate_to_datetime(retry_after) - datetime.now(timezone.utc)).total_seconds()
            except (TypeError, ValueError):
                pass
    reset = response.headers.get("X-RateLimit-Reset")
    if reset:
        try:
            value = float(reset)
        except ValueError:
            return None
        # Dotdigital sends the reset as a Unix time; small values are seconds to wait.
        return value - time.time() if value > 1e9 else value
    return None


@functools.lru_cache(maxsize=None)
def _adapter(model: Any) -> TypeAdapter[Any]:
    """One validator per response type: building it costs more than a page's parse."""
    return TypeAdapter(model)


def to_contact(c: wire.Contact) -> MarketingContact:
    email_ch = c.channelProperties.email if c.channelProperties else None
    status, suppressed = from_wire(email_ch.status if email_ch else None, email_ch.optInType if email_ch else None)
    data = dict(c.dataFields or {})
    return MarketingContact(
        contact_id=c.contactId,
        email=(c.identifiers.email or "").lower(),
        status=status,  # type: ignore[arg-type]
        status_changed=_utc(c.updated),
        suppressed=suppressed,
        data_fields=data,
        mobile_number=c.identifiers.mobileNumber,
        lists={lst.id: None for lst in (c.lists or [])},
        updated=_utc(c.updated),
        # A company suppression keeps the memberships as they were; a contact's
        # own opt-out suppresses them.
        suppressed_lists=set() if suppressed else {lst.id for lst in (c.lists or []) if lst.status == "suppressed"},
    )


#: One item of a v2 collection (pydantic model of the wire).
T = TypeVar("T", bound=BaseModel)


class MarketingClient:
    def __init__(
        self,
        cfg: MarketingConfig,
        credentials: MarketingCredentials,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        backoff: Backoff | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        poll_interval: float = 0.5,
        max_polls: int = MAX_IMPORT_POLLS,
    ):
        self.cfg = cfg
        self.calls: Counter[str] = Counter()
        #: The platform's own time, from the Date header of its answers.
        self.server_clock = ServerClock()
        self.backoff = backoff or Backoff()
        self._sleep = sleep
        self._poll = poll_interval
        self._max_polls = max_polls
        self._host = cfg.url.split("://", 1)[-1]
        self._credential_names = f"{cfg.username_env} and {cfg.password_env}"
        if cfg.mode == "live" and (problem := http_guard.live_url_problem(cfg.url)):
            raise ValueError(f"marketing platform: {problem}")
        self._http = http_guard.make_client(
            cfg.url, httpx.BasicAuth(credentials.username, credentials.password), transport=transport,
            deadline=cfg.timeout_s, headers={"Accept": "application/json"},
        )
        self._max_bytes = int(cfg.max_answer_mb * 1024 * 1024)

    def __repr__(self) -> str:
        return f"MarketingClient({self._host})"

    async def __aenter__(self) -> "MarketingClient":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # -- transport -----------------------------------------------------------------

    async def _send(self, kind: str, method: str, path: str, *, ok_404: bool = False, **kw: Any) -> httpx.Response | None:
        what = f"{method} {path.split('?')[0]}"
        self.calls[kind] += 1
        response: httpx.Response | None = None
        try:
            async for attempt in retrying(max_retries=self.cfg.max_retries, backoff=self.backoff,
                                          sleep=self._sleep, on_retry=functools.partial(self._on_retry, what)):
                with attempt:
                    try:
                        response = await http_guard.fetch(self._http, method, path, deadline=self.cfg.timeout_s,
                                                          max_bytes=self._max_bytes, **kw)
                    except http_guard.ForeignOrigin as e:
                        raise MarketingError(f"{self._host}: {what}: {e}") from None
                    self.server_clock.observe(response)
                    if response.status_code == 429:
                        self.calls["throttle"] += 1
                    if retryable_status(response.status_code):
                        raise RetryLater(response, _hint(response))
        except RetryLater as e:  # still "later" after the retries
            response = e.response
        except TRANSIENT_ERRORS as e:
            raise MarketingServerError(f"{self._host}: {what} failed: {e.__class__.__name__}") from None
        assert response is not None
        if response.status_code == 404 and ok_404:
            return None
        if response.status_code >= 300:  # a redirect is not followed: an API answers
            raise from_response(response, what=what, host=self._host, credential_names=self._credential_names)
        return response

    def _on_retry(self, what: str, number: int, failure: BaseException, wait: float) -> None:
        self.calls["retry"] += 1
        log.debug("%s: %s answered %s; retry %d of %d in %.2fs",
                  self._host, what, describe(failure), number, self.cfg.max_retries, wait)

    async def _json(self, kind: str, method: str, path: str, model: type[BaseModel] | Any, **kw: Any) -> Any:
        response = await self._send(kind, method, path, **kw)
        assert response is not None
        return self._parse(response, model, f"{method} {path}")

    def _parse(self, response: httpx.Response, model: Any, what: str) -> Any:
        try:
            # pydantic-core parses and validates the bytes in one pass (no json.loads)
            return _adapter(model).validate_json(response.content)
        except (ValidationError, ValueError) as e:
            raise MarketingError(f"{self._host}: {what} answered in an unexpected shape: {clean(e, 300)}",
                                 status=response.status_code) from None

    def _next(self, link: str) -> str:
        """A page's next link, followed only on the configured origin."""
        try:
            return http_guard.local_link(link, self.cfg.url)
        except http_guard.ForeignOrigin as e:
            raise MarketingError(f"{self._host}: {e}") from None

    # -- account ---------------------------------------------------------------------

    async def ping(self) -> str:
        account = await self._json("account", "GET", "/v2/account-info", wire.Account)
        props = {p.name: p.value for p in account.properties}
        name = props.get("Name") or props.get("MainEmail") or f"account {account.id}"
        return f"Dotdigital {self._host}: OK ({clean(name, 80)})"  # the account name is outside text

    async def account_info(self) -> dict[str, str]:
        """The account's properties (Name, ApiEndpoint...) from /v2/account-info."""
        account = await self._json("account", "GET", "/v2/account-info", wire.Account)
        return {p.name: p.value for p in account.properties if p.name}

    async def data_fields(self) -> dict[str, str]:
        """The account's contact data fields, name -> type (String, Numeric, Date, Boolean)."""
        response = await self._send("datafields.get", "GET", "/v2/data-fields")
        assert response is not None
        try:
            rows = response.json()
            return {str(r["name"]): str(r.get("type") or "") for r in rows}
        except (ValueError, TypeError, KeyError):
            raise MarketingError(f"{self._host}: GET /v2/data-fields answered in an unexpected shape") from None

    # -- lists -----------------------------------------------------------------------

    async def _v2_items(self, kind: str, path: str, model: type[T]) -> AsyncIterator[T]:
        """Every item of a v2 collection, paged with ``select``/``skip`` (v2
        has no next links: a page shorter than ``select`` is the last)."""
        skip, sep = 0, "&" if "?" in path else "?"
        while True:
            page = await self._json(kind, "GET", f"{path}{sep}select={V2_PAGE}&skip={skip}", list[model])  # type: ignore[valid-type]
            for item in page:
                yield item
            if len(page) < V2_PAGE:
                return
            skip += V2_PAGE

    async def list_lists(self) -> list[MarketingList]:
        return [MarketingList(b.id or 0, b.name, b.contacts)
                async for b in self._v2_items("lists.get", "/v2/address-books", wire.AddressBook)]

    async def find_list(self, name: str) -> MarketingList | None:
        return next((lst for lst in await self.list_lists() if lst.name == name), None)

    async def create_list(self, name: str) -> MarketingList:
        if name.strip().lower() in RESERVED_LIST_NAMES:
            raise MarketingError(f"{self._host}: {name!r} is a list name the platform keeps for itself "
                                 "(All contacts, Test): choose another list name in the configuration")
        book = await self._json("lists.create", "POST", "/v2/address-books", wire.AddressBook,
                                json={"name": name, "visibility": "Private"})
        return MarketingList(book.id or 0, book.name, book.contacts or 0)

    async def add_to_list(self, list_id: int, emails: Sequence[str]) -> None:
        """Adds through the bulk import (one job per batch), as the platform advises."""
        if emails:
            await self.import_contacts([ContactWrite(email=e, lists=[list_id]) for e in emails])

    async def remove_from_list(self, list_id: int, emails: Sequence[str], *,
                               known_ids: dict[str, int] | None = None) -> None:
        """v2 removes by contact id: the ids the caller knows are used, the
        others read (one GET each)."""
        known = known_ids or {}
        unknown = [e for e in emails if e not in known]
        ids = [known[e] for e in emails if e in known]
        ids += [c.contact_id for c in (await self.get_contacts(unknown)).values()] if unknown else []
        for i in range(0, len(ids), V2_PAGE):
            await self._send("lists.remove", "POST", f"/v2/address-books/{list_id}/contacts/delete",
                             json=ids[i : i + V2_PAGE])

    # -- contacts --------------------------------------------------------------------

    def _contact_path(self, email: str) -> str:
        return f"/contacts/v3/email/{quote(email.lower(), safe='@')}"

    async def get_contact(self, email: str) -> MarketingContact | None:
        # getContact takes no query parameters and returns the whole contact
        # (lists, channelProperties, dataFields: dotdigital-contacts-service.json,
        # GET /contacts/v3/{identifier}/{value}); include is getContacts' only
        response = await self._send("contacts.get", "GET", self._contact_path(email), ok_404=True)
        if response is None:
            return None
        return to_contact(self._parse(response, wire.Contact, "GET contact"))

    async def get_contacts(self, emails: Sequence[str]) -> dict[str, MarketingContact]:
        """The v3 API reads one contact per identifier; asked one by one."""
        found: dict[str, MarketingContact] = {}
        for email in dict.fromkeys(e.lower() for e in emails):
            contact = await self.get_contact(email)
            if contact is not None:
                found[email] = contact
        return found

    @staticmethod
    def _body(write: ContactWrite, *, match: bool = False) -> dict[str, Any]:
        identifiers: dict[str, Any] = {"email": write.email.lower()}
        if write.mobile_number:
            identifiers[MOBILE] = write.mobile_number
        body: dict[str, Any] = {"identifiers": identifiers}
        if match:
            body["matchIdentifier"] = "email"
        if write.data_fields:
            body["dataFields"] = dict(write.data_fields)
        if write.suppressed:
            body["channelProperties"] = {"email": {"emailType": "html", "status": "suppressed"}}
        elif write.status is not None:
            body["channelProperties"] = {"email": {"emailType": "html", **to_wire(write.status)}}
        if write.lists:
            body["lists"] = list(write.lists)
        return body

    async def upsert_contact(self, write: ContactWrite) -> MarketingContact:
        contact = await self._json("contacts.upsert", "PATCH", self._contact_path(write.email), wire.Contact,
                                   json=self._body(write))
        return to_contact(contact)

    async def import_contacts(self, writes: Sequence[ContactWrite]) -> ImportReport:
        report = ImportReport(0, 0, [])
        size = self.cfg.import_batch_size
        for i in range(0, len(writes), size):
            batch = writes[i : i + size]
            started = await self._json("contacts.import", "PUT", "/contacts/v3/import", wire.ImportStarted,
                                       json={"mergeOption": "overwrite",
                                             "contacts": [self._body(w, match=True) for w in batch]})
            status = await self._await_import(started.importId)
            if status.status != "Finished":
                raise MarketingError(f"{self._host}: contact import {clean(status.importId, 60)} ended {clean(status.status, 40)}")
            if status.summary:
                report.created += status.summary.newContacts
                report.updated += status.summary.updatedContacts
            for failure in status.failures or []:
                email = (failure.identifiers.email if failure.identifiers else None) or "?"
                reason = clean("; ".join(f.description for f in failure.failures) or "rejected", 200)
                report.failed.append((email.lower(), reason))
        return report

    async def _await_import(self, import_id: str) -> wire.ContactImportStatus:
        for _ in range(self._max_polls):
            status: wire.ContactImportStatus = await self._json(
                "contacts.import_status", "GET", f"/contacts/v3/import/{quote(import_id)}", wire.ContactImportStatus)
            if status.status != "NotFinished":
                return status
            await self._sleep(self._poll)
        raise self._unfinished("contact import", import_id)

    def _unfinished(self, what: str, import_id: str) -> MarketingServerError:
        return MarketingServerError(f"{self._host}: {what} {clean(import_id, 60)} still not finished after "
                                    f"{self._max_polls} status reads; its records are read again next run")

    async def delete_contact(self, email: str) -> None:
        await self._send("contacts.delete", "DELETE", self._contact_path(email), ok_404=True)

    async def _set_email_channel(self, email: str, channel: dict[str, Any]) -> None:
        await self._send("contacts.status", "PATCH", self._contact_path(email),
                         json={"identifiers": {"email": email.lower()}, "channelProperties": {"email": channel}})

    async def unsubscribe(self, email: str) -> None:
        await self._set_email_channel(email, {"status": "unsubscribed"})

    async def suppress(self, email: str) -> None:
        await self._set_email_channel(email, {"status": "suppressed"})

    async def unsuppress(self, email: str) -> None:
        await self._set_email_channel(
            email, {"status": "subscribed", "resubscribeOptions": {"resubscribeWithNoChallenge": True}})

    async def resubscribe(self, email: str, *, with_confirmation: bool) -> None:
        await self._set_email_channel(
            email, {"status": "subscribed", "resubscribeOptions": {"resubscribeWithNoChallenge": not with_confirmation,
                                                                   "preferredLocale": "en-EN"}})

    # -- changed since -----------------------------------------------------------------

    async def contacts_changed_since(self, since: datetime | None) -> AsyncIterator[MarketingContact]:
        """Every contact modified at or after ``since`` (inclusive; None: every
        contact of the account), paged by marker."""
        where = f"~modified=gte::{_iso(since)}&" if since is not None else ""
        path = f"/contacts/v3?{where}limit={V3_PAGE}&include=channelProperties|lists&data-fields=[[ALL]]"
        while True:
            page = await self._json("contacts.changed", "GET", path, wire.ContactsPage)
            for c in page.items:
                yield to_contact(c)
            if not page.items or page.links.next is None:
                return
            path = self._next(page.links.next.link)

    async def opt_outs_since(self, since: datetime) -> AsyncIterator[OptOut]:
        """Unsubscribes, bounces and suppressions at or after ``since``."""
        async for s in self._v2_items("contacts.opt_outs", f"/v2/contacts/suppressed-since/{_iso(since)}",
                                      wire.ContactSuppression):
            if s.suppressedContact is None:
                continue
            reason = s.reason or "Suppressed"
            kind = ("bounced" if reason in ("SoftBounced", "HardBounced")
                    else "unsubscribed" if reason == "Unsubscribed" else "suppressed")
            yield OptOut(s.suppressedContact.email.lower(), _utc(s.dateRemoved) or since, kind)  # type: ignore[arg-type]

    async def list_unsubscribes_since(self, list_id: int, since: datetime) -> AsyncIterator[tuple[str, datetime]]:
        """(email, when) of each contact who unsubscribed from the list at or
        after ``since`` (dotdigital-v2-api-swagger.json,
        ApiContact_GetUnsubscribedContactsInAddressBook: the date of each is
        ``dateRemoved``). The only list event the platform reads back with
        its time: a plain removal from a list leaves none."""
        async for s in self._v2_items(
                "lists.unsubscribed", f"/v2/address-books/{list_id}/contacts/unsubscribed-since/{_iso(since)}",
                wire.ContactSuppression):
            if s.suppressedContact is not None:
                yield s.suppressedContact.email.lower(), _utc(s.dateRemoved) or since

    async def list_changes_since(self, list_id: int, since: datetime) -> AsyncIterator[tuple[str, bool, datetime]]:
        """Members of a list whose membership or data changed at or after
        ``since``, each with whether it is a *subscribed* member. An unsubscribed,
        bounced or suppressed contact stays on its lists (the platform keeps the
        membership, its list status ``suppressed``: contact_lists.status in
        dotdigital-contacts-service.json), so a member whose v2 status is not
        Subscribed is on the list but not subscribed to it."""
        async for c in self._v2_items(
                "lists.changed", f"/v2/address-books/{list_id}/contacts/modified-since/{_iso(since)}",
                wire.V2Contact):
            yield c.email.lower(), c.status in (None, "Subscribed"), since

    # -- insight data ------------------------------------------------------------------

    async def ensure_collection(self, name: str, *, scope: Literal["account", "contact"] = "account") -> None:
        kind = "catalog" if name.startswith("catalog_") else ("orders" if scope == "contact" else "custom")
        await self._send("insight.collection", "POST",
                         f"/insightData/v3/collections/{quote(name)}?collectionScope={scope}&collectionType={kind}")

    async def upsert_insight_records(self, collection: str, records: Sequence[tuple[str, dict[str, Any]]], *,
                                     contact_emails: Sequence[str | None] | None = None) -> None:
        scope = "contact" if contact_emails is not None else "account"
        kind = "catalog" if collection.startswith("catalog_") else ("orders" if scope == "contact" else "custom")
        for i in range(0, len(records), V3_PAGE):
            batch = []
            for j, (key, data) in enumerate(records[i : i + V3_PAGE]):
                rec: dict[str, Any] = {"key": key, "json": data}
                if contact_emails is not None:
                    rec["contactIdentity"] = {"identifier": "email", "value": contact_emails[i + j]}
                batch.append(rec)
            started = await self._json("insight.import", "PUT", "/insightData/v3/import", wire.ImportStarted,
                                       json={"collectionName": collection, "collectionScope": scope,
                                             "collectionType": kind, "records": batch})
            for _ in range(self._max_polls):
                status = await self._json("insight.import_status", "GET",
                                          f"/insightData/v3/import/{quote(started.importId)}", wire.InsightImportStatus)
                if status.status in ("Complete", "Failed"):
                    break
                await self._sleep(self._poll)
            else:
                raise self._unfinished(f"insight import into {collection}", started.importId)
            if status.status == "Failed" or (status.summary and status.summary.totalRejected):
                raise MarketingError(f"{self._host}: insight import into {collection} rejected "
                                     f"{status.summary.totalRejected if status.summary else 'all'} records")

    async def delete_insight_record(self, collection: str, key: str, *, contact_email: str | None = None) -> None:
        if contact_email:
            path = f"/insightData/v3/contacts/email/{quote(contact_email)}/{quote(collection)}/{quote(key)}"
        else:
            path = f"/insightData/v3/account/{quote(collection)}/{quote(key)}"
        await self._send("insight.delete", "DELETE", path, ok_404=True)

    async def list_insight_records(self, collection: str, *, scope: Literal["account", "contact"] = "account"
                                   ) -> AsyncIterator[tuple[str, dict[str, Any]]]:
        base = "account" if scope == "account" else "contacts"
        path = f"/insightData/v3/{base}/{quote(collection)}"
        while True:
            response = await self._send("insight.get", "GET", path, ok_404=True)
            if response is None:
                return
            page = self._parse(response, wire.InsightPage, f"GET {path}")
            for r in page.items:
                yield r.key, r.json_
            if not page.items or page.links.next is None:
                return
            path = self._next(page.links.next.link)
