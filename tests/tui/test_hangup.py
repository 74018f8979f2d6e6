"""The SSH connection drops: the console gets SIGHUP in a real pseudo-terminal
and leaves the unsaved edits beside the configuration, never in it."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX pseudo-terminals")


class Terminal:
    """A child process on a pseudo-terminal, with what it drew so far."""

    def __init__(self, args: list[str], cwd: Path):
        self.master, slave = pty.openpty()
        env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "80", "LINES": "24"}
        # Textual draws on stderr: all three are the terminal, as over SSH.
        self.proc = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, cwd=cwd,
                                     env=env, start_new_session=True)
        os.close(slave)
        self.screen = b""

    def drain(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            ready, _, _ = select.select([self.master], [], [], 0.05)
            if ready:
                try:
                    self.screen += os.read(self.master, 65536)
                except OSError:
                    return

    def wait_for(self, text: bytes, timeout: float = 30) -> None:
        end = time.monotonic() + timeout
        while text not in self.screen:
            assert time.monotonic() < end, f"{text!r} never drawn"
            self.drain(0.1)

    def press(self, keys: bytes) -> None:
        os.write(self.master, keys)
        self.drain(0.3)


def console_with_an_unsaved_edit(tmp_path: Path) -> tuple[Terminal, Path, bytes]:
    config = tmp_path / "nstui.toml"
    config.write_text((ROOT / "sample_config.toml").read_text().replace("records = 2000", "records = 40"))
    before = config.read_bytes()
    term = Terminal([sys.executable, "-m", "nstui.cli", "--config", str(config)], tmp_path)
    try:
        term.wait_for(b"Campaign")
        term.press(b"2")
        term.wait_for(b"CAN-SPAM")
        term.screen = b""
        term.press(b" ")                                 # Enable Connection off: an unsaved edit
        term.wait_for(b"modified")
    except BaseException:
        term.proc.kill()
        os.close(term.master)
        raise
    return term, config, before


def assert_recovered(term: Terminal, config: Path, before: bytes) -> None:
    assert term.proc.returncode == 129
    assert config.read_bytes() == before
    recovery = config.with_name("nstui.toml.recovery")
    assert "enable_connection = false" in recovery.read_text()


def test_hangup_writes_recovery_and_leaves_config_alone(tmp_path):
    term, config, before = console_with_an_unsaved_edit(tmp_path)
    try:
        term.proc.send_signal(signal.SIGHUP)
        end = time.monotonic() + 20
        while term.proc.poll() is None and time.monotonic() < end:
            term.drain(0.1)
        term.drain(0.2)
    finally:
        if term.proc.poll() is None:
            term.proc.kill()
        os.close(term.master)
    assert_recovered(term, config, before)
    assert b"unsaved edits are in" in term.screen and b"Traceback" not in term.screen


def test_terminal_gone_without_sighup_writes_recovery(tmp_path):
    """Under `make demo` the hang-up signal goes to make, not to the console:
    the console notices that its terminal is gone and exits all the same.
    (Popen gives the child no controlling terminal: closing our end hangs the
    terminal up without any SIGHUP, as under make.)"""
    term, config, before = console_with_an_unsaved_edit(tmp_path)
    try:
        os.close(term.master)
        term.proc.wait(timeout=20)
    finally:
        if term.proc.poll() is None:
            term.proc.kill()
    assert_recovered(term, config, before)
