"""The NetSuite sandbox's tables: their shape, and the data that fills them.

Tables and columns are named like NetSuite's SuiteQL (analytics) tables. Times
are stored as UTC text ``YYYY-MM-DD HH:MM:SS`` (dates at midnight), booleans
as 'T'/'F', references as the referenced record's id, as SuiteQL shows them.

Data comes either from a seeded generator (``generate``: realistic and messy
on purpose: mixed-case, invalid and missing emails, the same email on a lead
and a customer, local and international phones, every global subscription
status) or from a fixture (``load_fixture``: a JSON object of table name ->
list of rows keyed by column name).
"""

from __future__ import annotations

import json
import random
import sqlite3
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterable, Sequence

# column types: int, real, text, bool ('T'/'F'), datetime (UTC text)
SCHEMA: dict[str, list[tuple[str, str]]] = {
    "customerstatus": [
        ("id", "int"), ("name", "text"), ("stage", "text"), ("isdefault", "bool"),
        ("probability", "real"), ("isinactive", "bool"),
    ],
    "customer": [
        ("id", "int"), ("entityid", "text"), ("isperson", "bool"), ("firstname", "text"),
        ("lastname", "text"), ("companyname", "text"), ("email", "text"), ("phone", "text"),
        # searchstage, not stage: the field SuiteQL documents for a customer's
        # stage (Lead, Prospect, Customer), set from its entitystatus.
        ("mobilephone", "text"), ("entitystatus", "int"), ("searchstage", "text"),
        ("globalsubscriptionstatus", "int"), ("defaultbillingaddress", "int"), ("isinactive", "bool"),
        ("externalid", "text"), ("subsidiary", "int"),
        # A custom checkbox some accounts keep marketing consent in (seed 003:
        # "the NetSuite marketing subscriptions or a field"): checked = opted in.
        ("custentity_marketing_optin", "bool"),
        ("datecreated", "datetime"), ("lastmodifieddate", "datetime"),
    ],
    "contact": [
        ("id", "int"), ("entityid", "text"), ("firstname", "text"), ("lastname", "text"),
        ("email", "text"), ("phone", "text"), ("mobilephone", "text"), ("company", "int"),
        ("globalsubscriptionstatus", "int"), ("defaultbillingaddress", "int"), ("isinactive", "bool"),
        ("externalid", "text"), ("subsidiary", "int"),
        # A custom checkbox some accounts keep marketing consent in (seed 003:
        # "the NetSuite marketing subscriptions or a field"): checked = opted in.
        ("custentity_marketing_optin", "bool"),
        ("datecreated", "datetime"), ("lastmodifieddate", "datetime"),
    ],
    # The addressBook sublist's lines (internal: the record API shows them; a
    # SuiteQL query cannot read this table).
    "entityaddressbook": [
        ("id", "int"), ("entity", "int"), ("addressbookaddress", "int"), ("defaultbilling", "bool"),
        ("defaultshipping", "bool"),
    ],
    "subsidiary": [("id", "int"), ("name", "text"), ("isinactive", "bool")],
    "entityaddress": [
        ("nkey", "int"), ("addressee", "text"), ("addr1", "text"), ("addr2", "text"), ("addr3", "text"),
        ("city", "text"), ("state", "text"), ("zip", "text"), ("country", "text"),
    ],
    "campaignsubscription": [
        ("id", "int"), ("name", "text"), ("description", "text"), ("isinactive", "bool"),
        ("subscribedbydefault", "bool"), ("lastmodifieddate", "datetime"),
    ],
    # One row per (entity, subscription): the record API's subscriptions sublist.
    "entitysubscription": [
        ("entity", "int"), ("subscription", "int"), ("subscribed", "bool"), ("lastmodifieddate", "datetime"),
    ],
    "pricelevel": [("id", "int"), ("name", "text"), ("isinactive", "bool")],
    "currency": [("id", "int"), ("name", "text"), ("symbol", "text")],
    "location": [("id", "int"), ("name", "text"), ("isinactive", "bool")],
    "customlist_colors": [("id", "int"), ("name", "text")],
    "item": [
        ("id", "int"), ("itemid", "text"), ("displayname", "text"), ("description", "text"),
        ("itemtype", "text"), ("isinactive", "bool"), ("url", "text"), ("urlcomponent", "text"),
        ("storedisplayimage", "text"), ("storedisplaythumbnail", "text"), ("custitem_colors", "text"),
        ("createddate", "datetime"), ("lastmodifieddate", "datetime"),
    ],
    # quantity is the break: the price applies from that quantity up.
    "pricing": [
        ("id", "int"), ("item", "int"), ("pricelevel", "int"), ("quantity", "real"), ("unitprice", "real"),
        ("currency", "int"),
    ],
    "transaction": [
        ("id", "int"), ("tranid", "text"), ("type", "text"), ("entity", "int"), ("email", "text"),
        ("trandate", "datetime"), ("status", "text"), ("currency", "int"), ("foreigntotal", "real"),
        ("location", "int"), ("memo", "text"), ("custbody_alt_email", "text"),
        ("custbody_ship_to_contact", "int"), ("custbody_channel", "text"),
        ("createddate", "datetime"), ("lastmodifieddate", "datetime"),
    ],
    "transactionline": [
        ("uniquekey", "int"), ("transaction", "int"), ("id", "int"), ("linesequencenumber", "int"),
        ("item", "int"), ("quantity", "real"), ("rate", "real"), ("foreignamount", "real"),
        ("itemtype", "text"), ("mainline", "bool"), ("taxline", "bool"), ("location", "int"), ("memo", "text"),
    ],
    "dual": [("dummy", "text")],
}

