"""``nstui run --metrics HOST:PORT``: Prometheus text exposition and /healthz.

Per data set: last success time, last run duration, records read, written,
skipped and failed, API calls, retries and throttled answers per side, and
the current run state. Served from a thread of its own, so a scrape or a
health check answers while the engine is busy. ``/healthz`` answers 200, or
503 naming the data sets that have not succeeded within 2x their
``poll_interval`` (the rule of ``nstui status --check``).
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Enum, Gauge, generate_latest

from nstui.config import DATASETS, ConfigFile
from nstui.engine import events as ev
from nstui.ops.health import overdue, read_health

log = logging.getLogger("nstui.metrics")

STATES = ["never", "running", "ok", "failed", "cancelled"]
SIDES = ("netsuite", "marketing")


class Metrics:
    """A bus listener keeping the metrics of one ``nstui run``."""

    def __init__(self, cfg: ConfigFile):
        self.cfg = cfg
        self.registry = CollectorRegistry()
        r = self.registry
        self.last_success = Gauge("nstui_dataset_last_success_timestamp_seconds",
                                  "Unix time of the data set's last successful run (0: never)", ["dataset"], registry=r)
        self.last_duration = Gauge("nstui_dataset_last_run_duration_seconds",
                                   "Seconds the data set's last run took", ["dataset"], registry=r)
        self.records = {
            what: Counter(f"nstui_dataset_records_{what}", f"Records {what} by this process's runs", ["dataset"], registry=r)
            for what in ("read", "written", "skipped", "failed")
        }
        self.api_calls = Counter("nstui_dataset_api_calls", "Requests sent, per side", ["dataset", "side"], registry=r)
        self.retries = Counter("nstui_dataset_retries", "Requests retried, per side", ["dataset", "side"], registry=r)
        self.throttles = Counter("nstui_dataset_throttles", "Answers 429 (throttled), per side",
                                 ["dataset", "side"], registry=r)
        self.state = Enum("nstui_dataset_state", "The data set's current run state", ["dataset"],
                          states=STATES, registry=r)
        self._seed_from_state()

    def _seed_from_state(self) -> None:
        """Last successes and last states survive a restart: read them from the state file."""
        from nstui.engine import Engine

        for st, _due, _enabled in Engine(self.cfg).status():
            self.last_success.labels(st.dataset).set(st.last_success.timestamp() if st.last_success else 0)
            self.state.labels(st.dataset).state(st.last_status if st.last_status in STATES else "never")
            for what in self.records:
                self.records[what].labels(st.dataset)
            for side in SIDES:
                for metric in (self.api_calls, self.retries, self.throttles):
                    metric.labels(st.dataset, side)

    def __call__(self, event: ev.Event) -> None:
        if event.dataset not in DATASETS:
            return
        name = event.dataset
        if isinstance(event, ev.DatasetStarted):
            self.state.labels(name).state("running")
        elif isinstance(event, ev.DatasetFinished):
            c = event.counts
            for what, value in (("read", c.read), ("written", c.written), ("skipped", c.skipped_total),
                                ("failed", c.errors)):
                self.records[what].labels(name).inc(value)
            for side in SIDES:
                self.api_calls.labels(name, side).inc(event.calls.get(f"{side}_calls", 0))
                self.retries.labels(name, side).inc(event.calls.get(f"{side}_retries", 0))
                self.throttles.labels(name, side).inc(event.calls.get(f"{side}_throttles", 0))
            self.last_duration.labels(name).set(event.seconds)
            self.state.labels(name).state(event.status if event.status in STATES else "failed")
            if event.status == "ok":
                self.last_success.labels(name).set(event.at.timestamp())

    def exposition(self) -> bytes:
        return generate_latest(self.registry)

    def health(self) -> list[str]:
        return overdue(read_health(self.cfg), datetime.now(timezone.utc))


def parse_address(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:PORT`` for IPv6); ValueError with the reason."""
    host, sep, port = text.rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"--metrics: expected HOST:PORT such as 127.0.0.1:9464, got {text!r}")
    return host, int(port)


class MetricsServer:
    """The HTTP endpoint, in a daemon thread; ``port`` is the bound one (port 0 picks a free one)."""

    def __init__(self, metrics: Metrics, host: str, port: int):
        handler = _handler(metrics)
        self.httpd = ThreadingHTTPServer((host, port), handler)
        self.httpd.daemon_threads = True
        self.host, self.port = host, int(self.httpd.server_address[1])
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="nstui-metrics", daemon=True)

    def start(self) -> "MetricsServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _handler(metrics: Metrics) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
            path = self.path.split("?", 1)[0]
            if path == "/metrics":
                self._answer(200, metrics.exposition(), CONTENT_TYPE_LATEST)
            elif path == "/healthz":
                try:
                    problems = metrics.health()
                except Exception as e:  # noqa: BLE001 (a state file that cannot be read is unhealthy, not a crash)
                    problems = [f"state file unreadable: {e.__class__.__name__}: {e}"]
                body = ("\n".join(problems) if problems else "ok") + "\n"
                self._answer(503 if problems else 200, body.encode(), "text/plain; charset=utf-8")
            else:
                self._answer(404, b"not found: try /metrics or /healthz\n", "text/plain; charset=utf-8")

        def _answer(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the stdlib's signature)
            log.debug("metrics endpoint: " + format, *args)

    return Handler
