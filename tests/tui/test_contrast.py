"""Every piece of text on every screen and modal, in both nstui themes, reads
at WCAG AA (4.5:1) in 16-colour, 256-colour and truecolor terminals. The
colours are those Textual draws from the theme files (themes/*.toml and
app.tcss), taken from the rendered screen, then downgraded as a terminal
with fewer colours gets them."""

from __future__ import annotations

from pathlib import Path

import pytest

from nstui.engine import events as ev
from nstui.tui.app import NstuiApp
from tests.tui.contrast import SYSTEMS, text_contrast

ROOT = Path(__file__).resolve().parents[2]
#: Box drawing, blocks and scroll bars: lines, not text.
NOT_TEXT = {chr(c) for c in range(0x2500, 0x25A0)}


def texts(app: NstuiApp, where: str) -> dict:
    found = {}
    for strip in app.screen._compositor.render_strips():  # noqa: SLF001
        for seg in strip:
            chars = "".join(ch for ch in seg.text if not ch.isspace() and ch not in NOT_TEXT)
            if chars and seg.style is not None:
                found.setdefault(seg.style, (where, chars))
    return found


@pytest.fixture
def config_path(tmp_path) -> Path:
    path = tmp_path / "nstui.toml"
    path.write_text((ROOT / "sample_config.toml").read_text().replace("records = 2000", "records = 40"))
    return path


@pytest.mark.parametrize("theme", ["nstui-dark", "nstui-light"])
@pytest.mark.parametrize("colors", ["16", "256"])
async def test_text_contrast_at_least_4_5(config_path, theme, colors):
    """colors "16": the theme's 16-colour variant, as a 16-colour terminal shows
    it; "256": the theme itself, as 256-colour and truecolor terminals show it."""
    systems = {k: v for k, v in SYSTEMS.items() if (k == "16") == (colors == "16")}
    app = NstuiApp(config_path, theme=theme, colors=colors)
    styles: dict = {}
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        app.bus.publish(ev.Warning_(dataset="items", text="price level Online not found"))
        app.bus.publish(ev.Error(dataset="customers", key="a@example.com", text="refused"))
        app.bus.publish(ev.RecordCreated(dataset="customers", side="marketing", key="b@example.com"))
        steps = [("1", "screen 1"), ("a", "mapping modal"), ("escape", ""), ("2", "screen 2"),
                 ("tab", "screen 2, a drop-down focused"), ("enter", "screen 2, drop-down open"), ("escape", ""),
                 ("3", "screen 3"), ("4", "screen 4"), ("up", "screen 4, cursor"), ("enter", "event detail"),
                 ("escape", ""), ("5", "screen 5"), ("tab", "screen 5, input focused"),
                 ("f", "field mappings"), ("a", "field mapping modal"), ("escape", ""), ("escape", ""),
                 ("question_mark", "help"), ("escape", ""), ("1", ""), ("d", "confirm modal")]
        for key, where in steps:
            await pilot.press(key)
            await pilot.pause(0.15 if key == "4" else 0)
            if where:
                styles.update({s: w for s, w in texts(app, where).items() if s not in styles})
    failures = set()
    for style, (where, chars) in styles.items():
        for name, system in systems.items():
            r = text_contrast(style, system)
            if r < 4.5:
                failures.add(f"{name}: {r:.2f} {where}: {chars[:20]!r} {style}")
    assert not failures, "\n".join(sorted(failures))