#: Key column of each table a test or the record API addresses by id.
KEYS: dict[str, str] = {name: "id" for name in SCHEMA}
KEYS.update({"entityaddress": "nkey", "transactionline": "uniquekey"})
del KEYS["entitysubscription"], KEYS["dual"]
#: Tables the sandbox keeps for the record API that SuiteQL does not document:
#: a query naming one is refused (campaign subscription states are read per
#: record through the subscriptions sublist).
INTERNAL_TABLES = {"entitysubscription", "entityaddressbook"}

INDEXES = [
    "CREATE INDEX ix_customer_lmd ON customer(lastmodifieddate, id)",
    "CREATE INDEX ix_customer_email ON customer(email COLLATE NOCASE)",
    "CREATE INDEX ix_contact_lmd ON contact(lastmodifieddate, id)",
    "CREATE INDEX ix_contact_email ON contact(email COLLATE NOCASE)",
    "CREATE UNIQUE INDEX ix_entitysubscription ON entitysubscription(entity, subscription)",
    "CREATE INDEX ix_entityaddressbook ON entityaddressbook(entity)",
    "CREATE INDEX ix_item_lmd ON item(lastmodifieddate, id)",
    "CREATE INDEX ix_pricing_item ON pricing(item)",
    'CREATE INDEX ix_transaction_lmd ON "transaction"(lastmodifieddate, id)',
    'CREATE INDEX ix_transactionline_tx ON transactionline("transaction")',
]

VIEWS = [
    # SuiteQL's entity table spans every kind of entity; ids are shared.
    "CREATE VIEW entity AS "
    "SELECT id, entityid, 'CustJob' AS type, email, firstname, lastname, globalsubscriptionstatus, isinactive, "
    "datecreated, lastmodifieddate FROM customer "
    "UNION ALL "
    "SELECT id, entityid, 'Contact' AS type, email, firstname, lastname, globalsubscriptionstatus, isinactive, "
    "datecreated, lastmodifieddate FROM contact",
]

META_TABLE = "_sandbox_meta"
SCHEMA_VERSION = "2"
#: customerstatus.stage -> customer.searchstage as SuiteQL shows it.
SEARCH_STAGES = {"LEAD": "Lead", "PROSPECT": "Prospect", "CUSTOMER": "Customer"}

_SQL_TYPES = {"int": "INTEGER", "real": "REAL", "text": "TEXT", "bool": "TEXT", "datetime": "TEXT"}


def q(name: str) -> str:
    """A table or column name quoted for SQLite (``transaction`` is a keyword there)."""
    return '"' + name.replace('"', '""') + '"'


