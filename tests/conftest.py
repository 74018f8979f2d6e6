import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "nstui" / "sample_config.toml"


def pytest_addoption(parser):
    parser.addoption("--consent-deep", action="store_true", default=False,
                     help="the consent property suite at 2 x 1,500 examples (same as NSTUI_CONSENT_DEEP=1)")


def pytest_configure(config):
    # Read by tests/consent/test_invariant_property.py when it is imported
    # (after this, before the autouse fixture below clears NSTUI_*).
    if config.getoption("--consent-deep"):
        os.environ["NSTUI_CONSENT_DEEP"] = "1"


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path):
    """No test sees the developer's own nstui variables or state."""
    for name in list(os.environ):
        if name.startswith("NSTUI_"):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NSTUI_STATE", str(tmp_path / "state.sqlite"))
    monkeypatch.setenv("NSTUI_LOCK_DIR", str(tmp_path / "locks"))


@pytest.fixture(autouse=True)
def _nstui_logger_restored():
    """`nstui run` and logs.configure set up the ``nstui`` logger (its own
    handler, no propagation): a test doing so in-process must not hide the
    clients' log records from a later test's caplog in the same worker."""
    import logging

    logger = logging.getLogger("nstui")
    saved = (list(logger.handlers), logger.level, logger.propagate)
    yield
    for handler in list(logger.handlers):
        if handler not in saved[0]:
            logger.removeHandler(handler)
            handler.close()
    logger.setLevel(saved[1])
    logger.propagate = saved[2]


@pytest.fixture
def sample_copy(tmp_path) -> Path:
    path = tmp_path / "nstui.toml"
    path.write_text(SAMPLE.read_text())
    return path


def pytest_terminal_summary(terminalreporter, config):
    """The fault suite's figures (tests/faults/ writes them, one file a test;
    under xdist the workers' folders sit inside this process's basetemp)."""
    import json

    factory = getattr(config, "_tmp_path_factory", None)
    if factory is None or getattr(factory, "_basetemp", None) is None:
        return
    folder = factory.getbasetemp() / "nstui-fault-figures"
    if not folder.is_dir():
        found = list(factory.getbasetemp().glob("popen-gw*/nstui-fault-figures"))
        if not found:
            return
        files = [f for d in found for f in d.glob("*.json")]
    else:
        files = list(folder.glob("*.json"))
    from collections import Counter

    faults: Counter = Counter()
    totals: Counter = Counter()
    rows = []
    for f in files:
        data = json.loads(f.read_text())
        faults.update(data.get("faults", {}))
        for k in ("bad_inputs", "kills", "lost", "duplicated", "wrong", "secret_hits", "escape_hits"):
            totals[k] += int(data.get(k, 0))
        if "rate" in data:
            rows.append(data)
    if not files:
        return
    tr = terminalreporter
    tr.write_sep("=", "fault suite figures (tests/faults)")
    tr.write_line(f"faults injected: {sum(faults.values())} ({', '.join(f'{k} {v}' for k, v in sorted(faults.items()))})")
    for r in sorted(rows, key=lambda r: r["rate"]):
        tr.write_line(f"  at {r['rate']:.0%}: {sum(r['faults'].values())} faults, faulty run errors {r['faulty_run_errors']}, "
                      f"then one clean run: lost {r['lost']}, duplicated {r['duplicated']}, wrong {r['wrong']}")
    tr.write_line(f"kills survived: {totals['kills']}; bad inputs tried: {totals['bad_inputs']}")
    tr.write_line(f"records (contacts, consent, NetSuite records, catalog, orders) lost {totals['lost']}, "
                  f"duplicated {totals['duplicated']}, wrong {totals['wrong']}; "
                  f"credential values found in outputs {totals['secret_hits']}, raw escape bytes {totals['escape_hits']}")
