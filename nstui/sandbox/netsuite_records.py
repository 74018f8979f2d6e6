"""The record API of the NetSuite sandbox: customer and contact records, as
REST web services show them and with the rules NetSuite applies to writes.

- Field names are REST's (``firstName``, ``globalSubscriptionStatus``...),
  matched without regard to case; references are ``{"id": "13"}`` objects.
  An unknown or read-only field is refused with a message that names it.
- Every write sets ``lastmodifieddate`` to the sandbox's clock.
- ``globalSubscriptionStatus``: only 1 (Soft Opt-In) and 2 (Soft Opt-Out) can
  be written, and a Confirmed Opt-Out is the recipient's and stays; a Soft
  Opt-Out is applied to every customer and contact with the same email.
- ``subscriptions`` sublist: lines are matched by subscription and merged;
  the entity's Confirmed Opt-Out refuses a subscribe.
- ``addressBook`` (customers only), a keyed sublist: a line with the ``id``
  of an existing line updates it (its address replaced whole, so an address
  field left out is emptied); a line without one is appended, as NetSuite
  documents ("Updating a Sublist",
  https://docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/section_1545295601.html);
  with ``?replace=addressBook`` the lines not named are removed. The country
  is a reference, ``{"id": "GB"}``.
- ``externalId``: unique per record type; ``PUT .../eid:{externalId}`` upserts.
- ``subsidiary`` (``{"id": "1"}``): required on a OneWorld account.
- An email used by another record of the same type is refused (duplicate
  detection), as is a malformed one.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Set as AbstractSet
from typing import Any, Callable

from nstui.sandbox.netsuite_data import SEARCH_STAGES, q
from nstui.sandbox.netsuite_log import WriteLog

ENTITY_TYPES = ("customer", "contact")
GLOBAL_STATUS = {1: "Soft Opt-In", 2: "Soft Opt-Out", 3: "Confirmed Opt-In", 4: "Confirmed Opt-Out"}
ADDRESS_COLUMNS = ("addressee", "addr1", "addr2", "addr3", "city", "state", "zip", "country")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

# lower-case REST name -> (REST name, column, kind)
_COMMON = {
    "entityid": ("entityId", "entityid", "text"),
    "firstname": ("firstName", "firstname", "text"),
    "lastname": ("lastName", "lastname", "text"),
    "email": ("email", "email", "email"),
    "phone": ("phone", "phone", "text"),
    "mobilephone": ("mobilePhone", "mobilephone", "text"),
    "globalsubscriptionstatus": ("globalSubscriptionStatus", "globalsubscriptionstatus", "global_status"),
    "isinactive": ("isInactive", "isinactive", "bool"),
    "custentity_marketing_optin": ("custentity_marketing_optin", "custentity_marketing_optin", "bool"),
    "externalid": ("externalId", "externalid", "external_id"),
    "subsidiary": ("subsidiary", "subsidiary", "subsidiary_ref"),
}
_EXTERNAL_ID = re.compile(r"^[A-Za-z0-9_-]+$")
FIELDS: dict[str, dict[str, tuple[str, str, str]]] = {
    "customer": {
        **_COMMON,
        "isperson": ("isPerson", "isperson", "bool"),
        "companyname": ("companyName", "companyname", "text"),
        "entitystatus": ("entityStatus", "entitystatus", "customer_status"),
    },
    "contact": {
        **_COMMON,
        "company": ("company", "company", "customer_ref"),
    },
}
READ_ONLY = {"id", "links", "refname", "lastmodifieddate", "datecreated", "searchstage", "defaultaddress", "stage"}
IGNORED_IN_LINES = {"links", "refname", "lastmodifieddate", "id", "label"}


class RecordError(Exception):
    def __init__(self, status: int, code: str, detail: str, path: str | None = None):
        super().__init__(detail)
        self.status, self.code, self.detail, self.path = status, code, detail, path


def _bad(detail: str, path: str | None = None, code: str = "INVALID_FLD_VALUE") -> RecordError:
    return RecordError(400, code, detail, path)


def iso(stored: str | None) -> str | None:
    return stored.replace(" ", "T") + "Z" if stored else None


def _ref_id(value: Any, field: str) -> int:
    if isinstance(value, dict) and "id" in value:
        value = value["id"]
        try:
            return int(str(value))
        except ValueError:
            pass
    raise _bad(f"Invalid value for {field}: a reference is an object with an internal id, "
               f'such as {{"id": "13"}}', field)


class Records:
    def __init__(self, conn: sqlite3.Connection, now: Callable[[], str], *, oneworld: bool = False):
        self.conn = conn
        self.now = now
        self.oneworld = oneworld
        #: An account whose contact record does not take subscriptions lines
        #: through REST (the contact record's REST page documents no
        #: subscriptions sublist): the lines are dropped without an error.
        self.ignore_contact_subscriptions = False
        #: Every consent-relevant write, for the tests (``netsuite_log.py``).
        self.log = WriteLog(conn)

    # -- reading ---------------------------------------------------------------

    def _row(self, rtype: str, rid: int) -> dict[str, Any]:
        if rtype not in ENTITY_TYPES:
            raise RecordError(404, "NONEXISTENT_ID",
                              f"Record type '{rtype}' is not served by this sandbox (customer, contact).")
        cur = self.conn.execute(f"SELECT * FROM {q(rtype)} WHERE id = ?", (rid,))
        values = cur.fetchone()
        if values is None:
            raise RecordError(404, "NONEXISTENT_ID",
                              "The record instance does not exist. Provide a valid record instance ID.")
        return dict(zip([d[0] for d in cur.description], values))

    def _one(self, sql: str, params: tuple[Any, ...]) -> Any:
        found = self.conn.execute(sql, params).fetchone()
        return found[0] if found else None

    def _one_id(self, sql: str, params: tuple[Any, ...]) -> int | None:
        found = self._one(sql, params)
        return None if found is None else int(found)

    def get(self, rtype: str, rid: int, *, base: str, expand: bool) -> dict[str, Any]:
        row = self._row(rtype, rid)
        url = f"{base}/services/rest/record/v1/{rtype}/{rid}"
        body: dict[str, Any] = {"links": [{"rel": "self", "href": url}], "id": str(rid)}
        for rest, column, kind in FIELDS[rtype].values():
            value = row.get(column)
            if value is None:
                continue
            if kind == "bool":
                body[rest] = value == "T"
            elif kind == "global_status":
                body[rest] = {"id": str(value), "refName": GLOBAL_STATUS.get(value, str(value))}
            elif kind == "customer_status":
                name = self._one("SELECT name FROM customerstatus WHERE id = ?", (value,))
                body[rest] = self._ref(base, "customerstatus", value, name)
            elif kind == "customer_ref":
                name = self._one("SELECT COALESCE(companyname, entityid) FROM customer WHERE id = ?", (value,))
                body[rest] = self._ref(base, "customer", value, name)
            elif kind == "subsidiary_ref":
                body[rest] = self._ref(base, "subsidiary", value,
                                       self._one("SELECT name FROM subsidiary WHERE id = ?", (value,)))
            else:
                body[rest] = value
        if rtype == "customer" and row.get("searchstage"):
            body["searchStage"] = str(row["searchstage"])
        body["dateCreated"] = iso(row.get("datecreated"))
        body["lastModifiedDate"] = iso(row.get("lastmodifieddate"))
        address = self._address(row.get("defaultbillingaddress"))
        if address:
            lines = [address.get("addressee"), address.get("addr1"), address.get("addr2"), address.get("addr3"),
                     " ".join(str(v) for v in (address.get("city"), address.get("state"), address.get("zip")) if v),
                     address.get("country")]
            body["defaultAddress"] = "\n".join(str(x) for x in lines if x)
        for name in ("addressBook", "subscriptions"):
            sub_url = f"{url}/{name}"
            body[name] = self.sublist(rtype, rid, name, base=base) if expand else {
                "links": [{"rel": "self", "href": sub_url}]}
        return {k: v for k, v in body.items() if v is not None}

    def sublist(self, rtype: str, rid: int, name: str, *, base: str) -> dict[str, Any]:
        self._row(rtype, rid)  # 404 for a missing record
        url = f"{base}/services/rest/record/v1/{rtype}/{rid}/{name}"
        items: list[dict[str, Any]] = []
        if name.lower() == "subscriptions":
            for sid, sname, subscribed, modified in self.conn.execute(
                "SELECT cs.id, cs.name, s.subscribed, s.lastmodifieddate FROM entitysubscription s "
                "JOIN campaignsubscription cs ON cs.id = s.subscription WHERE s.entity = ? ORDER BY cs.id", (rid,)
            ):
                items.append({"links": [], "subscription": self._ref(base, "campaignSubscription", sid, sname),
                              "subscribed": subscribed == "T", "lastModifiedDate": iso(modified), "refName": sname})
        elif name.lower() == "addressbook":
            for line_id, nkey, billing, shipping in self.conn.execute(
                "SELECT id, addressbookaddress, defaultbilling, defaultshipping FROM entityaddressbook "
                "WHERE entity = ? ORDER BY id", (rid,)
            ).fetchall():
                address = self._address(nkey) or {}
                fields: dict[str, Any] = {k: v for k, v in address.items() if k != "nkey" and v is not None}
                if "country" in fields:
                    fields["country"] = {"id": fields["country"]}
                items.append({"links": [], "id": line_id, "defaultBilling": billing == "T",
                              "defaultShipping": shipping == "T",
                              "label": address.get("addr1") or address.get("addressee") or "",
                              "addressBookAddress": fields})
        else:
            raise RecordError(404, "NONEXISTENT_ID", f"The {rtype} record has no sublist '{name}'.")
        return {"links": [{"rel": "self", "href": url}], "items": items, "totalResults": len(items),
                "count": len(items), "hasMore": False, "offset": 0}

    def _ref(self, base: str, rtype: str, rid: Any, name: Any) -> dict[str, Any]:
        ref = {"links": [{"rel": "self", "href": f"{base}/services/rest/record/v1/{rtype.lower()}/{rid}"}],
               "id": str(rid)}
        if name is not None:
            ref["refName"] = name
        return ref

    def _address(self, nkey: Any) -> dict[str, Any] | None:
        if nkey is None:
            return None
        cur = self.conn.execute("SELECT * FROM entityaddress WHERE nkey = ?", (nkey,))
        values = cur.fetchone()
        return dict(zip([d[0] for d in cur.description], values)) if values else None

    # -- parsing a body ----------------------------------------------------------------

    def _parse(self, rtype: str, body: Any) -> tuple[dict[str, Any], list[dict[str, Any]] | None,
                                                     list[dict[str, Any]] | None]:
        """(column changes, subscription lines, address book lines) of a body."""
        if not isinstance(body, dict):
            raise _bad("The request body must be a JSON object of record fields.", code="INVALID_CONTENT")
        fields = FIELDS[rtype]
        changes: dict[str, Any] = {}
        lines = address = None
        for key, value in body.items():
            low = key.lower()
            if low in fields:
                rest, column, kind = fields[low]
                changes[column] = self._value(rest, kind, value)
            elif low == "subscriptions":
                lines = self._lines(value)
            elif low == "addressbook":
                if rtype != "customer":
                    raise _bad("The address book of a contact cannot be changed through REST web services.",
                               "addressBook", code="USER_ERROR")
                address = self._address_body(value)
            elif low in READ_ONLY:
                raise _bad(f"The field {key} is read-only.", key, code="USER_ERROR")
            elif low in ADDRESS_COLUMNS:
                raise _bad(f"{key} is not a field of the {rtype} record: the default billing address is written "
                           'through the addressBook sublist: {"addressBook": {"items": [{"defaultBilling": true, '
                           '"addressBookAddress": {"addr1": ..., "city": ..., "country": {"id": "US"}}}]}}', key,
                           code="USER_ERROR")
            else:
                allowed = ", ".join(sorted({r for r, _, _ in fields.values()} | {"subscriptions"}
                                           | ({"addressBook"} if rtype == "customer" else set())))
                raise _bad(f"Invalid field {key!r} for the {rtype} record. Fields that can be written: {allowed}.",
                           key, code="USER_ERROR")
        return changes, lines, address

    def _value(self, rest: str, kind: str, value: Any) -> Any:
        if kind == "bool":
            if not isinstance(value, bool):
                raise _bad(f"Invalid value for {rest}: true or false.", rest)
            return "T" if value else "F"
        if kind == "global_status":
            status = _ref_id(value, rest)
            if status not in GLOBAL_STATUS:
                raise _bad(f"Invalid value for {rest}: {status}; the statuses are 1 to 4.", rest)
            return status
        if kind == "customer_status":
            status = _ref_id(value, rest)
            if self._one("SELECT id FROM customerstatus WHERE id = ? AND isinactive = 'F'", (status,)) is None:
                raise _bad(f"Invalid reference key {status} for entityStatus.", rest, code="INVALID_KEY_OR_REF")
            return status
        if kind == "subsidiary_ref":
            sub = _ref_id(value, rest)
            if self._one("SELECT id FROM subsidiary WHERE id = ? AND isinactive = 'F'", (sub,)) is None:
                raise _bad(f"Invalid reference key {sub} for subsidiary.", rest, code="INVALID_KEY_OR_REF")
            return sub
        if kind == "external_id":
            if not isinstance(value, str) or not _EXTERNAL_ID.match(value):
                raise _bad("Invalid value for externalId: letters, numbers, underscore (_) and hyphen (-).", rest)
            return value
        if kind == "customer_ref":
            if value is None:
                return None
            company = _ref_id(value, rest)
            if self._one("SELECT id FROM customer WHERE id = ?", (company,)) is None:
                raise _bad(f"Invalid reference key {company} for company.", rest, code="INVALID_KEY_OR_REF")
            return company
        if value is not None and not isinstance(value, str):
            raise _bad(f"Invalid value for {rest}: text.", rest)
        if kind == "email":
            value = (value or "").strip() or None
            if value is not None and not _EMAIL.match(value):
                raise _bad(f"Invalid email address: {value}.", rest)
        return value if value != "" else None

    def _lines(self, value: Any) -> list[dict[str, Any]]:
        items = value.get("items") if isinstance(value, dict) else None
        if not isinstance(items, list):
            raise _bad('subscriptions: a sublist is {"items": [...]}.', "subscriptions", code="INVALID_CONTENT")
        lines = []
        for item in items:
            if not isinstance(item, dict):
                raise _bad("subscriptions: each line is an object.", "subscriptions", code="INVALID_CONTENT")
            line: dict[str, Any] = {}
            for key, v in item.items():
                low = key.lower()
                if low == "subscription":
                    sid = _ref_id(v, "subscriptions.subscription")
                    if self._one("SELECT id FROM campaignsubscription WHERE id = ?", (sid,)) is None:
                        raise _bad(f"Invalid reference key {sid} for subscription.", "subscriptions.subscription",
                                   code="INVALID_KEY_OR_REF")
                    line["subscription"] = sid
                elif low == "subscribed":
                    if not isinstance(v, bool):
                        raise _bad("Invalid value for subscribed: true or false.", "subscriptions.subscribed")
                    line["subscribed"] = "T" if v else "F"
                elif low not in IGNORED_IN_LINES:
                    raise _bad(f"Invalid field {key!r} in the subscriptions sublist (subscription, subscribed).",
                               "subscriptions", code="USER_ERROR")
            if "subscription" not in line or "subscribed" not in line:
                raise _bad("subscriptions: each line needs subscription and subscribed.", "subscriptions",
                           code="USER_ERROR")
            lines.append(line)
        return lines

    def _address_body(self, value: Any) -> list[dict[str, Any]]:
        """The lines of an addressBook value: ``id`` (an existing line, or
        None: a new one), ``defaultBilling``, ``defaultShipping`` and
        ``address`` (the addressBookAddress columns, or None: unchanged)."""
        items = value.get("items") if isinstance(value, dict) else None
        if not isinstance(items, list):
            raise _bad('addressBook: a sublist is {"items": [...]}.', "addressBook", code="INVALID_CONTENT")
        lines = []
        for item in items:
            if not isinstance(item, dict):
                raise _bad("addressBook: each line is an object.", "addressBook", code="INVALID_CONTENT")
            line: dict[str, Any] = {"id": None, "address": None}
            for key, v in item.items():
                low = key.lower()
                if low == "id":
                    try:
                        line["id"] = int(str(v))
                    except ValueError:
                        raise _bad(f"Invalid value for addressBook.id: {v!r}.", "addressBook") from None
                elif low in ("defaultbilling", "defaultshipping"):
                    if not isinstance(v, bool):
                        raise _bad(f"Invalid value for addressBook.{key}: true or false.", "addressBook")
                    line[low] = v
                elif low == "addressbookaddress":
                    line["address"] = self._address_fields(v)
                elif low not in IGNORED_IN_LINES:
                    raise _bad(f"Invalid field {key!r} in the addressBook sublist.", "addressBook", code="USER_ERROR")
            if line["id"] is None and line["address"] is None:
                raise _bad("addressBook: a new line needs an addressBookAddress object.", "addressBook",
                           code="USER_ERROR")
            lines.append(line)
        return lines

    def _address_fields(self, fields: Any) -> dict[str, Any]:
        if not isinstance(fields, dict):
            raise _bad("addressBook: addressBookAddress is an object.", "addressBook", code="USER_ERROR")
        address: dict[str, Any] = {c: None for c in ADDRESS_COLUMNS}
        for key, v in fields.items():
            low = key.lower()
            if low in IGNORED_IN_LINES:
                continue
            if low not in ADDRESS_COLUMNS:
                raise _bad(f"Invalid field {key!r} in addressBookAddress ({', '.join(ADDRESS_COLUMNS)}).",
                           "addressBook", code="USER_ERROR")
            if low == "country" and v is not None:
                # a select field: a reference, {"id": "GB"}
                if not isinstance(v, dict) or not isinstance(v.get("id"), str):
                    raise _bad('Invalid value for addressBookAddress.country: a reference such as {"id": "GB"}.',
                               "addressBook.country")
                v = v["id"]
            if v is not None and not isinstance(v, str):
                raise _bad(f"Invalid value for addressBookAddress.{key}: text.", "addressBook")
            address[low] = v or None
        return address

    # -- rules ------------------------------------------------------------------------

    def _check_email(self, rtype: str, rid: int | None, email: str | None) -> None:
        if not email:
            return
        other = self._one(f"SELECT id FROM {q(rtype)} WHERE LOWER(email) = LOWER(?) AND id IS NOT ?", (email, rid))
        if other is not None:
            raise RecordError(400, "DUP_ENTITY",
                              f"This entity already exists: {rtype} {other} has the email address {email}.", "email")

    def _check_status(self, current: int | None, new: int) -> None:
        if new == current:
            return
        if new in (3, 4):
            raise _bad(f"You cannot set the global subscription status to {GLOBAL_STATUS[new]}: only the recipient "
                       "can confirm an opt-in or an opt-out (through the subscription preferences page).",
                       "globalSubscriptionStatus")
        if current == 4:
            raise _bad("The global subscription status is Confirmed Opt-Out, set by the recipient; it cannot be "
                       "changed through web services.", "globalSubscriptionStatus")

    def _soft_opt_out_everywhere(self, email: str | None, now: str) -> set[int]:
        """NetSuite applies an unsubscribe to every entity record with the
        email; returns the records it changed."""
        changed: set[int] = set()
        if not email:
            return changed
        for table in ENTITY_TYPES:
            ids = [r[0] for r in self.conn.execute(
                f"SELECT id FROM {q(table)} WHERE LOWER(email) = LOWER(?) AND globalsubscriptionstatus IN (1, 3)",
                (email,))]
            self.conn.execute(
                f"UPDATE {q(table)} SET globalsubscriptionstatus = 2, lastmodifieddate = ? "
                "WHERE LOWER(email) = LOWER(?) AND globalsubscriptionstatus IN (1, 3)", (now, email))
            for rid in ids:
                self.log.add(rid, "status", 2, now)
            changed.update(ids)
        return changed

    def _apply_lines(self, rid: int, lines: list[dict[str, Any]], status: int | None, now: str) -> None:
        for line in lines:
            current = self._one("SELECT subscribed FROM entitysubscription WHERE entity = ? AND subscription = ?",
                                (rid, line["subscription"]))
            if line["subscribed"] == "T" and status == 4 and current != "T":
                raise _bad("The recipient has a Confirmed Opt-Out: campaign subscriptions cannot be subscribed "
                           "through web services.", "subscriptions")
            if current == line["subscribed"]:
                continue
            self.conn.execute(
                "INSERT INTO entitysubscription (entity, subscription, subscribed, lastmodifieddate) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (entity, subscription) DO UPDATE SET subscribed = excluded.subscribed, "
                "lastmodifieddate = excluded.lastmodifieddate",
                (rid, line["subscription"], line["subscribed"], now))
            self.log_subscription(rid, line["subscription"], line["subscribed"] == "T", now)

    def log_subscription(self, rid: int, subscription_id: int, subscribed: bool, now: str) -> None:
        name = self._one("SELECT name FROM campaignsubscription WHERE id = ?", (subscription_id,))
        self.log.add(rid, "subscribe" if subscribed else "unsubscribe", name or subscription_id, now)

    def _new_address(self, address: dict[str, Any]) -> int:
        cur = self.conn.execute(
            f"INSERT INTO entityaddress ({', '.join(ADDRESS_COLUMNS)}) VALUES ({', '.join('?' for _ in ADDRESS_COLUMNS)})",
            [address[c] for c in ADDRESS_COLUMNS])
        return int(cur.lastrowid or 0)

    def add_address_line(self, entity: int, nkey: int, *, billing: bool, shipping: bool | None = None) -> int:
        if billing:
            self.conn.execute("UPDATE entityaddressbook SET defaultbilling = 'F' WHERE entity = ?", (entity,))
        if shipping if shipping is not None else billing:
            self.conn.execute("UPDATE entityaddressbook SET defaultshipping = 'F' WHERE entity = ?", (entity,))
        top = self._one("SELECT MAX(id) FROM entityaddressbook", ()) or 0
        self.conn.execute("INSERT INTO entityaddressbook (id, entity, addressbookaddress, defaultbilling, "
                          "defaultshipping) VALUES (?, ?, ?, ?, ?)",
                          (top + 1, entity, nkey, "T" if billing else "F",
                           "T" if (shipping if shipping is not None else billing) else "F"))
        return top + 1

    def _apply_address_lines(self, rtype: str, rid: int, lines: list[dict[str, Any]], replace: bool) -> int | None:
        """Merge (or, with replace, replace) the address book; returns the
        default billing address's nkey after the write."""
        existing = {line_id: nkey for line_id, nkey in self.conn.execute(
            "SELECT id, addressbookaddress FROM entityaddressbook WHERE entity = ?", (rid,)).fetchall()}
        kept: set[int] = set()
        for line in lines:
            if line["id"] is not None and line["id"] in existing:
                line_id, nkey = line["id"], existing[line["id"]]
                if line["address"] is not None:
                    cols = ", ".join(f"{c} = ?" for c in ADDRESS_COLUMNS)
                    self.conn.execute(f"UPDATE entityaddress SET {cols} WHERE nkey = ?",
                                      (*[line["address"][c] for c in ADDRESS_COLUMNS], nkey))
                for flag in ("defaultbilling", "defaultshipping"):
                    if flag in line:
                        if line[flag]:
                            self.conn.execute(f"UPDATE entityaddressbook SET {flag} = 'F' WHERE entity = ?", (rid,))
                        self.conn.execute(f"UPDATE entityaddressbook SET {flag} = ? WHERE id = ?",
                                          ("T" if line[flag] else "F", line_id))
            elif line["id"] is not None:
                raise _bad(f"addressBook: the {rtype} has no address book line {line['id']}.", "addressBook",
                           code="INVALID_KEY_OR_REF")
            else:
                nkey = self._new_address(line["address"])
                line_id = self.add_address_line(rid, nkey, billing=bool(line.get("defaultbilling")),
                                                 shipping=bool(line.get("defaultshipping")))
            kept.add(line_id)
        if replace:
            for line_id, nkey in existing.items():
                if line_id not in kept:
                    self.conn.execute("DELETE FROM entityaddressbook WHERE id = ?", (line_id,))
                    self.conn.execute("DELETE FROM entityaddress WHERE nkey = ?", (nkey,))
        return self._one_id("SELECT addressbookaddress FROM entityaddressbook WHERE entity = ? AND defaultbilling = 'T' "
                         "ORDER BY id LIMIT 1", (rid,))

    def next_entity_id(self) -> int:
        found = self._one("SELECT MAX(m) FROM (SELECT MAX(id) AS m FROM customer UNION ALL SELECT MAX(id) FROM contact)", ())
        return int(found or 1000) + 1

    def default_status(self, stage: str) -> int | None:
        return self._one_id("SELECT id FROM customerstatus WHERE stage = ? AND isdefault = 'T' ORDER BY id", (stage,))

    # -- writing ------------------------------------------------------------------------

    def by_external_id(self, rtype: str, external_id: str) -> int | None:
        if rtype not in ENTITY_TYPES:
            return None
        return self._one_id(f"SELECT id FROM {q(rtype)} WHERE externalid = ?", (external_id,))

    def upsert(self, rtype: str, external_id: str, body: Any, *, replace: AbstractSet[str] = frozenset()) -> int:
        if not _EXTERNAL_ID.match(external_id):
            raise _bad("Invalid external ID: letters, numbers, underscore (_) and hyphen (-).", "externalId")
        if not isinstance(body, dict):
            raise _bad("The request body must be a JSON object of record fields.", code="INVALID_CONTENT")
        if any(k.lower() == "externalid" for k in body):
            raise _bad("The external ID is given in the URL of an upsert, not in the body.", "externalId")
        rid = self.by_external_id(rtype, external_id)
        if rid is None:
            return self.create(rtype, {**body, "externalId": external_id}, replace=replace)
        self.patch(rtype, rid, replace=replace)(body)
        return rid

    def patch(self, rtype: str, rid: int, *, replace: AbstractSet[str] = frozenset()) -> Callable[[Any], None]:
        """A function that applies a PATCH body to the record (found first, so a
        missing record is a 404 before the body is looked at)."""
        row = self._row(rtype, rid)

        def apply(body: Any) -> None:
            changes, lines, address = self._parse(rtype, body)
            now = self.now()
            status = changes.get("globalsubscriptionstatus", row["globalsubscriptionstatus"])
            if "globalsubscriptionstatus" in changes:
                self._check_status(row["globalsubscriptionstatus"], status)
            if "email" in changes and (changes["email"] or "").lower() != (row["email"] or "").lower():
                self._check_email(rtype, rid, changes["email"])
            if "entitystatus" in changes:
                stage = self._one("SELECT stage FROM customerstatus WHERE id = ?", (changes["entitystatus"],))
                changes["searchstage"] = SEARCH_STAGES.get(stage, stage)
            if "externalid" in changes and changes["externalid"] != row.get("externalid"):
                self._check_external_id(rtype, changes["externalid"])
            with self.conn:
                if address is not None:
                    changes["defaultbillingaddress"] = self._apply_address_lines(
                        rtype, rid, address, "addressbook" in replace)
                logged: set[int] = set()
                if status == 2 and row["globalsubscriptionstatus"] != 2:
                    logged = self._soft_opt_out_everywhere(changes.get("email", row["email"]), now)
                changes["lastmodifieddate"] = now
                sets = ", ".join(f"{q(c)} = ?" for c in changes)
                self.conn.execute(f"UPDATE {q(rtype)} SET {sets} WHERE id = ?", (*changes.values(), rid))
                if status != row["globalsubscriptionstatus"] and rid not in logged:
                    self.log.add(rid, "status", status, now)
                if "custentity_marketing_optin" in changes and \
                        changes["custentity_marketing_optin"] != row.get("custentity_marketing_optin"):
                    self.log.add(rid, "optin_field", changes["custentity_marketing_optin"], now)
                if lines and not (rtype == "contact" and self.ignore_contact_subscriptions):
                    self._apply_lines(rid, lines, status, now)

        return apply

    def _check_external_id(self, rtype: str, external_id: str | None) -> None:
        if external_id and self.by_external_id(rtype, external_id) is not None:
            raise RecordError(400, "DUP_RCRD", f"A {rtype} record with the external ID {external_id} already exists.",
                              "externalId")

    def create(self, rtype: str, body: Any, *, replace: AbstractSet[str] = frozenset()) -> int:
        if rtype not in ENTITY_TYPES:
            raise RecordError(404, "NONEXISTENT_ID",
                              f"Record type '{rtype}' is not served by this sandbox (customer, contact).")
        changes, lines, address = self._parse(rtype, body)
        now = self.now()
        row: dict[str, Any] = {"globalsubscriptionstatus": 1, "isinactive": "F", **changes}
        self._check_status(None, row["globalsubscriptionstatus"])
        self._check_email(rtype, None, row.get("email"))
        self._check_external_id(rtype, row.get("externalid"))
        if self.oneworld and row.get("subsidiary") is None:
            raise _bad("Please enter value(s) for: Primary Subsidiary.", "subsidiary", code="USER_ERROR")
        if row.get("subsidiary") is None:
            row["subsidiary"] = 1
        names = " ".join(x for x in (row.get("firstname"), row.get("lastname")) if x)
        if rtype == "customer":
            row.setdefault("isperson", "F" if row.get("companyname") and not names else "T")
            if row["isperson"] == "T" and not names:
                raise _bad("Please enter value(s) for: First Name, Last Name.", "lastName", code="USER_ERROR")
            if row["isperson"] == "F" and not row.get("companyname"):
                raise _bad("Please enter value(s) for: Company Name.", "companyName", code="USER_ERROR")
            if "entitystatus" not in row:
                row["entitystatus"] = self.default_status("CUSTOMER")
            stage = self._one("SELECT stage FROM customerstatus WHERE id = ?", (row["entitystatus"],)) or "CUSTOMER"
            row["searchstage"] = SEARCH_STAGES.get(stage, stage)
        elif not names:
            raise _bad("Please enter value(s) for: First Name, Last Name.", "lastName", code="USER_ERROR")
        with self.conn:
            rid = self.next_entity_id()
            if not row.get("entityid"):
                name = names if rtype == "contact" or row.get("isperson") == "T" else row.get("companyname")
                taken = self._one(f"SELECT id FROM {q(rtype)} WHERE entityid = ?", (name,))
                row["entityid"] = f"{name} {rid}" if taken else name
            if row["globalsubscriptionstatus"] == 2:
                self._soft_opt_out_everywhere(row.get("email"), now)
            row.update(id=rid, datecreated=now, lastmodifieddate=now)
            self.conn.execute(f"INSERT INTO {q(rtype)} ({', '.join(q(c) for c in row)}) "
                              f"VALUES ({', '.join('?' for _ in row)})", tuple(row.values()))
            self.log.add(rid, "create", row["globalsubscriptionstatus"], now)
            self.default_subscriptions(rid, row["globalsubscriptionstatus"], now)
            if address is not None:
                nkey = self._apply_address_lines(rtype, rid, address, False)
                self.conn.execute(f"UPDATE {q(rtype)} SET defaultbillingaddress = ? WHERE id = ?", (nkey, rid))
            if lines and not (rtype == "contact" and self.ignore_contact_subscriptions):
                self._apply_lines(rid, lines, row["globalsubscriptionstatus"], now)
        return rid

    def default_subscriptions(self, rid: int, status: int, now: str) -> None:
        had = {r[0] for r in self.conn.execute("SELECT subscription FROM entitysubscription WHERE entity = ?", (rid,))}
        self.conn.execute(
            "INSERT OR IGNORE INTO entitysubscription (entity, subscription, subscribed, lastmodifieddate) "
            "SELECT ?, id, CASE WHEN ? IN (2, 4) THEN 'F' ELSE subscribedbydefault END, ? FROM campaignsubscription",
            (rid, status, now))
        for (sid,) in self.conn.execute(
                "SELECT subscription FROM entitysubscription WHERE entity = ? AND subscribed = 'T' ORDER BY subscription",
                (rid,)).fetchall():
            if sid not in had:  # ticked by default on a new record
                self.log_subscription(rid, sid, True, now)

    def delete(self, rtype: str, rid: int) -> None:
        row = self._row(rtype, rid)
        if rtype == "customer" and self._one('SELECT id FROM "transaction" WHERE entity = ? LIMIT 1', (rid,)):
            raise RecordError(400, "USER_ERROR",
                              "This record cannot be deleted because it has dependent records (transactions).")
        with self.conn:
            self.log.add(rid, "delete", "", self.now())
            self.conn.execute(f"DELETE FROM {q(rtype)} WHERE id = ?", (rid,))
            self.conn.execute("DELETE FROM entitysubscription WHERE entity = ?", (rid,))
            self.conn.execute("DELETE FROM entityaddress WHERE nkey IN "
                              "(SELECT addressbookaddress FROM entityaddressbook WHERE entity = ?)", (rid,))
            self.conn.execute("DELETE FROM entityaddressbook WHERE entity = ?", (rid,))
            if row.get("defaultbillingaddress") is not None:
                self.conn.execute("DELETE FROM entityaddress WHERE nkey = ?", (row["defaultbillingaddress"],))
            if rtype == "customer":
                self.conn.execute("UPDATE contact SET company = NULL WHERE company = ?", (rid,))