def db_time(value: datetime | date | str | None) -> str | None:
    """Any time value as the stored UTC text."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        text = value.strip().replace("Z", "+00:00")
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"{value!r} is not an ISO-8601 date or time") from None
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return f"{value:%Y-%m-%d} 00:00:00"


def column_types(table: str) -> dict[str, str]:
    return dict(SCHEMA[table])


def normalize(table: str, column: str, value: Any) -> Any:
    """A value as stored in ``table.column``; raises ValueError naming both."""
    kind = column_types(table).get(column)
    if kind is None:
        allowed = ", ".join(c for c, _ in SCHEMA[table])
        raise ValueError(f"{table} has no column {column!r}; columns: {allowed}")
    if value is None:
        return None
    try:
        if kind == "bool":
            if isinstance(value, bool):
                return "T" if value else "F"
            if value in ("T", "F"):
                return value
            raise ValueError("a boolean: true/false or 'T'/'F'")
        if kind == "datetime":
            return db_time(value)
        if kind == "int":
            if isinstance(value, bool):
                raise ValueError("an integer")
            return int(value)
        if kind == "real":
            return float(value)
        return str(value)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{table}.{column}: {value!r} is not {e}") from None


def create_schema(conn: sqlite3.Connection) -> None:
    for table, columns in SCHEMA.items():
        cols = ", ".join(f"{q(c)} {_SQL_TYPES[t]}" for c, t in columns)
        key = KEYS.get(table)
        if key:
            cols = cols.replace(f"{q(key)} INTEGER", f"{q(key)} INTEGER PRIMARY KEY", 1)
        conn.execute(f"CREATE TABLE {q(table)} ({cols})")
    for sql in INDEXES + VIEWS:
        conn.execute(sql)
    conn.execute(f"CREATE TABLE {META_TABLE} (key TEXT PRIMARY KEY, value TEXT)")


def insert_rows(conn: sqlite3.Connection, table: str, rows: Iterable[dict[str, Any]]) -> None:
    columns = [c for c, _ in SCHEMA[table]]
    sql = f"INSERT INTO {q(table)} ({', '.join(q(c) for c in columns)}) VALUES ({', '.join('?' for _ in columns)})"
    conn.executemany(sql, ([r.get(c) for c in columns] for r in rows))


# ---------------------------------------------------------------------------
# Reference data every account has
# ---------------------------------------------------------------------------

CUSTOMER_STATUSES = [
    (6, "LEAD-Unqualified", "LEAD", "T", 0.0), (7, "LEAD-Qualified", "LEAD", "F", 5.0),
    (8, "PROSPECT-In Discussion", "PROSPECT", "T", 10.0), (9, "PROSPECT-Identified Decision Makers", "PROSPECT", "F", 25.0),
    (10, "PROSPECT-Proposal", "PROSPECT", "F", 50.0), (11, "PROSPECT-In Negotiation", "PROSPECT", "F", 75.0),
    (13, "CUSTOMER-Closed Won", "CUSTOMER", "T", 100.0), (15, "CUSTOMER-Renewal", "CUSTOMER", "F", 100.0),
]
CAMPAIGN_SUBSCRIPTIONS = [
    (1, "Newsletter", "Monthly newsletter", "F", "T"),
    (2, "Product Updates", "New products and changes", "F", "T"),
    (3, "Promotions", "Sales, coupons and offers", "F", "F"),
    (4, "Events", "Invitations to events and webinars", "F", "F"),
    (5, "Catalog Mailings (retired)", "No longer sent", "T", "F"),
]
PRICE_LEVELS = [(1, "Base Price"), (2, "Alternate Price 1"), (3, "Corporate Discount Price"),
                (4, "Employee Price"), (5, "Online Price")]
CURRENCIES = [(1, "US Dollar", "USD"), (2, "British pound", "GBP"), (3, "Euro", "EUR")]
LOCATIONS = [(1, "Main Warehouse", "F"), (2, "Online Store", "F"), (3, "London Shop", "F"),
             (4, "San Francisco Store", "F"), (5, "Old Depot", "T")]
COLORS = [(1, "Red"), (2, "Navy"), (3, "Forest Green"), (4, "Charcoal"), (5, "Natural")]


def reference_rows(anchor: datetime) -> dict[str, list[dict[str, Any]]]:
    stamp = db_time(anchor - timedelta(days=900))
    return {
        "customerstatus": [dict(id=i, name=n, stage=s, isdefault=d, probability=p, isinactive="F")
                           for i, n, s, d, p in CUSTOMER_STATUSES],
        "campaignsubscription": [dict(id=i, name=n, description=d, isinactive=ia, subscribedbydefault=sd,
                                      lastmodifieddate=stamp) for i, n, d, ia, sd in CAMPAIGN_SUBSCRIPTIONS],
        "pricelevel": [dict(id=i, name=n, isinactive="F") for i, n in PRICE_LEVELS],
        "currency": [dict(id=i, name=n, symbol=s) for i, n, s in CURRENCIES],
        "location": [dict(id=i, name=n, isinactive=ia) for i, n, ia in LOCATIONS],
        "customlist_colors": [dict(id=i, name=n) for i, n in COLORS],
        "dual": [dict(dummy="X")],
        "subsidiary": [dict(id=1, name="Honeycomb Holdings Inc.", isinactive="F")],
    }


# ---------------------------------------------------------------------------
# The generator
# ---------------------------------------------------------------------------

FIRST = ["James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth",
         "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Charles", "Karen",
         "Oliver", "Amelia", "Harry", "Isla", "George", "Ava", "Noah", "Mia", "Jack", "Emily", "Siobhán",
         "José", "Zoë", "Chloé", "Mohammed", "Priya", "Wei", "Aiko", "Lars", "Ingrid", "Mateo", "Sofía",
         "Liam", "Grace", "Ethan", "Hannah", "Lucas", "Freya", "Arjun", "Niamh"]
LAST = ["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
        "Taylor", "Wilson", "Evans", "Thomas", "Roberts", "Walker", "Wright", "Thompson", "White", "Hughes",
        "O'Brien", "O'Connor", "D'Angelo", "Smith-Jones", "van der Berg", "Müller", "Nguyen", "Patel", "Kim",
        "Chen", "Okafor", "Kowalski", "Johansson", "Rossi", "Dubois", "MacDonald", "Fitzgerald", "Lee",
        "Clarke", "Murphy"]
COMPANY_A = ["Blue Harbor", "Northwind", "Summit", "Riverbend", "Copperleaf", "Ironbridge", "Silver Birch",
             "Oakfield", "Bright Path", "Granite", "Hollow Pine", "Redwood", "Starling", "Windmill", "Kestrel"]
COMPANY_B = ["Trading", "Supplies", "Holdings", "Outfitters", "Goods", "Design Co.", "& Sons", "Ltd",
             "Inc.", "Partners", "Studios", "Mercantile"]
FREE_MAIL = ["gmail.com", "yahoo.com", "outlook.com", "hotmail.co.uk", "icloud.com", "example.com", "btinternet.com"]
PLACES = {
    "US": [("San Francisco", "CA", "94105"), ("Austin", "TX", "78701"), ("New York", "NY", "10001"),
           ("Chicago", "IL", "60601"), ("Seattle", "WA", "98101"), ("Boston", "MA", "02108")],
    "GB": [("London", "", "EC1A 1BB"), ("Manchester", "", "M1 1AE"), ("Edinburgh", "", "EH1 1YZ"),
           ("Bristol", "", "BS1 4DJ")],
    "DE": [("Berlin", "", "10115"), ("Munich", "", "80331")],
    "FR": [("Paris", "", "75001")],
    "AU": [("Sydney", "NSW", "2000")],
}
STREETS = ["Main St", "High Street", "Market St", "Baker Street", "Elm Avenue", "Station Road", "Mission St",
           "Church Lane", "Congress Ave", "Queen Street"]
MATERIALS = ["Merino Wool", "Organic Cotton", "Bamboo", "Ceramic", "Leather", "Recycled Glass", "Cedar",
             "Linen", "Stainless Steel", "Cashmere"]
PRODUCTS = ["Scarf", "Tote Bag", "Mug", "Notebook", "Candle", "Throw Blanket", "Water Bottle", "Desk Lamp",
            "Backpack", "Beanie", "Cutting Board", "Tea Set"]
INVALID_EMAILS = ["{f}.{l}@", "{f} {l}@example.com", "{f}..{l}@example.com", "{f}{l}@example",
                  "@example.com", "{f}.{l}.example.com", "{f}@@example.com"]
TYPE_WEIGHTS = [("SalesOrd", 55), ("CashSale", 25), ("CustInvc", 12), ("RtnAuth", 5), ("Estimate", 3)]
STATUSES = {"SalesOrd": "ABDEFGH", "CashSale": "BC", "CustInvc": "AB", "RtnAuth": "ABDEFGH", "Estimate": "ABCX"}
PREFIX = {"SalesOrd": "SO", "CashSale": "CS", "CustInvc": "INV", "RtnAuth": "RMA", "Estimate": "EST"}


def _ascii(text: str) -> str:
    table = str.maketrans("áéëíóöúüñçÁÉÍÓÚÜ", "aeeioouuncAEIOUU")
    return "".join(ch for ch in text.translate(table) if ch.isalnum() or ch in ".-_")


class Generator:
    """Seeded data for one account. Everything random comes from ``rng``."""

    def __init__(self, seed: int, records: int, anchor: datetime):
        self.rng = random.Random(f"netsuite-data:{seed}")
        self.records = records
        if anchor.tzinfo is not None:
            anchor = anchor.astimezone(timezone.utc).replace(tzinfo=None)
        self.anchor = anchor.replace(minute=0, second=0, microsecond=0)
        self.start = self.anchor - timedelta(days=5 * 365)
        # a mass update (an import, a workflow) touches many rows in one second
        self.mass_update = self.anchor - timedelta(days=30, hours=3)
        self.next_entity = 1000
        self.next_nkey = 1
        self.rows: dict[str, list[dict[str, Any]]] = {t: [] for t in SCHEMA}

    # -- small helpers --------------------------------------------------------

    def pick(self, weighted: Sequence[tuple[Any, float]]) -> Any:
        values, weights = zip(*weighted)
        return self.rng.choices(values, weights)[0]

    def moment(self, after: datetime, before: datetime | None = None) -> datetime:
        before = before or self.anchor
        span = max(1, int((before - after).total_seconds()))
        return after + timedelta(seconds=self.rng.randrange(span))

    def modified(self, created: datetime) -> datetime:
        if self.rng.random() < 0.08:
            return max(created, self.mass_update)
        return self.moment(created)

    def entity_id(self) -> int:
        self.next_entity += 1
        return self.next_entity

    def mixed_case(self, email: str) -> str:
        local, _, domain = email.partition("@")
        style = self.rng.random()
        if style < 0.45:
            return email.lower()
        if style < 0.75:
            return ".".join(p[:1].upper() + p[1:] for p in local.split(".")) + "@" + domain.capitalize()
        if style < 0.9:
            return email.upper()
        return local + "@" + domain.title()

    def email(self, first: str, last: str, domain: str | None = None) -> str | None:
        r = self.rng.random()
        f, l = _ascii(first).lower() or "x", _ascii(last).lower() or "y"  # noqa: E741 (the templates' {l})
        if r < 0.05:
            return self.rng.choice([None, ""])
        if r < 0.08:
            return self.rng.choice(INVALID_EMAILS).format(f=f, l=l)
        domain = domain or self.rng.choice(FREE_MAIL)
        local = self.rng.choice([f"{f}.{l}", f"{f[0]}{l}", f"{f}_{l}{self.rng.randrange(10, 99)}", f"{f}{l[0]}"])
        return self.mixed_case(f"{local}@{domain}")

    def company_email(self, company: str) -> str | None:
        r = self.rng.random()
        if r < 0.05:
            return None
        domain = "".join(_ascii(w).lower() for w in company.split()[:2]) + ".example.com"
        if r < 0.07:
            return f"info@{domain.replace('.example.com', '')}"  # no top-level domain
        return self.mixed_case(f"{self.rng.choice(['info', 'sales', 'accounts', 'hello'])}@{domain}")

    def phone(self, country: str) -> str | None:
        r = self.rng.random()
        n = self.rng.randrange(100)
        if r < 0.12:
            return None
        if r < 0.15:
            return self.rng.choice(["12345", "call after 5pm", "555-CALL-NOW"])
        if country == "GB":
            return self.rng.choice([
                f"020 7946 0{n:03d}", f"07700 900{n:03d}", f"+44 20 7946 0{n:03d}", f"+447700900{n:03d}",
                f"(0161) 496 0{n:03d}",
            ])
        if country == "US":
            area = self.rng.choice(["415", "512", "212", "312", "206", "617"])
            return self.rng.choice([
                f"({area}) 555-01{n:02d}", f"{area}-555-01{n:02d}", f"{area}55501{n:02d}",
                f"+1{area}55501{n:02d}", f"+1 {area} 555 01{n:02d}",
            ])
        prefix = {"DE": "+49 30 901820", "FR": "+33 1 99 00 0", "AU": "+61 2 5550 1"}[country]
        return f"{prefix}{n:02d}"

    def address(self, addressee: str, country: str) -> int | None:
        if self.rng.random() < 0.15:
            return None
        city, state, zip_ = self.rng.choice(PLACES[country])
        nkey = self.next_nkey
        self.next_nkey += 1
        self.rows["entityaddress"].append(dict(
            nkey=nkey, addressee=addressee,
            addr1=f"{self.rng.randrange(1, 999)} {self.rng.choice(STREETS)}",
            addr2=self.rng.choice(["Suite 200", "Flat 3", "Floor 2", "Unit 14"]) if self.rng.random() < 0.3 else None,
            addr3=self.rng.choice(["Building B", "c/o Reception"]) if self.rng.random() < 0.05 else None,
            city=city, state=state or None, zip=zip_, country=country,
        ))
        return nkey

    def subscriptions(self, entity: int, status: int, created: datetime, modified: datetime) -> None:
        for sid, _name, _desc, _inactive, default in CAMPAIGN_SUBSCRIPTIONS:
            if status in (2, 4):
                subscribed = "F"
            else:
                subscribed = "T" if self.rng.random() < (0.7 if default == "T" else 0.3) else "F"
            self.rows["entitysubscription"].append(dict(
                entity=entity, subscription=sid, subscribed=subscribed,
                lastmodifieddate=db_time(self.moment(created, modified) if modified > created else modified),
            ))

    # -- tables ---------------------------------------------------------------------

    def customers(self) -> None:
        statuses = {stage: [(i, 3 if d == "T" else 1) for i, _, s, d, _ in CUSTOMER_STATUSES if s == stage]
                    for stage in ("LEAD", "PROSPECT", "CUSTOMER")}
        made: list[dict[str, Any]] = []
        for _ in range(self.records):
            cid = self.entity_id()
            country = self.pick([("US", 60), ("GB", 30), ("DE", 4), ("FR", 3), ("AU", 3)])
            stage = self.pick([("LEAD", 25), ("PROSPECT", 15), ("CUSTOMER", 60)])
            isperson = self.rng.random() < 0.8
            first, last = self.rng.choice(FIRST), self.rng.choice(LAST)
            company = f"{self.rng.choice(COMPANY_A)} {self.rng.choice(COMPANY_B)}"
            email = self.email(first, last) if isperson else self.company_email(company)
            dup = self.rng.random()
            if made and dup < 0.045:
                # the same person entered again at another stage (lead and customer)
                other = self.rng.choice(made[-200:])
                if other["email"] and other["isperson"] == "T":
                    first, last, isperson = other["firstname"], other["lastname"], True
                    email = self.mixed_case(other["email"])
                    stage = "LEAD" if other["stage"] != "LEAD" else "CUSTOMER"
            elif made and dup < 0.06:
                other = self.rng.choice(made[-200:])
                if other["email"]:
                    email = other["email"]  # same email, someone else's name
            status = self.pick([(1, 55), (2, 20), (3, 15), (4, 10)])
            created = self.moment(self.start)
            modified = self.modified(created)
            name = f"{first} {last}" if isperson else company
            row = dict(
                id=cid, entityid=f"{name} {cid}" if self.rng.random() < 0.1 else name,
                isperson="T" if isperson else "F",
                firstname=first if isperson else None, lastname=last if isperson else None,
                companyname=company if not isperson or self.rng.random() < 0.15 else None,
                email=email, phone=self.phone(country),
                mobilephone=self.phone(country) if self.rng.random() < 0.6 else None,
                entitystatus=self.pick(statuses[stage]), stage=stage, searchstage=SEARCH_STAGES[stage],
                globalsubscriptionstatus=status, defaultbillingaddress=self.address(name, country),
                custentity_marketing_optin="T" if status in (1, 3) else "F",
                isinactive="T" if self.rng.random() < 0.03 else "F",
                datecreated=db_time(created), lastmodifieddate=db_time(modified),
            )
            row["_country"] = country
            made.append(row)
            self.subscriptions(cid, status, created, modified)
        self.rows["customer"] = made

    def contacts(self) -> None:
        companies = [c for c in self.rows["customer"] if c["isperson"] == "F"]
        emails = [c["email"] for c in self.rows["customer"] if c["email"] and c["isperson"] == "T"]
        for _ in range(self.records // 2):
            cid = self.entity_id()
            first, last = self.rng.choice(FIRST), self.rng.choice(LAST)
            company = self.rng.choice(companies) if companies and self.rng.random() < 0.6 else None
            country = company["_country"] if company else self.pick([("US", 60), ("GB", 40)])
            domain = None
            if company and company["email"] and "@" in company["email"] and "." in company["email"].split("@")[-1]:
                domain = company["email"].split("@")[-1].lower()
            email = self.email(first, last, domain)
            if emails and self.rng.random() < 0.05:
                email = self.mixed_case(self.rng.choice(emails))  # also a person customer
            status = self.pick([(1, 55), (2, 20), (3, 15), (4, 10)])
            created = self.moment(self.start)
            modified = self.modified(created)
            self.rows["contact"].append(dict(
                id=cid, entityid=f"{first} {last}", firstname=first, lastname=last, email=email,
                phone=self.phone(country), mobilephone=self.phone(country) if self.rng.random() < 0.5 else None,
                company=company["id"] if company else None, globalsubscriptionstatus=status,
                custentity_marketing_optin="T" if status in (1, 3) else "F",
                defaultbillingaddress=self.address(f"{first} {last}", country),
                isinactive="T" if self.rng.random() < 0.03 else "F",
                datecreated=db_time(created), lastmodifieddate=db_time(modified),
            ))
            self.subscriptions(cid, status, created, modified)

    def items(self) -> None:
        count = max(24, min(60, 20 + self.records // 100))
        names = [f"{m} {p}" for m in MATERIALS for p in PRODUCTS]
        self.rng.shuffle(names)
        price_id = 0
        for i in range(count):
            iid = 100 + i
            name = names[i % len(names)]
            slug = name.lower().replace(" ", "-")
            kind = self.pick([("InvtPart", 60), ("NonInvtPart", 15), ("Kit", 10), ("Service", 5)])
            created = self.moment(self.start)
            described = f'{name}. Made to last; 12" x 8".' if self.rng.random() < 0.3 else f"{name}.\nCare: hand wash."
            self.rows["item"].append(dict(
                id=iid, itemid=f"SKU-{1000 + i}", displayname=name if self.rng.random() < 0.95 else None,
                description=described, itemtype=kind, isinactive="T" if self.rng.random() < 0.1 else "F",
                url=f"https://shop.example.com/p/{slug}" if self.rng.random() < 0.8 else None, urlcomponent=slug,
                storedisplayimage=f"https://shop.example.com/images/sku-{1000 + i}.jpg" if self.rng.random() < 0.75 else None,
                storedisplaythumbnail=f"https://shop.example.com/images/sku-{1000 + i}-thumb.jpg" if self.rng.random() < 0.7 else None,
                custitem_colors=", ".join(str(c) for c in sorted(self.rng.sample(range(1, 6), self.rng.randrange(0, 4)))) or None,
                createddate=db_time(created), lastmodifieddate=db_time(self.modified(created)),
            ))
            base = round(self.rng.uniform(4, 240), 2)
            levels = [(1, 1.0, 0.88), (5, 0.95, 0.5), (2, 1.1, 0.3), (3, 0.85, 0.2), (4, 0.7, 0.15)]
            for level, factor, chance in levels:
                if self.rng.random() >= chance:
                    continue
                breaks = [(0.0, 1.0)] + ([(10.0, 0.95), (50.0, 0.9)] if self.rng.random() < 0.4 else [])
                for qty, discount in breaks:
                    price_id += 1
                    self.rows["pricing"].append(dict(
                        id=price_id, item=iid, pricelevel=level, quantity=qty,
                        unitprice=round(base * factor * discount, 2), currency=1,
                    ))
        extras = [(90, "SPRING10", "10% Spring Discount", "Discount"), (91, "LOYALTY5", "$5 Loyalty Reward", "Discount"),
                  (92, "FREESHIP", "Free Shipping", "Discount"), (95, "CA-TAX", "California Sales Tax", "TaxItem")]
        for iid, itemid, name, kind in extras:
            self.rows["item"].append(dict(
                id=iid, itemid=itemid, displayname=name, description=name, itemtype=kind, isinactive="F",
                createddate=db_time(self.start), lastmodifieddate=db_time(self.start + timedelta(days=1)),
            ))

    def orders(self) -> None:
        customers = [c for c in self.rows["customer"]]
        weighted = [c for c in customers if c["stage"] == "CUSTOMER"] or customers
        contacts = self.rows["contact"]
        products = [i for i in self.rows["item"] if i["itemtype"] not in ("Discount", "TaxItem")]
        prices = {}
        for p in self.rows["pricing"]:
            if p["pricelevel"] == 1 and p["quantity"] == 0:
                prices[p["item"]] = p["unitprice"]
        line_key = 0
        counters = {t: 10000 for t, _ in TYPE_WEIGHTS}
        for n in range(self.records):
            tid = 50000 + n
            kind = self.pick(TYPE_WEIGHTS)
            counters[kind] += 1
            customer = self.rng.choice(weighted if self.rng.random() < 0.9 else customers)
            created = datetime.fromisoformat(customer["datecreated"])
            trandate = self.moment(created).replace(hour=0, minute=0, second=0)
            gb = customer["_country"] == "GB"
            location = self.rng.choice([1, 2, 3 if gb else 4, None])
            email = customer["email"] if self.rng.random() < 0.9 else self.email(self.rng.choice(FIRST), self.rng.choice(LAST))
            contact = self.rng.choice(contacts) if contacts and self.rng.random() < 0.15 else None
            lines: list[dict[str, Any]] = []
            subtotal = 0.0
            for _seq in range(1, self.rng.randrange(2, 6)):
                item = self.rng.choice(products)
                qty = float(self.rng.randrange(1, 6))
                rate = prices.get(item["id"]) or round(self.rng.uniform(5, 90), 2)
                amount = round(qty * rate, 2)
                subtotal += amount
                # taxline is NULL, not 'F', on some accounts' item lines (cash
                # sales here): a filter on taxline = 'F' alone would drop them.
                lines.append(dict(item=item["id"], quantity=qty, rate=rate, foreignamount=amount,
                                  itemtype=item["itemtype"], mainline="F",
                                  taxline=None if kind == "CashSale" else "F", location=location))
            if self.rng.random() < 0.25:
                discount = self.rng.choice([90, 91, 92])
                amount = -round(subtotal * 0.1, 2) if discount == 90 else -5.0
                subtotal += amount
                lines.append(dict(item=discount, quantity=None, rate=amount, foreignamount=amount,
                                  itemtype="Discount", mainline="F", taxline="F", location=location))
            if not gb and self.rng.random() < 0.3:
                tax = round(subtotal * 0.0825, 2)
                subtotal += tax
                lines.append(dict(item=95, quantity=None, rate=8.25, foreignamount=tax,
                                  itemtype="TaxItem", mainline="F", taxline="T", location=None))
            total = round(subtotal, 2)
            modified = self.moment(trandate) if trandate < self.anchor else trandate
            self.rows["transaction"].append(dict(
                id=tid, tranid=f"{PREFIX[kind]}{counters[kind]}", type=kind, entity=customer["id"], email=email,
                trandate=db_time(trandate), status=self.rng.choice(STATUSES[kind]), currency=2 if gb else 1,
                foreigntotal=total, location=location,
                memo=self.rng.choice([None, None, "Gift - please wrap", "Rush order", 'Customer said: "ASAP"']),
                custbody_alt_email=self.email(self.rng.choice(FIRST), self.rng.choice(LAST)) if self.rng.random() < 0.15 else None,
                custbody_ship_to_contact=contact["id"] if contact else None,
                custbody_channel=self.rng.choice(["Web", "Phone", "Store", "Marketplace"]),
                createddate=db_time(trandate), lastmodifieddate=db_time(modified),
            ))
            line_key += 1
            self.rows["transactionline"].append(dict(
                uniquekey=line_key, transaction=tid, id=0, linesequencenumber=0, item=None, quantity=None, rate=None,
                foreignamount=total, itemtype=None, mainline="T", taxline="F", location=location,
            ))
            for seq, line in enumerate(lines, start=1):
                line_key += 1
                self.rows["transactionline"].append(dict(uniquekey=line_key, transaction=tid, id=seq,
                                                         linesequencenumber=seq, **line))

    def generate(self) -> dict[str, list[dict[str, Any]]]:
        self.rows.update(reference_rows(self.anchor))
        self.customers()
        self.contacts()
        self.items()
        self.orders()
        self.rows["entityaddressbook"] = addressbook_lines(self.rows)
        return self.rows


def addressbook_lines(tables: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """One address book line (default billing and shipping) for each entity's default billing address."""
    lines: list[dict[str, Any]] = []
    for table in ("customer", "contact"):
        for row in tables.get(table, []):
            if row.get("defaultbillingaddress") is not None:
                lines.append(dict(id=len(lines) + 1, entity=row["id"], addressbookaddress=row["defaultbillingaddress"],
                                  defaultbilling="T", defaultshipping="T"))
    return lines


