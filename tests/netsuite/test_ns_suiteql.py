"""SuiteQL through the real client against the sandbox: paging, the row cap,
reading by key, and the SQL the sandbox accepts."""

from __future__ import annotations

from datetime import datetime, timezone

import httpx
import pytest

from nstui.netsuite.auth import TBAAuth
from nstui.netsuite.errors import NetSuiteQueryTooLarge, NetSuiteValidationError
from nstui.netsuite.suiteql import quote, ts

from .conftest import CREDS, REALM


async def test_25000_rows_take_exactly_25_requests(make_sandbox, make_client, fixture_of):
    sandbox = make_sandbox(fixture=fixture_of(25_000))
    seen: list[int] = []
    sizes: list[int] = []
    async with make_client(sandbox) as client:
        async for page in client.suiteql_pages("SELECT id, email FROM customer ORDER BY id"):
            sizes.append(len(page))
            seen.extend(int(r["id"]) for r in page)
        assert client.calls["suiteql"] == 25 and client.calls["retry"] == 0
    assert sandbox.requests["suiteql"] == 25
    assert sizes == [1000] * 25  # one page of NetSuite's maximum at a time
    assert seen == list(range(1001, 26001))


async def test_rows_come_back_as_netsuite_sends_them(make_sandbox, make_client):
    sandbox = make_sandbox(fixture={"customer": [
        {"id": 7, "firstname": "Ada", "lastname": None, "email": "Ada@Example.com",
         "lastmodifieddate": "2026-02-03T04:05:06Z", "globalsubscriptionstatus": 3},
    ]})
    async with make_client(sandbox) as client:
        rows = [r async for r in client.suiteql(
            "SELECT id, firstname, lastname, globalsubscriptionstatus, lastmodifieddate, "
            f"{ts('lastmodifieddate')} AS lmd, id * 2, NVL(lastname, 'none') AS ln FROM customer")]
    assert rows == [{
        "id": "7", "firstname": "Ada", "globalsubscriptionstatus": "3",
        "lastmodifieddate": "2/3/2026",  # a bare datetime column: date only, in NetSuite's format
        "lmd": "2026-02-03T04:05:06", "expr7": "14", "ln": "none",
    }]  # lastname is NULL: left out of the row


async def test_suiteql_functions_and_the_transaction_table(sandbox, make_client):
    async with make_client(sandbox) as client:
        rows = [r async for r in client.suiteql(
            "SELECT t.id, t.tranid, COUNT(tl.id) AS lines, "
            "SUM(CASE WHEN tl.itemtype = 'Discount' THEN tl.foreignamount ELSE 0 END) AS discount "
            "FROM transaction t JOIN transactionline tl ON tl.transaction = t.id "
            "WHERE t.trandate >= TO_DATE('2020-01-01', 'YYYY-MM-DD') AND tl.mainline = 'F' "
            "AND t.lastmodifieddate < TO_TIMESTAMP('2100-01-01 00:00:00', 'YYYY-MM-DD HH24:MI:SS') "
            "GROUP BY t.id, t.tranid ORDER BY t.id")]
        like = [r async for r in client.suiteql("SELECT id FROM customer WHERE email LIKE '%@GMAIL.COM'")]
        lower = [r async for r in client.suiteql("SELECT id FROM customer WHERE LOWER(email) LIKE '%@gmail.com'")]
    assert len(rows) == len(sandbox.query('SELECT id FROM "transaction"'))
    assert all(int(r["lines"]) >= 1 for r in rows)
    assert any(float(r["discount"]) < 0 for r in rows)
    upper_only = sandbox.query("SELECT id FROM customer WHERE email GLOB '*@GMAIL.COM'")
    assert len(like) == len(upper_only) < len(lower)  # LIKE is case-sensitive, as in Oracle


@pytest.mark.parametrize("query", [
    "DELETE FROM customer",
    "UPDATE customer SET email = NULL",
    "SELECT id FROM customer; DELETE FROM customer",
    "PRAGMA table_info(customer)",
    "SELECT * FROM _sandbox_meta",
    "SELECT name FROM sqlite_master",
    "WITH x AS (SELECT 1) SELECT * FROM x",
    "ATTACH DATABASE '/tmp/x.sqlite' AS x",
    "SELECT nosuchcolumn FROM customer",
])
async def test_only_selects_on_netsuite_tables_run(sandbox, make_client, query):
    before = len(sandbox.query("SELECT id FROM customer"))
    async with make_client(sandbox) as client:
        with pytest.raises(NetSuiteValidationError) as caught:
            [r async for r in client.suiteql(query)]
        assert client.calls["retry"] == 0
    assert caught.value.status == 400 and caught.value.code == "INVALID_PARAMETER"
    assert "Invalid search query" in caught.value.detail
    assert REALM in str(caught.value)
    assert len(sandbox.query("SELECT id FROM customer")) == before


async def test_a_query_over_the_row_cap_raises_instead_of_losing_rows(make_sandbox, make_client, fixture_of):
    sandbox = make_sandbox(fixture=fixture_of(130))
    sandbox.row_cap = 50  # NetSuite's is 100,000; the rule is the same
    async with make_client(sandbox) as client:
        with pytest.raises(NetSuiteQueryTooLarge):
            async for _ in client.suiteql_pages("SELECT id FROM customer ORDER BY id", page_size=20):
                pass
        ids: list[int] = []
        async for page in client.keyset_pages(select="c.email", from_="customer c", key_time="c.lastmodifieddate",
                                              key_id="c.id", since=None, page_size=20):
            ids.extend(int(r["id"]) for r in page)
    assert ids == list(range(1001, 1131))


