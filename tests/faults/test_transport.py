"""The transport rules of both clients, against sandboxes served on
127.0.0.1 behind the fault layer."""

from __future__ import annotations

import asyncio
import json
import time
from itertools import product

import pytest

from nstui.cli import main
from nstui.config import ConfigFile
from nstui.credentials import marketing_credentials, netsuite_credentials
from nstui.http_guard import ForeignOrigin
from nstui.marketing.client import MarketingClient
from nstui.marketing.errors import MarketingError
from nstui.marketing.model import ContactWrite
from nstui.netsuite.client import NetSuiteClient
from nstui.netsuite.errors import NetSuiteBadAnswer, NetSuiteError

from .layer import Served


class Trap:
    """Another origin: records every request that reaches it."""

    def __init__(self) -> None:
        self.seen: list[dict] = []

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            self.seen.append(dict(scope["headers"]))
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-type", b"application/json")]})
            await send({"type": "http.response.body", "body": b'{"_links": {}, "_items": []}'})


def _clients(cfg: ConfigFile, **kw):
    return (NetSuiteClient(cfg.model.netsuite, netsuite_credentials(cfg)),
            MarketingClient(cfg.model.marketing, marketing_credentials(cfg), **kw))


async def test_credentials_never_follow_a_link_to_another_origin(make_world, figures):
    world = make_world("w", records=5)
    trap = Trap()
    served = Served(trap)
    try:
        layer = world.layers["marketing"]
        layer.trap, layer.kinds, layer.paths, layer.rate = served.url, ("foreign",), ("/contacts/v3",), 1.0
        ns, mk = _clients(world.config())
        async with ns, mk:
            layer.rate = 0
            await mk.upsert_contact(ContactWrite(email="a@example.com"))
            layer.rate = 1.0
            with pytest.raises(MarketingError, match="another origin"):
                async for _ in mk.contacts_changed_since(None):
                    pass
            # Both clients' auth is wrapped: a request of theirs to any other
            # origin (another port of the same host too) is refused unsent.
            for http in (ns._http, mk._http):
                with pytest.raises(ForeignOrigin, match="refused to send credentials"):
                    await http.get(f"{served.url}/elsewhere")
    finally:
        served.close()
    assert trap.seen == []
    figures["faults"] = dict(world.injected)


@pytest.mark.parametrize("kind", ["drip", "hang"])
async def test_a_slow_answer_ends_at_the_deadline(make_world, figures, kind):
    world = make_world("w", records=5)
    layer = world.layers["netsuite"]
    layer.kinds, layer.rate, layer.deadline = (kind,), 1.0, 0.4
    ns, _ = _clients(world.config(timeout=0.4, retries=1))
    started = time.monotonic()
    async with ns:
        with pytest.raises(NetSuiteError, match="no answer|DeadlineExceeded|Timeout"):
            await ns.ping()
    assert time.monotonic() - started < 0.4 * 2 + 1.5 + 1.0  # two deadlines and one backoff, not for ever
    figures["faults"] = dict(world.injected)


async def test_an_oversized_answer_is_refused_unread(make_world, figures):
    world = make_world("w", records=5)
    layer = world.layers["netsuite"]
    layer.kinds, layer.rate = ("oversized",), 1.0
    ns, _ = _clients(world.config(retries=0))
    async with ns:
        with pytest.raises(NetSuiteError, match="AnswerTooLarge"):
            await ns.ping()
    figures["faults"] = dict(world.injected)


@pytest.mark.parametrize("kind", ["truncated", "array", "shape", "badrows", "redirect", "hostile"])
async def test_a_malformed_answer_fails_its_data_set_and_the_run_goes_on(make_world, figures, kind):
    """NetSuite's first SuiteQL answer is spoiled: customers report it; the
    data sets after it run."""
    world = make_world("w", records=10)
    layer = world.layers["netsuite"]
    layer.kinds, layer.rate, layer.budget, layer.paths = (kind,), 1.0, 1, ("/services/rest/query",)
    summary = await world.sync(datasets=["customers", "items"])
    assert summary.datasets["customers"].errors >= 1
    assert summary.datasets["items"].errors == 0 and summary.datasets["items"].created > 0
    errors = [e.message() for e in world.events if e.level == "error"]
    assert errors and all("\x1b" not in m and "\x9b" not in m for m in errors)
    figures["faults"] = dict(world.injected)


async def test_an_import_that_never_finishes_is_polled_a_bounded_number_of_times(make_world, figures):
    world = make_world("w", records=5)
    layer = world.layers["marketing"]
    layer.kinds, layer.rate, layer.paths = ("notfinished",), 1.0, ("/contacts/v3/import/",)
    _, mk = _clients(world.config(), poll_interval=0.01, max_polls=5)
    async with mk:
        with pytest.raises(MarketingError, match="still not finished after 5"):
            await mk.import_contacts([ContactWrite(email="b@example.com")])
    assert mk.calls["contacts.import_status"] == 5
    figures["faults"] = dict(world.injected)


def test_live_mode_needs_https_except_on_loopback(tmp_path):
    from nstui.config import ConfigError

    path = tmp_path / "c.toml"
    path.write_text('[netsuite]\nmode = "live"\nbase_url = "http://ns.example.com"\n')
    with pytest.raises(ConfigError, match="live mode needs https"):
        ConfigFile.load(path)
    path.write_text('[netsuite]\nmode = "live"\nbase_url = "http://127.0.0.1:8750"\n'
                    '[marketing]\nmode = "live"\nbase_url = "http://localhost:8751"\n')
    ConfigFile.load(path)


async def test_rows_of_plain_nonsense_fail_their_page_and_the_run_goes_on(make_world, capsys, figures):
    """SuiteQL answers of the right shape whose first row holds an id "abc"
    or a date that is no date (layer.py, "nonsense": its paging keys, or all
    its other values): whichever of the customers pass's queries meets them,
    that data set reports a bad answer and the one after it runs; `nstui
    sync` exits 1, never 70."""
    world = make_world("w", records=8, page_size=5)
    cfg_path = world.folder / "nstui.toml"
    world.config()
    layer = world.layers["netsuite"]
    layer.kinds, layer.rate, layer.paths = ("nonsense",), 1.0, ("/services/rest/query",)
    bad = {"values": 0, "keys": 0}
    for mode, n in product(bad, range(3)):
        for state in world.folder.glob("state.sqlite*"):  # each a first run: the same queries in the same order
            state.unlink()
        layer.nonsense, layer.skip, layer.budget = mode, n, sum(layer.injected.values()) + 1
        code = await asyncio.to_thread(main, ["sync", "--once", "--json", "-d", "customers", "-d", "items",
                                              "--config", str(cfg_path)])
        captured = capsys.readouterr()
        assert code in (0, 1) and "Traceback" not in captured.err, (mode, n, captured.err)
        lines = [json.loads(line) for line in captured.out.splitlines()]
        finished = {e["dataset"]: e for e in lines if e.get("event") == "dataset_finished"}
        assert finished["items"]["status"] == "ok", (mode, n)
        if any("NetSuiteBadAnswer" in json.dumps(e) for e in lines if e.get("dataset") == "customers"):
            bad[mode] += 1
            assert code == 1 and finished["customers"]["status"] == "failed"
    assert layer.injected["nonsense"] == 6 and bad["values"] >= 2 and bad["keys"] >= 2, bad
    figures.update(faults=dict(world.injected), bad_inputs=6)