def generate(conn: sqlite3.Connection, *, seed: int, records: int, anchor: datetime) -> None:
    rows = Generator(seed, records, anchor).generate()
    for table, table_rows in rows.items():
        insert_rows(conn, table, table_rows)


def load_fixture(conn: sqlite3.Connection, path: Path, *, anchor: datetime) -> None:
    """Fill the tables from a JSON fixture; reference tables it leaves out get
    the standard ones, and entities without subscription rows get the
    subscriptions' defaults."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"sandbox fixture {path}: file not found") from None
    except ValueError as e:
        raise ValueError(f"sandbox fixture {path}: not JSON ({e})") from None
    if not isinstance(data, dict):
        raise ValueError(f"sandbox fixture {path}: must be a JSON object of table name -> list of rows")
    allowed = [t for t in SCHEMA if t != "dual"]
    tables: dict[str, list[dict[str, Any]]] = {}
    for table, rows in data.items():
        if table not in allowed:
            raise ValueError(f"sandbox fixture {path}: unknown table {table!r}; tables: {', '.join(allowed)}")
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise ValueError(f"sandbox fixture {path}: {table} must be a list of objects (rows)")
        if table == "customer":  # "stage" (LEAD...) is accepted for the searchstage it sets
            rows = [stage_alias(r) for r in rows]
        tables[table] = [{c: normalize(table, c, v) for c, v in r.items()} for r in rows]
    stamp = db_time(anchor)
    for table, rows in reference_rows(anchor).items():
        tables.setdefault(table, rows)
    key_seq = 1000
    for table in ("customer", "contact"):
        for row in tables.get(table, []):
            if row.get("id") is None:
                key_seq += 1
                row["id"] = key_seq
            key_seq = max(key_seq, row["id"])
            row.setdefault("lastmodifieddate", stamp)
            row.setdefault("datecreated", row["lastmodifieddate"])
            row.setdefault("globalsubscriptionstatus", 1)
            row.setdefault("custentity_marketing_optin", "T" if row["globalsubscriptionstatus"] in (1, 3) else "F")
            row.setdefault("isinactive", "F")
    for row in tables.get("customer", []):
        row.setdefault("isperson", "T")
        row.setdefault("searchstage", "Customer")
    for table in ("item", "transaction"):
        for row in tables.get(table, []):
            row.setdefault("lastmodifieddate", stamp)
    have = {(r["entity"], r["subscription"]) for r in tables.get("entitysubscription", [])}
    defaults = [(s["id"], s.get("subscribedbydefault") or "F") for s in tables.get("campaignsubscription", [])]
    subs = tables.setdefault("entitysubscription", [])
    for table in ("customer", "contact"):
        for row in tables.get(table, []):
            for sid, default in defaults:
                if (row["id"], sid) not in have:
                    subs.append(dict(entity=row["id"], subscription=sid,
                                     subscribed="F" if row["globalsubscriptionstatus"] in (2, 4) else default,
                                     lastmodifieddate=row["lastmodifieddate"]))
    if "entityaddressbook" not in tables:
        tables["entityaddressbook"] = addressbook_lines(tables)
    for table, rows in tables.items():
        insert_rows(conn, table, rows)


def stage_alias(row: dict[str, Any]) -> dict[str, Any]:
    """A customer row with ``stage`` (LEAD, PROSPECT, CUSTOMER) as its searchstage."""
    if "stage" not in row:
        return row
    row = dict(row)
    stage = row.pop("stage")
    row.setdefault("searchstage", SEARCH_STAGES.get(str(stage).upper(), stage) if stage else None)
    return row
