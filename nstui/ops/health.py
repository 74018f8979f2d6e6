"""Is every enabled data set syncing? The rule behind ``nstui status --check``
and the metrics server's ``/healthz``: a data set is overdue when it has not
succeeded within twice its ``poll_interval`` (counted from its first attempt
when it never succeeded, so a fresh install is not overdue before its first
run could finish)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from nstui.config import DATASETS, ConfigFile
from nstui.engine.state import StateStore

#: How many poll intervals without a success make a data set overdue.
OVERDUE_FACTOR = 2


@dataclass(frozen=True)
class DatasetHealth:
    dataset: str
    poll_interval: timedelta
    last_success: datetime | None
    first_attempt: datetime | None


def overdue(checks: list[DatasetHealth], now: datetime) -> list[str]:
    """One line per overdue data set; empty when all are healthy."""
    problems = []
    for c in checks:
        limit = c.poll_interval * OVERDUE_FACTOR
        since = c.last_success or c.first_attempt
        if since is None:
            problems.append(f"{c.dataset}: never run")
        elif now - since > limit:
            what = f"last success {since.isoformat(timespec='seconds')}" if c.last_success else "no success since its first run"
            problems.append(f"{c.dataset}: {what}, more than {_span(limit)} ago (2 x poll_interval)")
    return problems


def read_health(cfg: ConfigFile) -> list[DatasetHealth]:
    """The enabled data sets' health facts, read without creating or changing
    the state file (a missing file means nothing has run)."""
    datasets = [(name, cfg.model.datasets.get(name)) for name in DATASETS]
    enabled = [(name, ds.poll_interval) for name, ds in datasets if ds.enabled]
    path = cfg.state_path
    if not path.exists():
        return [DatasetHealth(name, interval, None, None) for name, interval in enabled]
    with StateStore(path, readonly=True) as state:
        return [
            DatasetHealth(name, interval, state.last_success(name), state.first_attempt(name))
            for name, interval in enabled
        ]


def _span(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return "".join(f"{v}{u}" for v, u in ((hours, "h"), (minutes, "m"), (secs, "s")) if v) or "0s"
