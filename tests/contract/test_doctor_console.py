"""Screen 5's connection tests show the checks of `nstui doctor`, a line each."""

from __future__ import annotations

from importlib import resources

from nstui.tui.app import NstuiApp


async def test_t_on_screen_5_runs_the_netsuite_checks(tmp_path):
    text = resources.files("nstui").joinpath("sample_config.toml").read_text().replace("records = 2000",
                                                                                       "records = 20")
    path = tmp_path / "nstui.toml"
    path.write_text(text.replace('currency = "USD"', 'currency = "JPY"'))
    app = NstuiApp(path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("5")
        await pilot.pause()
        await pilot.press("t")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        shown = str(app.screen.query_one("#test-result").render())
    assert "ok   netsuite: login (token-based authentication)" in shown
    assert "FAIL netsuite: items currency JPY: no currency JPY" in shown
    assert "marketing: " not in shown  # t tests NetSuite only; m the marketing side
