"""The simplest pipeline that moves the same data, as the yardstick nstui is
measured against: SuiteQL pages of 1,000 through the real NetSuite client,
one bulk contact import per page through the real marketing client, into one
list; no reconciliation, no state, no consent rules.

    .venv/bin/python bench/simplest.py --records 10000 [--latency-ms 0] [--paging keyset|offset]

``keyset`` pages by (lastmodifieddate, id) as the engine does; ``offset``
reads one query with limit/offset. Both read customers and contacts.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

from common import config, floors, report, timed

from nstui.connections import open_connections, open_sandboxes
from nstui.marketing.model import ContactWrite

COLUMNS = "c.id, c.email, c.firstname, c.lastname"


async def pages(ns, table: str, paging: str):  # noqa: ANN001, ANN201
    if paging == "offset":
        async for page in ns.suiteql_pages(f"SELECT {COLUMNS} FROM {table} c ORDER BY c.id", page_size=1000):
            yield page
    else:
        async for page in ns.keyset_pages(select=COLUMNS, from_=f"{table} c", key_time="c.lastmodifieddate",
                                          key_id="c.id", since=None, page_size=1000):
            yield page


async def main(records: int, latency_ms: float, paging: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        cfg = config(Path(tmp), records=records, latency_ms=latency_ms)
        boxes = open_sandboxes(cfg)
        try:
            async with open_connections(cfg, sandboxes=boxes) as conn:
                with timed() as t:
                    target = await conn.marketing.create_list("simplest pipeline")
                    read = 0
                    for table in ("customer", "contact"):
                        async for page in pages(conn.netsuite, table, paging):
                            read += len(page)
                            writes = [ContactWrite(email=r["email"].lower(), lists=[target.id],
                                                   data_fields={"FIRSTNAME": r.get("firstname"),
                                                                "LASTNAME": r.get("lastname")})
                                      for r in page if "@" in (r.get("email") or "")]
                            if writes:
                                await conn.marketing.import_contacts(writes)
                calls = conn.api_calls()
        finally:
            boxes.close()
        print(f"simplest pipeline ({paging}), {records} customers at {latency_ms} ms: {t.wall:.2f} s wall, "
              f"read {read}, API calls {calls}")
        report({"records": records, "latency_ms": latency_ms, "paging": paging, "wall_s": round(t.wall, 2),
                "process_cpu_s": round(t.cpu_all, 2), "read": read, "calls": calls,
                "floors_s": floors(calls, latency_ms)})


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--records", type=int, default=10000)
    p.add_argument("--latency-ms", type=float, default=0.0)
    p.add_argument("--paging", choices=["keyset", "offset"], default="keyset")
    a = p.parse_args()
    asyncio.run(main(a.records, a.latency_ms, a.paging))
