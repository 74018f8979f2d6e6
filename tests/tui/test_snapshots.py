"""Every screen and modal at 80x24 in both themes, reached with key presses
only, compared with the accepted SVG snapshots in __snapshots__/ (review a
change with `pytest tests/tui/test_snapshots.py --snapshot-update` and look at
the SVGs). The README's screen captures are these same cases as text:
`python -m tests.tui.captures`."""

from __future__ import annotations

import os
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from nstui.engine import events as ev
from nstui.tui.app import NstuiApp

ROOT = Path(__file__).resolve().parents[2]
AT = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)

#: (name, keys): every screen, every modal, an open drop-down, the help screen.
CASES = [
    ("1-campaign-subscriptions", []),
    ("1-mapping-modal", ["a"]),
    ("1-mapping-modal-dropdown", ["a", "enter"]),
    ("1-new-list-modal", ["n"]),
    ("1-delete-confirm", ["d"]),
    ("1-direction-for-row", ["c"]),
    ("2-global-subscription-status", ["2"]),
    ("2-why-modal", ["2", "w"]),
    ("2-opt-in-field-picker", ["2", *["tab"] * 10, "enter"]),
    ("3-direction-choices", ["3"]),
    ("4-sync-log", ["4"]),
    ("4-event-detail", ["4", "enter"]),
    ("5-connection", ["5"]),
    ("5-field-mappings", ["5", "f"]),
    ("5-field-mapping-modal", ["5", "f", "a"]),
    ("5-field-mapping-netsuite-fields", ["5", "f", "a", "enter"]),
    ("5-field-mapping-refused-type", ["5", "f", "a", "enter", "c", "u", "s", "t", "enter", "tab", "enter", "G", "E",
                                      "enter", "tab", "tab", "enter", "t", "e", "enter", "ctrl+o"]),
    ("5-field-mapping-netsuite-down", ["5", "f", "a"]),
    ("5-price-level-picker", ["5", *["tab"] * 12, "enter"]),
    ("help", ["question_mark"]),
    ("quit-with-unsaved-edits", ["d", "y", "q"]),
]

LONG_ERROR = ("NetSuite refused the write of customer 4711: INVALID_FLD_VALUE: the value 'Gold' of "
              "custentity_tier is not one of the field's list values (Bronze, Silver); the record is read "
              "again on the next run")


def events() -> list[ev.Event]:
    return [
        ev.RecordCreated(dataset="customers", side="marketing", key="ada@example.com", reason="new in NetSuite",
                         at=AT),
        ev.RecordSkipped(dataset="customers", side="netsuite", key="bob@example.com",
                         reason="duplicate email: customer 12 holds the link", at=AT),
        ev.StatusChanged(dataset="contacts", side="marketing", key="cy@example.com", old="active",
                         new="unsubscribed", rule="Soft Opt-Out -> unsubscribed (CAN-SPAM)", at=AT),
        ev.Error(dataset="customers", key="dee@example.com", text=LONG_ERROR, at=AT),
    ]


def app_for(tmp_path: Path, theme: str, name: str = "") -> NstuiApp:
    path = tmp_path / "nstui.toml"
    text = (ROOT / "sample_config.toml").read_text().replace("records = 2000", "records = 40")
    if name.endswith("netsuite-down"):  # nothing listens on port 9 (discard): NetSuite cannot be read
        text = text.replace("[netsuite]\n", '[netsuite]\nbase_url = "http://127.0.0.1:9"\n', 1)
        text = text.replace("max_retries = ", "max_retries = 0  # ", 1)
    path.write_text(text.replace('theme = "nstui-dark"', f'theme = "{theme}"'))
    return NstuiApp(path)


@pytest.fixture(autouse=True)
def utc(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


async def settle(pilot) -> None:
    await pilot.pause()                      # the remote data is read after the first paint
    await pilot.app.workers.wait_for_complete()
    for event in events():
        pilot.app.bus.publish(event)
    await pilot.pause()


@pytest.mark.parametrize("theme", ["nstui-dark", "nstui-light"])
@pytest.mark.parametrize("name, keys", CASES, ids=[c[0] for c in CASES])
def test_snapshot(snap_compare, tmp_path, theme, name, keys):
    assert snap_compare(app_for(tmp_path, theme, name), press=keys, terminal_size=(80, 24), run_before=settle)


def test_sample_names_its_theme():
    assert 'theme = "nstui-dark"' in (ROOT / "sample_config.toml").read_text(), os.fspath(ROOT)
