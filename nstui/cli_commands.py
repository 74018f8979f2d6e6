"""Subcommands that need the sandboxes, the engine or the console.

Kept apart from cli.py so that `nstui validate` and `nstui config` start fast
and never import the engine or Textual.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import signal
import sys
import tempfile
import time
from datetime import datetime, timezone
from importlib.resources import files
from pathlib import Path
from typing import Any, Callable, TextIO

from nstui.config import DATASETS, ConfigFile
from nstui.sanitize import clean


def add_parsers(sub: Any, config_arg: Callable[[argparse.ArgumentParser], None]) -> None:
    p = sub.add_parser("sync", help="one pass of the due (or named) data sets")
    config_arg(p)
    p.add_argument("--once", action="store_true", help="one pass, then exit (what sync always does; `run` loops)")
    p.add_argument("--dataset", "-d", action="append", choices=DATASETS, metavar="NAME",
                   help=f"run this data set even if it is not due ({', '.join(DATASETS)}); repeatable")
    p.add_argument("--dry-run", action="store_true", help="read both sides, print the plan, write nothing")
    p.add_argument("--json", action="store_true", help="one JSON object per event, then a summary object")
    p.add_argument("--plan-out", type=Path, default=None, metavar="FILE",
                   help="with --dry-run: save the plan to FILE for `nstui apply FILE` (written only when the "
                        "dry run finished without errors)")

    p = sub.add_parser("apply", help="carry out a plan saved by `sync --dry-run --plan-out`, exactly; refused "
                                     "(exit 2, nothing written) when anything it was made from changed")
    config_arg(p)
    p.add_argument("plan", type=Path, metavar="FILE", help="the plan file")
    p.add_argument("--json", action="store_true", help="one JSON object per event, then a summary object")

    p = sub.add_parser("run", help="the polling loop: each data set again poll_interval after its last success")
    config_arg(p)
    p.add_argument("--json", action="store_true",
                   help="one JSON object per event on stdout, a summary object after each pass")
    p.add_argument("--log-level", choices=["debug", "info", "warning", "error"], default="info",
                   help="least severe log line written (default info; debug: every record)")
    p.add_argument("--log-format", choices=["text", "json"], default="text",
                   help="text lines, or one JSON object per line (default text)")
    p.add_argument("--log-file", type=Path, default=None,
                   help="append the log to this file (reopened when logrotate moves it); default stderr")
    p.add_argument("--progress-every", type=float, default=30.0, metavar="SECONDS",
                   help="a progress line per running data set at most this often (default 30)")
    p.add_argument("--metrics", metavar="HOST:PORT", default=None,
                   help="serve Prometheus metrics on /metrics and a health check on /healthz, e.g. 127.0.0.1:9464")

    p = sub.add_parser("status", help="per data set: last run, counts, watermark, next due, recent errors")
    config_arg(p)
    p.add_argument("--json", action="store_true", help="print as JSON")
    p.add_argument("--check", action="store_true",
                   help="exit 1 when an enabled data set has not succeeded within 2x its poll_interval (health checks)")

    p = sub.add_parser("demo", help="the console on a fresh copy of sample_config.toml with generated sandboxes")
    p.add_argument("--records", type=int, default=None, help="NetSuite customers to generate (default: the sample's)")
    p.add_argument("--keep", action="store_true", help="keep the demo folder after the console closes")
    p.add_argument("--theme", default=argparse.SUPPRESS, help="console theme")
    p.add_argument("--check", action="store_true",
                   help="no terminal needed: prepare the demo, open the console headless at 80x24, "
                        "run one sync, report; exit 0 when all worked")

    p = sub.add_parser("web", help="the console in a browser (textual-serve), on 127.0.0.1 only")
    config_arg(p)
    p.add_argument("--port", type=int, default=8000, help="port on 127.0.0.1 (default 8000)")
    p.add_argument("--theme", default=argparse.SUPPRESS, help="console theme")

    p = sub.add_parser("doctor", help="check both accounts before the first sync (login, features, fields, "
                                      "subsidiary, time zone, data fields, lists); exit 0 when all pass, 1 otherwise")
    config_arg(p)
    p.add_argument("--json", action="store_true", help="the checks as a JSON array")

    p = sub.add_parser("sandbox", help="the embedded NetSuite and Dotdigital sandboxes")
    ssub = p.add_subparsers(dest="sandbox_command", metavar="ACTION", required=True)
    s = ssub.add_parser("serve", help="serve both sandboxes on 127.0.0.1 over HTTP")
    config_arg(s)
    s.add_argument("--port", type=int, default=8750, help="NetSuite's port; the marketing sandbox takes the next")
    s = ssub.add_parser("dump", help="print both sandboxes' data")
    config_arg(s)
    s.add_argument("--json", action="store_true", help="as JSON (the only format)")

    from nstui.commands import why

    why.add_parser(sub, config_arg)


def dispatch(args: argparse.Namespace) -> int:
    from nstui.cli import CliError

    handler = {
        None: cmd_console,
        "sync": cmd_sync,
        "apply": cmd_apply,
        "run": cmd_run,
        "status": cmd_status,
        "demo": cmd_demo,
        "sandbox": cmd_sandbox,
        "web": cmd_web,
        "why": _why,
        "doctor": cmd_doctor,
    }.get(args.command)
    if handler is None:
        raise CliError(f"unknown command {args.command!r}; see `nstui --help`")
    return handler(args)


def cmd_web(args: argparse.Namespace) -> int:
    from nstui.cli import CliError, _config_path
    from nstui.tui.web import serve

    if not 1 <= args.port <= 65535:
        raise CliError(f"--port: {args.port} is not a port (1-65535)")
    path = _config_path(args)
    ConfigFile.load(path)  # a bad file gets its clear messages here, not in each browser tab
    return serve(path, port=args.port, theme=getattr(args, "theme", None))


def _why(args: argparse.Namespace) -> int:
    from nstui.commands.why import cmd_why

    return cmd_why(args)


def _load(args: argparse.Namespace) -> ConfigFile:
    from nstui.cli import load_config

    return load_config(args)


def _fail_on_credentials(e: Exception) -> int:
    print(f"nstui: {e}", file=sys.stderr)
    return 2


# -- console -----------------------------------------------------------------


def cmd_console(args: argparse.Namespace) -> int:
    from nstui.cli import _config_path
    from nstui.tui import run_console

    path = _config_path(args)
    ConfigFile.load(path)  # a bad file gets its clear messages before the screen opens
    return run_console(path, theme=args.theme)


def prepare_demo(folder: Path, *, records: int | None = None, generate: bool = True) -> Path:
    """A fresh copy of sample_config.toml in ``folder`` with its sandboxes
    generated (``generate=False``: the console generates them after it has
    drawn its first screen)."""
    from nstui.connections import open_sandboxes

    path = folder / "nstui.toml"
    path.write_text((files("nstui") / "sample_config.toml").read_text(encoding="utf-8"))
    cfg = ConfigFile.load(path)
    cfg.set("state.path", "state.sqlite")
    if records is not None:
        cfg.set("sandbox.records", records)
    cfg.save()
    if generate:
        open_sandboxes(cfg).close()
    return path


def cmd_demo(args: argparse.Namespace) -> int:
    from nstui.tui import run_console

    folder = Path(tempfile.mkdtemp(prefix="nstui-demo-"))
    if args.check:
        from nstui.demo_check import check_demo

        try:
            print(check_demo(folder, records=args.records or 50))
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return 0
    try:
        print(f"Preparing the demo in {folder} ...", file=sys.stderr)
        path = prepare_demo(folder, records=args.records, generate=False)
        code = run_console(path, theme=args.theme, demo=not args.keep)
        # The terminal went away with unsaved edits: keep them where the message said.
        args.keep = args.keep or path.with_name(path.name + ".recovery").exists()
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    if args.keep:
        print(f"The demo folder is kept: {folder}", file=sys.stderr)
    return code


# -- sync / run / status -------------------------------------------------------


class HeadlessLog:
    """Prints the engine's events on ``out`` (stderr): a live line per data
    set on a terminal, plain lines with ISO timestamps otherwise. A dry run's
    plan lines are its result and go to ``results`` (stdout). ``as_json``:
    every event is one JSON object per line on ``results``."""

    def __init__(self, out: TextIO, *, results: TextIO | None = None, as_json: bool, dry_run: bool,
                 verbose: bool = False):
        self.out = out
        self.results = results or out
        self.as_json = as_json
        self.dry_run = dry_run
        self.verbose = verbose
        self.live = out.isatty() and not as_json
        self._live_line = False
        #: The reader went away (`| head -1`): nothing more is written, and
        #: ``on_closed`` (the run's stop) ends the run after its current page.
        self.closed = False
        self.on_closed: Callable[[], None] | None = None
        self._flushed = time.monotonic()

    def write(self, text: str, stream: TextIO | None = None, event: Any = None) -> None:
        """Write to ``stream`` (``out`` by default); a closed pipe stops
        every later write and the run (after its page), never the process.
        A record's line waits in the buffer up to 0.2 s (one write for
        thousands, not one each); anything else is shown at once."""
        from nstui.engine import events as ev

        if self.closed:
            return
        stream = stream or self.out
        try:
            stream.write(text)
            now = time.monotonic()
            if not isinstance(event, (ev.RecordEvent, ev.PageRead)) or now - self._flushed >= 0.2:
                self.out.flush()
                if self.results is not self.out:
                    self.results.flush()
                self._flushed = now
        except BrokenPipeError:
            self.closed = True
            if self.on_closed:
                self.on_closed()

    def __call__(self, event: Any) -> None:
        from nstui.engine import events as ev

        if self.as_json:
            data = event.to_dict()
            data["message"] = clean(data.get("message", ""), 2000)
            self.write(json.dumps(data, default=str) + "\n", self.results, event)
            return
        if isinstance(event, ev.Progress):
            if self.live:
                self.write("\r\033[K" + clean(event.message()))
                self._live_line = True
            return
        if isinstance(event, ev.PageRead) and not self.verbose:
            return
        planned = isinstance(event, ev.RecordEvent) and event.planned
        if isinstance(event, ev.RecordEvent) and not planned and not self.verbose and event.level == "info":
            return  # a real run reports counts; the plan of a dry run is every line
        if self._live_line:
            self.write("\r\033[K")
            self._live_line = False
        if planned:
            self.write(f"{clean(event.message(), 2000)}\n", self.results, event)
            return
        stamp = event.at.astimezone().isoformat(timespec="seconds")
        self.write(f"{stamp} {event.level:<7} {clean(event.message(), 2000)}\n", event=event)


def exit_code(summary: Any) -> int:
    """A pass's exit code: 4 when a remote system was out of reach or refused
    our credentials, 1 when records failed, 130 when SIGINT/SIGTERM stopped it
    (after the current page), else 0."""
    from nstui.cli import EXIT_INTERRUPTED, EXIT_OK, EXIT_RECORDS_FAILED, EXIT_REMOTE

    if summary.remote_failures:
        return EXIT_REMOTE
    if summary.total.errors:
        return EXIT_RECORDS_FAILED
    return EXIT_INTERRUPTED if summary.cancelled else EXIT_OK


def summary_table(summary: Any) -> str:
    head = (f"{'data set':<10} {'read':>7} {'created':>8} {'updated':>8} {'deleted':>8} {'status':>7} "
            f"{'lists':>6} {'skipped':>8} {'errors':>7}")
    lines = [head, "-" * len(head)]
    for name, c in summary.datasets.items():
        lines.append(
            f"{name:<10} {c.read:>7} {c.created:>8} {c.updated:>8} {c.deleted:>8} {c.status_changes:>7} "
            f"{c.list_changes:>6} {c.skipped_total:>8} {c.errors:>7}"
        )
    t = summary.total
    lines.append(
        f"{'total':<10} {t.read:>7} {t.created:>8} {t.updated:>8} {t.deleted:>8} {t.status_changes:>7} "
        f"{t.list_changes:>6} {t.skipped_total:>8} {t.errors:>7}"
    )
    if t.skipped:
        lines.append("skipped: " + "; ".join(f"{k}: {v}" for k, v in t.skipped.most_common()))
    calls = ", ".join(f"{k} {v}" for k, v in sorted(summary.api_calls.items()))
    dry = " (dry run: nothing written)" if summary.dry_run else ""
    lines.append(f"API calls: {calls or 'none'}; {summary.seconds:.1f}s{dry}")
    return "\n".join(lines)


def _install_stop(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):
            pass


def _remote_exit(e: Exception) -> int:
    from nstui.cli import EXIT_RECORDS_FAILED, EXIT_REMOTE
    from nstui.engine.errors import REMOTE_UNAVAILABLE

    print(f"nstui: {clean(e)}", file=sys.stderr)
    return EXIT_REMOTE if isinstance(e, REMOTE_UNAVAILABLE) else EXIT_RECORDS_FAILED


def cmd_sync(args: argparse.Namespace) -> int:
    from nstui.cli import CliError

    cfg = _load(args)
    plan_out: Path | None = getattr(args, "plan_out", None)
    if plan_out is not None and not args.dry_run:
        raise CliError("--plan-out saves the plan of a dry run: add --dry-run (then `nstui apply FILE`)")
    recorder = None
    if plan_out is not None:
        from nstui.engine.plans.record import PlanRecorder

        _no_unsettled_intents(cfg)
        recorder = PlanRecorder(cfg, plan_out)
    complete = False
    try:
        code, summary = _run_pass(args, cfg, lambda engine, stop: engine.run_once(
            args.dataset, dry_run=args.dry_run, cancel=stop, recorder=recorder), dry_run=args.dry_run)
        complete = summary is not None and not summary.cancelled and not summary.total.errors and all(
            status == "ok" for status in summary.dataset_status.values())
    finally:
        if recorder is not None:
            if complete:
                recorder.finish()
            else:
                recorder.abort()
    if recorder is not None and plan_out is not None:
        if complete:
            print(f"nstui: plan saved to {plan_out}: {recorder.operations} operations in {recorder.batches} "
                  f"batches; carry it out with: nstui apply {plan_out}", file=sys.stderr)
        else:
            print(f"nstui: no plan saved to {plan_out}: the dry run did not finish cleanly (see above)",
                  file=sys.stderr)
            code = code or 1
    return code


def _no_unsettled_intents(cfg: ConfigFile) -> None:
    from nstui.cli import CliError
    from nstui.engine.state import StateStore

    if not cfg.state_path.exists():
        return
    with StateStore(cfg.state_path, readonly=True) as state:
        try:
            left = state.count_intents()
        except Exception:  # noqa: BLE001 (a file from before the intent log: nothing to settle)
            left = 0
    if left:
        raise CliError(f"{cfg.state_path}: an interrupted run left {left} writes to settle; run `nstui sync` "
                       "first, then make the plan")


def cmd_apply(args: argparse.Namespace) -> int:
    from nstui.engine.plans.apply import apply_plan

    cfg = _load(args)
    code, _summary = _run_pass(args, cfg, lambda engine, stop: apply_plan(engine, args.plan, stop), dry_run=False)
    return code


def _run_pass(args: argparse.Namespace, cfg: ConfigFile, start: Callable[[Any, asyncio.Event], Any], *,
              dry_run: bool) -> tuple[int, Any]:
    """Run a pass of the engine (``start(engine, stop)``) with the headless
    log; its exit code and summary (None when it did not run)."""
    from nstui.cli import EXIT_LOCKED, EXIT_RECORDS_FAILED, output_closed
    from nstui.credentials import CredentialsError
    from nstui.engine import Engine, EngineError, LockedError
    from nstui.engine.errors import REMOTE_ERRORS
    from nstui.engine.events import EventBus

    bus = EventBus()
    log = HeadlessLog(sys.stderr, results=sys.stdout, as_json=args.json, dry_run=dry_run)
    bus.listen(log)
    engine = Engine(cfg, bus=bus)

    async def go() -> Any:
        stop = asyncio.Event()
        _install_stop(stop)
        log.on_closed = stop.set
        return await start(engine, stop)

    try:
        summary = asyncio.run(go())
    except LockedError as e:
        print(f"nstui: {e}", file=sys.stderr)
        return EXIT_LOCKED, None
    except CredentialsError as e:
        return _fail_on_credentials(e), None
    except REMOTE_ERRORS as e:
        return _remote_exit(e), None
    except EngineError as e:
        print(f"nstui: {clean(e)}", file=sys.stderr)
        return EXIT_RECORDS_FAILED, None
    if args.json:
        log.write(json.dumps({"event": "summary", **summary.to_dict()}) + "\n", sys.stdout)
    else:
        log.write(summary_table(summary) + "\n", sys.stdout)
    if log.closed:
        return output_closed(), summary
    return exit_code(summary), summary


def cmd_run(args: argparse.Namespace) -> int:
    from nstui import __version__
    from nstui.cli import EXIT_BAD_CONFIG, EXIT_LOCKED, EXIT_OK
    from nstui.credentials import CredentialsError
    from nstui.engine import Engine, LockedError
    from nstui.engine import events as ev
    from nstui.ops import logs

    cfg = _load(args)
    log = logs.configure(args.log_level, args.log_format, args.log_file)
    bus = ev.EventBus()
    bus.listen(logs.EventLogger(progress_every=args.progress_every))
    if args.json:
        bus.listen(HeadlessLog(sys.stderr, results=sys.stdout, as_json=True, dry_run=False))

        def summary_line(event: ev.Event) -> None:
            if isinstance(event, ev.RunFinished):
                sys.stdout.write(json.dumps({"event": "summary", **event.summary.to_dict()}) + "\n")
                sys.stdout.flush()

        bus.listen(summary_line)
    server = None
    if args.metrics:
        from nstui.ops.metrics import Metrics, MetricsServer, parse_address

        try:
            host, port = parse_address(args.metrics)
        except ValueError as e:
            print(f"nstui: {e}", file=sys.stderr)
            return EXIT_BAD_CONFIG
        metrics = Metrics(cfg)
        bus.listen(metrics)
        try:
            server = MetricsServer(metrics, host, port).start()
        except OSError as e:
            print(f"nstui: --metrics {args.metrics}: cannot listen: {e.strerror or e}", file=sys.stderr)
            return EXIT_BAD_CONFIG
        log.info("metrics on http://%s:%d/metrics, health check on /healthz", server.host, server.port)
    engine = Engine(cfg, bus=bus)
    log.info("nstui %s run started: config %s, state %s, data sets %s", __version__, cfg.path, cfg.state_path,
             ", ".join(engine.enabled()) or "none enabled")

    async def go() -> None:
        stop = asyncio.Event()
        _install_stop(stop)
        await engine.run_forever(stop)

    try:
        asyncio.run(go())
    except LockedError as e:
        log.error("%s", e)
        return EXIT_LOCKED
    except CredentialsError as e:
        log.error("%s", e)
        return EXIT_BAD_CONFIG
    finally:
        if server is not None:
            server.stop()
    log.info("stopped")
    return EXIT_OK


def _ago(dt: datetime | None) -> str:
    if dt is None:
        return "never"
    return dt.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def cmd_status_check(args: argparse.Namespace) -> int:
    from nstui.cli import EXIT_OK, EXIT_RECORDS_FAILED
    from nstui.ops.health import overdue, read_health

    cfg = _load(args)
    problems = overdue(read_health(cfg), datetime.now(timezone.utc))
    if args.json:
        print(json.dumps({"healthy": not problems, "overdue": problems, "state": str(cfg.state_path)}))
    else:
        print("\n".join(problems) if problems else "healthy: every enabled data set succeeded within 2x its poll_interval")
    return EXIT_RECORDS_FAILED if problems else EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    from nstui.engine import Engine

    if args.check:
        return cmd_status_check(args)
    cfg = _load(args)
    rows = Engine(cfg).status()
    now = datetime.now(timezone.utc)
    if args.json:
        data = []
        for st, due, enabled in rows:
            data.append({
                "dataset": st.dataset, "enabled": enabled,
                "last_run": st.last_run.isoformat() if st.last_run else None,
                "last_status": st.last_status, "last_counts": st.last_counts,
                "last_success": st.last_success.isoformat() if st.last_success else None,
                "watermark": st.watermark.isoformat() if st.watermark else None,
                "next_due": (due or now).isoformat() if enabled else None,
                "recent_errors": [{"key": clean(k, 200), "reason": clean(r)} for k, _, r in st.recent_problems],
            })
        print(json.dumps(data, indent=2))
        return 0
    print(f"state: {cfg.state_path}")
    for st, due, enabled in rows:
        counts = st.last_counts or {}
        c = ", ".join(f"{k} {v if not isinstance(v, dict) else sum(v.values())}" for k, v in counts.items()) or "-"
        next_due = "disabled" if not enabled else ("now" if due is None or due <= now else _ago(due))
        print(f"\n{st.dataset}: last run {_ago(st.last_run)} ({st.last_status or '-'}), next due {next_due}")
        print(f"  watermark {_ago(st.watermark)}; last counts: {c}")
        for key, _, reason in st.recent_problems:
            print(f"  error {clean(key, 200)}: {clean(reason)}")
    return 0


# -- sandbox -----------------------------------------------------------------


def cmd_doctor(args: argparse.Namespace) -> int:
    from nstui.connections import open_connections
    from nstui.doctor import Check, report, run_doctor

    cfg = _load(args)

    async def go() -> list[Check]:
        async with open_connections(cfg) as conn:
            return await run_doctor(cfg.model, conn.netsuite, conn.marketing)

    try:
        checks = asyncio.run(go())
    except Exception as e:  # noqa: BLE001 - credentials missing or a client that cannot be opened: one failed check
        checks = [Check("nstui", "connections", False, clean(e), "set the named environment variables")]
    if args.json:
        print(json.dumps([c.to_dict() for c in checks], indent=2))
    else:
        print(report(checks))
    return 0 if all(c.ok for c in checks) else 1


def cmd_sandbox(args: argparse.Namespace) -> int:
    from nstui.connections import open_sandboxes

    cfg = _load(args)
    if args.sandbox_command == "dump":
        boxes = open_sandboxes(cfg)
        try:
            json.dump(boxes.dump(), sys.stdout, default=str)
            sys.stdout.write("\n")
        finally:
            boxes.close()
        return 0
    return serve(cfg, args.port)


def serve(cfg: ConfigFile, port: int) -> int:
    import uvicorn

    from nstui.connections import open_sandboxes

    boxes = open_sandboxes(cfg)
    servers = [
        uvicorn.Server(uvicorn.Config(boxes.netsuite.app, host="127.0.0.1", port=port, log_level="warning",
                                      date_header=False)),  # the sandboxes send their own clock's Date
        uvicorn.Server(uvicorn.Config(boxes.marketing.app, host="127.0.0.1", port=port + 1, log_level="warning",
                                      date_header=False)),
    ]
    print(f"NetSuite sandbox:  http://127.0.0.1:{port}   (set netsuite.base_url to this)")
    print(f"Marketing sandbox: http://127.0.0.1:{port + 1}   (set marketing.base_url to this)")
    print(f"Credentials: {cfg.sandbox_dir / 'credentials.json'} (used when the env variables are unset)")
    print("Ctrl+C stops.", flush=True)

    async def go() -> None:
        await asyncio.gather(*(s.serve() for s in servers))

    try:
        asyncio.run(go())
    except KeyboardInterrupt:
        pass
    finally:
        boxes.close()
    return 0