async def test_keyset_pages_read_every_row_once_across_shared_times(make_sandbox, make_client, clock):
    rows = [{"id": 2000 + i, "firstname": f"F{i}", "lastname": "L", "email": f"p{i}@example.com",
             "lastmodifieddate": "2026-01-05T10:00:00Z" if i % 3 else f"2026-01-0{1 + i % 4}T09:00:{i % 60:02d}Z"}
            for i in range(95)]
    sandbox = make_sandbox(fixture={"customer": rows, "campaignsubscription": []})
    async with make_client(sandbox) as client:
        pages = [p async for p in client.keyset_pages(
            select="c.email", from_="customer c", key_time="c.lastmodifieddate", key_id="c.id",
            since=None, page_size=10)]
        assert client.calls["suiteql"] == len(pages)
        got = [(r["lastmodifieddate"], int(r["id"])) for p in pages for r in p]
        assert len(got) == 95 and len(set(got)) == 95 and got == sorted(got)
        boundary = datetime(2026, 1, 5, 10, 0, 0, tzinfo=timezone.utc)
        tied = sorted(r["id"] for r in rows if r["lastmodifieddate"] == "2026-01-05T10:00:00Z")
        since = [int(r["id"]) for p in [p async for p in client.keyset_pages(
            select="c.email", from_="customer c", key_time="c.lastmodifieddate", key_id="c.id",
            since=boundary, page_size=7)] for r in p]
        assert since == tied  # inclusive lower bound
        resumed = [int(r["id"]) for p in [p async for p in client.keyset_pages(
            select="c.email", from_="customer c", key_time="c.lastmodifieddate", key_id="c.id",
            since=boundary, after_id=tied[20], page_size=7)] for r in p]
        assert resumed == tied[21:]


async def test_keyset_pages_where_and_row_shape(sandbox, make_client):
    async with make_client(sandbox) as client:
        rows = [r for p in [p async for p in client.keyset_pages(
            select="c.firstname, c.searchstage", from_="customer c LEFT JOIN entityaddress a ON a.nkey = c.defaultbillingaddress",
            where="c.isperson = 'T' AND c.searchstage IN ('Lead', 'Customer')", key_time="c.lastmodifieddate",
            key_id="c.id", since=None, page_size=25)] for r in p]
    expected = sandbox.query("SELECT id FROM customer WHERE isperson = 'T' AND searchstage IN ('Lead', 'Customer')")
    assert sorted(int(r["id"]) for r in rows) == sorted(e["id"] for e in expected)
    assert all(r["searchstage"] in ("Lead", "Customer") for r in rows)
    assert all("T" in r["lastmodifieddate"] for r in rows)  # ISO-8601 through TO_CHAR


@pytest.mark.parametrize("where", [
    "1 = 1; DELETE FROM customer",
    "c.id IN (SELECT id FROM contact)",
    "c.email = 'x' -- comment",
    "c.id = 1 UNION SELECT 1",
])
async def test_keyset_where_is_validated(sandbox, make_client, where):
    async with make_client(sandbox) as client:
        with pytest.raises(ValueError, match="where is not allowed"):
            async for _ in client.keyset_pages(select="c.id", from_="customer c", where=where,
                                               key_time="c.lastmodifieddate", key_id="c.id", since=None):
                pass
        assert client.calls["suiteql"] == 0


async def test_keyset_key_columns_are_checked(sandbox, make_client):
    async with make_client(sandbox) as client:
        with pytest.raises(ValueError):
            async for _ in client.keyset_pages(select="c.id", from_="customer c", key_time="c.lastmodifieddate) --",
                                               key_id="c.id", since=None):
                pass


async def signed_post(sandbox, query_string: str, *, prefer: bool = True) -> httpx.Response:
    async with httpx.AsyncClient(transport=sandbox.transport(), auth=TBAAuth(CREDS, REALM),
                                 base_url="https://1234567-sb1.suitetalk.api.netsuite.com") as http:
        return await http.post(f"/services/rest/query/v1/suiteql?{query_string}", json={"q": "SELECT id FROM customer"},
                               headers={"Prefer": "transient"} if prefer else {})


@pytest.mark.parametrize("query_string, prefer, param", [
    ("limit=10&offset=5", True, "offset"),
    ("limit=1001&offset=0", True, "limit"),
    ("limit=0&offset=0", True, "limit"),
    ("limit=10&offset=0", False, None),
])
async def test_sandbox_checks_paging_like_netsuite(sandbox, query_string, prefer, param):
    response = await signed_post(sandbox, query_string, prefer=prefer)
    assert response.status_code == 400
    detail = response.json()["o:errorDetails"][0]
    if param:
        assert detail["o:errorQueryParam"] == param


async def test_sandbox_page_links_and_totals(sandbox):
    response = await signed_post(sandbox, "limit=25&offset=25")
    body = response.json()
    assert response.status_code == 200
    assert body["count"] == 25 and body["offset"] == 25 and body["totalResults"] == 60 and body["hasMore"] is True
    assert {link["rel"] for link in body["links"]} == {"previous", "first", "next", "last", "self"}
    assert all(item["links"] == [] for item in body["items"])


async def test_values_reach_the_query_only_quoted(sandbox, make_client):
    sandbox.insert("customer", firstname="Zoë", lastname="O'Brien", email="zoe@example.com")
    async with make_client(sandbox) as client:
        name = quote("O'Brien")
        rows = [r async for r in client.suiteql(f"SELECT lastname FROM customer WHERE lastname = {name}")]
    assert rows == [{"lastname": "O'Brien"}] * len(rows) and rows
