"""One run at a time per pair of accounts (NetSuite account + marketing
account): an OS lock the kernel releases when the process dies, so a killed
sync never leaves a stale lock behind.

The lock is named after the pair, not after the state file: two
configurations that name different state files for the same two accounts
still never run at once (they would write the same records twice). A second
lock beside the state file keeps two configurations of different accounts
off one state file. Lock files are 0600 (the holder's line names a pid).
"""

from __future__ import annotations

import errno
import hashlib
import os
import socket
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from filelock import FileLock, Timeout

from nstui.engine.errors import LockedError
from nstui.files import PRIVATE

if TYPE_CHECKING:
    from nstui.config import ConfigFile


def lock_dir() -> Path:
    """Where the pair locks live: $NSTUI_LOCK_DIR, else the user's runtime
    folder ($XDG_RUNTIME_DIR/nstui), else the user data folder's locks/."""
    env = os.environ.get("NSTUI_LOCK_DIR")
    if env:
        return Path(env)
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime:
        return Path(runtime) / "nstui"
    import platformdirs

    return Path(platformdirs.user_data_dir("nstui")) / "locks"


def accounts_key(cfg: "ConfigFile") -> str:
    """The pair of accounts a configuration syncs, as a digest. A sandbox's
    account is its data folder (each folder is a separate account)."""
    from nstui.credentials import CredentialsError, marketing_credentials

    m = cfg.model
    try:
        user = marketing_credentials(cfg).username
    except CredentialsError:
        user = ""  # the run will stop on it anyway; the URL still names the account's region
    parts = [m.netsuite.mode, m.netsuite.account_id.lower(), m.netsuite.url.lower(),
             m.marketing.mode, m.marketing.url.lower(), user.lower()]
    if "sandbox" in (m.netsuite.mode, m.marketing.mode):
        parts.append(str(cfg.sandbox_dir.resolve()))
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:20]


class RunLock:
    def __init__(self, state_path: Path, *, accounts: str | None = None):
        if state_path.is_dir():  # its lock would land beside the folder ("/" -> "/.lock")
            raise IsADirectoryError(errno.EISDIR, "the state file is a folder", str(state_path))
        state_path.parent.mkdir(parents=True, exist_ok=True)
        paths = [Path(str(state_path) + ".lock")]
        if accounts:
            folder = lock_dir()
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            paths.insert(0, folder / f"accounts-{accounts}.lock")
        self._locks = [FileLock(str(p), mode=PRIVATE) for p in paths]
        self._infos = [Path(str(p) + ".info") for p in paths]
        self._held: list[FileLock] = []

    @classmethod
    def for_config(cls, cfg: "ConfigFile") -> "RunLock":
        return cls(cfg.state_path, accounts=accounts_key(cfg))

    def acquire(self) -> None:
        for lock, info in zip(self._locks, self._infos):
            try:
                lock.acquire(timeout=0)
            except Timeout:
                self.release()
                raise LockedError(self._holder(info)) from None
            self._held.append(lock)
        started = datetime.now(timezone.utc).isoformat(timespec="seconds")
        for info in self._infos:
            fd = os.open(info, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE)
            with os.fdopen(fd, "w") as f:
                f.write(f"pid {os.getpid()} on {socket.gethostname()} since {started}")

    @staticmethod
    def _holder(info: Path) -> str:
        try:
            return info.read_text().strip()[:200] or "unknown process"
        except OSError:
            return "unknown process"

    def holder(self) -> str:
        return self._holder(self._infos[0])

    def release(self) -> None:
        for lock, info in zip(self._locks, self._infos):
            if lock in self._held:
                try:
                    info.unlink()
                except OSError:
                    pass
                lock.release()
        self._held.clear()

    def __enter__(self) -> "RunLock":
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
