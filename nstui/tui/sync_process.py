"""The console's sync in a process of its own.

On a thread of the console's process the engine (and the embedded sandboxes
it talks to) held the interpreter lock most of the time: the console's loop
waited for it after every read of a key and every write to the terminal
(py-spy during a 10,000-record sync: 78 % of the samples holding the lock
were the engine's and the sandboxes'; key p99 181-266 ms). In a process of
its own the engine shares nothing with the console but two pipes.

    python -m nstui.tui.sync_process        (started by the console only)

The console writes the run (configuration path and text, saved or not, and
dry_run) to the child's stdin, pickled; the child writes pickled messages to
its stdout: batches of events (one per ~50 ms, not one per event), then the
run's summary or why it failed. Any byte on stdin, or its end (the console is
gone), cancels the run: the engine stops after its page, as before. Signals
the terminal sends (SIGINT, SIGHUP when SSH drops) are the console's to
handle: the child ignores them.
"""

from __future__ import annotations

import os
import pickle
import queue
import signal
import subprocess
import sys
import tempfile
import threading
from typing import IO, Any, Callable

from nstui.engine import events as ev

#: How long the child gathers events before sending them: the log draws
#: every 0.1 s at most, so a batch per 50 ms costs the console nothing it sees.
SEND_EVERY_S = 0.05
#: The run's priority below the console's (Unix nice): a sync against the real
#: APIs waits on the network, so this costs it little; the embedded sandboxes'
#: CPU-bound runs are slower on a loaded machine.
NICENESS = 10


class SyncFailed(Exception):
    """The run failed in the child (the configuration or the state refused
    it, or a remote system failed); the message says how."""


class SyncProcess:
    def __init__(self, path: str, text: str, *, dry_run: bool):
        """Start running the configuration ``text`` (read from ``path``)."""
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 (closed by wait(), when the child has ended)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "nstui.tui.sync_process"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=self._stderr, close_fds=True)
        assert self.process.stdin is not None and self.process.stdout is not None
        self._stdin: IO[bytes] = self.process.stdin
        self._stdout: IO[bytes] = self.process.stdout
        self._stdin.write(pickle.dumps((path, text, dry_run)))
        self._stdin.flush()
        self._cancelled = False

    def cancel(self) -> None:
        """Stop after the current page."""
        if not self._cancelled:
            self._cancelled = True
            try:
                self._stdin.write(b"x")
                self._stdin.flush()
            except (OSError, ValueError):  # the child has ended already
                pass

    def wait(self, publish: Callable[[ev.Event], None]) -> ev.RunSummary:
        """Publish the child's events as they come; the run's summary at the
        end. Blocks: run it on a thread."""
        try:
            while True:
                try:
                    kind, payload = pickle.load(self._stdout)
                except (EOFError, OSError, pickle.UnpicklingError):
                    raise SyncFailed(self._ended()) from None
                if kind == "events":
                    for event in payload:
                        publish(event)
                elif kind == "summary":
                    return payload  # type: ignore[no-any-return]
                else:
                    raise SyncFailed(payload)
        finally:
            self._stdout.close()
            try:
                self._stdin.close()
            except OSError:
                pass
            self.process.wait()
            self._stderr.close()

    def _ended(self) -> str:
        code = self.process.wait()
        self._stderr.seek(0)
        last = [line for line in self._stderr.read().decode(errors="replace").splitlines() if line.strip()][-1:]
        return f"the sync process ended without a summary (exit code {code})" + (f": {last[0]}" if last else "")


def _child() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    # On a busy machine the admin's keys come first: the run takes the CPU the console leaves.
    os.nice(NICENESS)
    # The results go to the console on what was stdout; a stray print lands in stderr (a file the console reads
    # only when the child fails), never in the stream of results.
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    commands = sys.stdin.buffer
    path, text, dry_run = pickle.load(commands)

    import asyncio

    from nstui.config import ConfigFile
    from nstui.engine import EngineError
    from nstui.engine.runner import Engine

    cancel = threading.Event()  # the engine asks only is_set()
    lost = threading.Event()

    def listen() -> None:
        commands.read(1)  # a byte: cancel; the end of the file: the console is gone, cancel too
        cancel.set()

    pending: queue.SimpleQueue[ev.Event | None] = queue.SimpleQueue()

    def send(message: tuple[str, Any]) -> None:
        if lost.is_set():
            return
        try:
            pickle.dump(message, out, protocol=pickle.HIGHEST_PROTOCOL)
            out.flush()
        except OSError:  # the console is gone: stop after this page
            lost.set()
            cancel.set()

    def sender() -> None:
        done = False
        while not done:
            batch = [pending.get()]
            lost.wait(SEND_EVERY_S)  # gather a batch; a lost console ends the wait at once
            while True:
                try:
                    batch.append(pending.get_nowait())
                except queue.Empty:
                    break
            done = batch[-1] is None
            events = [e for e in batch if e is not None]
            if events:
                send(("events", events))

    threading.Thread(target=listen, name="nstui-sync-cancel", daemon=True).start()
    events_thread = threading.Thread(target=sender, name="nstui-sync-events", daemon=True)
    events_thread.start()
    bus = ev.EventBus()
    bus.listen(pending.put)
    result: tuple[str, Any]
    try:
        engine = Engine(ConfigFile.from_text(path, text), bus=bus)
        # "Run now" means every enabled data set, due or not.
        result = ("summary", asyncio.run(engine.run_once(engine.enabled(), dry_run=dry_run,
                                                           cancel=cancel)))  # type: ignore[arg-type]
    except EngineError as e:
        result = ("failed", str(e))
    except Exception as e:  # noqa: BLE001 (a remote system or the state file failed: reported to the console)
        result = ("failed", f"{e.__class__.__name__}: {e}")
    pending.put(None)
    events_thread.join()
    send(result)
    out.close()


if __name__ == "__main__":
    _child()
