"""The NetSuite sandbox's SuiteQL: a keyset page near the start of a large
table against one near its end (O(page) means the same cost), and TO_CHAR
per row against the strptime rendering it replaced.

    .venv/bin/python bench/sandbox.py --records 20000
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import datetime
from pathlib import Path

from common import config, report

from nstui.connections import open_sandboxes
from nstui.netsuite.suiteql import ts
from nstui.sandbox import netsuite_sql as sq

SELECT = (f"SELECT c.id, c.email, c.firstname, {ts('c.lastmodifieddate')} AS lastmodified_iso, a.city "
          "FROM customer c LEFT JOIN entityaddress a ON a.nkey = c.defaultbillingaddress")


def keyset_page(conn, after: tuple[str, int] | None) -> float:  # noqa: ANN001
    where = ""
    if after:
        t = f"TO_TIMESTAMP('{after[0].replace(' ', 'T')}', 'YYYY-MM-DD\"T\"HH24:MI:SS')"
        where = f" WHERE (c.lastmodifieddate > {t} OR (c.lastmodifieddate = {t} AND c.id > {after[1]}))"
    best = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        sq.run_page(conn, SELECT + where + " ORDER BY c.lastmodifieddate, c.id",
                                  limit=1000, offset=0, cap=100_000)
        best = min(best, time.perf_counter() - t0)
    return best


def main(records: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        cfg = config(Path(tmp), records=records)
        boxes = open_sandboxes(cfg)
        try:
            conn = boxes.netsuite._query_db
            keys = conn.execute("SELECT lastmodifieddate, id FROM customer ORDER BY lastmodifieddate, id").fetchall()
            first = keyset_page(conn, None)
            last = keyset_page(conn, tuple(keys[-1001]))
            stamps = [k[0] for k in keys[:5000]]
        finally:
            boxes.close()
    fmt = 'YYYY-MM-DD"T"HH24:MI:SS'
    t0 = time.perf_counter()
    for s in stamps:
        sq.to_char(s, fmt)
    fast = (time.perf_counter() - t0) / len(stamps)
    t0 = time.perf_counter()
    for s in stamps:
        datetime.strptime(s, "%Y-%m-%d %H:%M:%S").strftime(sq.py_format.__wrapped__(fmt))
    slow = (time.perf_counter() - t0) / len(stamps)
    print(f"keyset page of 1,000 of {records}: first {first * 1000:.1f} ms, last {last * 1000:.1f} ms; "
          f"TO_CHAR {fast * 1e6:.2f} µs a row (strptime: {slow * 1e6:.2f} µs)")
    report({"records": records, "first_page_ms": round(first * 1000, 2), "last_page_ms": round(last * 1000, 2),
            "to_char_us": round(fast * 1e6, 2), "strptime_to_char_us": round(slow * 1e6, 2)})


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--records", type=int, default=20000)
    main(p.parse_args().records)
