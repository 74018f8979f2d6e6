"""The saved plan's file format: JSON Lines, one object per line, so a plan
of any size is written and read a line at a time.

1. ``{"nstui_plan": 1, ...}`` the header: format version, when, the nstui
   that wrote it, the configuration (its path and a digest of the settings a
   sync uses) and the accounts and state file it was made for;
2. ``{"batch": n, "dataset": ..., "steps": [...], "after": [...],
   "netsuite": {...}, "marketing": {...}}`` one plan the dry run carried out,
   in order: each step's operation (with its rule and record), the events it
   is reported as and the state it leaves (``ops.py``); then the digests of
   the records it concerns as read from NetSuite (by record id) and from the
   platform (by email) when it was made;
   ``{"consent": dataset, "rows": [...]}`` consent history the pass
   recorded beside its plans (an opt-out read from the platform), before the
   plan that followed it;
3. ``{"state": dataset, "digests" | "pending": [...]}`` the bookkeeping a
   pass leaves for the records it read (which rows are settled, which are
   read again);
4. ``{"dataset": name, "base": {...}, "watermarks": {...}, "lists": {...}}``
   a data set's end: its watermarks before and after the plan and the lists
   its operations name (a negative id: a list the plan creates);
5. ``{"end": {"lines": n, "sha256": ...}}`` the number of lines before it
   and their checksum: a file cut short or edited is refused.
"""

from __future__ import annotations

import hashlib
import json
import os
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from nstui.config import DATASETS
from nstui.engine.datasets.ops import Step
from nstui.files import PRIVATE, atomic_file

FORMAT_VERSION = 1


class PlanFileError(Exception):
    """A plan file that cannot be used (missing, garbage, cut short, edited,
    another format version)."""

    exit_code = 2


class _Aborted(Exception):
    pass


class PlanWriter:
    """Lines go to a temporary file beside ``path`` (mode 0600: plans hold
    people's emails); ``finish`` puts it in place at once, ``abort`` drops it."""

    def __init__(self, path: Path, header: dict[str, Any]):
        self.path = path
        self._stack = ExitStack()
        self._file = self._stack.enter_context(atomic_file(path, new_mode=PRIVATE))
        self._sha = hashlib.sha256()
        self.lines = 0
        self.write({"nstui_plan": FORMAT_VERSION, **header})

    def write(self, obj: dict[str, Any]) -> None:
        line = json.dumps(obj, separators=(",", ":"), default=str) + "\n"
        self._file.write(line)
        self._sha.update(line.encode())
        self.lines += 1

    def finish(self) -> None:
        self._file.write(json.dumps({"end": {"lines": self.lines, "sha256": self._sha.hexdigest()}}) + "\n")
        self._stack.close()

    def abort(self) -> None:
        error = _Aborted()
        self._stack.__exit__(_Aborted, error, None)


@dataclass
class DatasetEnd:
    name: str
    base: dict[str, str | None]
    watermarks: dict[str, str | None]
    lists: dict[str, int]


@dataclass
class Batch:
    line: int
    dataset: str
    steps: list[Step]
    after: list[Step]
    netsuite: dict[str, str]
    marketing: dict[str, str]


@dataclass
class PlanFile:
    """A plan file read once whole (``open``: every line checked, nothing
    kept but the header and each data set's end), then streamed again."""

    path: Path
    header: dict[str, Any]
    datasets: dict[str, DatasetEnd] = field(default_factory=dict)
    operations: int = 0
    _stamp: tuple[int, int] = (0, 0)

    @classmethod
    def open(cls, path: Path) -> "PlanFile":
        plan = cls(path, {})
        plan._stamp = plan._file_stamp()
        sha = hashlib.sha256()
        count = 0
        ended = False
        for number, raw, obj in plan._raw_lines():
            if ended:
                raise plan.error(f"line {number}: text after the end line")
            if number == 1:
                plan.header = plan._check_header(obj)
            elif "end" in obj:
                end = obj["end"]
                if not isinstance(end, dict) or end.get("lines") != count or end.get("sha256") != sha.hexdigest():
                    raise plan.error("the file was changed after nstui wrote it (its checksum differs); "
                                     "make a new plan")
                ended = True
                continue
            else:
                plan._check_line(number, obj)
            sha.update(raw)
            count += 1
        if not ended:
            raise plan.error("incomplete: no end line (cut short, or not written by nstui sync --plan-out)")
        return plan

    def error(self, text: str) -> PlanFileError:
        return PlanFileError(f"{self.path}: {text}")

    # -- reading -------------------------------------------------------------

    def _file_stamp(self) -> tuple[int, int]:
        try:
            st = os.stat(self.path)
        except OSError as e:
            raise self.error(f"cannot read: {e.strerror or e}") from None
        return st.st_size, st.st_mtime_ns

    def _raw_lines(self) -> Iterator[tuple[int, bytes, dict[str, Any]]]:
        try:
            f = open(self.path, "rb")  # noqa: SIM115 (closed below; a generator)
        except OSError as e:
            raise self.error(f"cannot read: {e.strerror or e}") from None
        with f:
            for number, raw in enumerate(f, 1):
                try:
                    obj = json.loads(raw)
                except (ValueError, UnicodeDecodeError):
                    if number == 1:
                        raise self.error("not a plan written by nstui sync --dry-run --plan-out "
                                         "(its first line is no JSON)") from None
                    raise self.error(f"line {number}: not JSON") from None
                if not isinstance(obj, dict):
                    raise self.error(f"line {number}: not a JSON object")
                yield number, raw, obj

    def _check_header(self, obj: dict[str, Any]) -> dict[str, Any]:
        version = obj.get("nstui_plan")
        if version is None:
            raise self.error("not a plan written by nstui sync --dry-run --plan-out (no nstui_plan header)")
        if version != FORMAT_VERSION:
            raise self.error(f"plan format version {version!r}; this nstui reads version {FORMAT_VERSION} "
                             "(make the plan again with this nstui)")
        for key in ("config", "accounts", "state"):
            if not isinstance(obj.get(key), dict):
                raise self.error(f"line 1: the header has no {key!r}")
        return obj

    def _check_line(self, number: int, obj: dict[str, Any]) -> None:
        try:
            if "batch" in obj:
                batch = self._batch(number, obj)
                if batch.dataset not in DATASETS:
                    raise ValueError(f"unknown data set {batch.dataset!r}")
                self.operations += sum(1 for s in batch.steps if s.op is not None)
            elif "consent" in obj:
                for row in obj["rows"]:
                    if not isinstance(row, dict) or not isinstance(row.get("email"), str):
                        raise ValueError(f"not a consent row: {row!r}")
            elif "state" in obj:
                for key in ("digests", "pending"):
                    for pair in obj.get(key, ()):
                        if not (isinstance(pair, list) and len(pair) == 2):
                            raise ValueError(f"{key}: not a pair: {pair!r}")
            elif "dataset" in obj:
                if obj["dataset"] not in DATASETS:
                    raise ValueError(f"unknown data set {obj['dataset']!r}")
                end = DatasetEnd(str(obj["dataset"]), dict(obj["base"]), dict(obj["watermarks"]),
                                 {str(k): int(v) for k, v in dict(obj["lists"]).items()})
                self.datasets[end.name] = end
            else:
                raise ValueError(f"unknown kind of line (keys {', '.join(sorted(obj))})")
        except KeyError as e:
            raise self.error(f"line {number}: unknown or missing {e} (not a line nstui writes)") from None
        except (TypeError, ValueError) as e:
            raise self.error(f"line {number}: {e}") from None

    @staticmethod
    def _batch(number: int, obj: dict[str, Any]) -> Batch:
        return Batch(
            line=number, dataset=str(obj["dataset"]),
            steps=[Step.from_dict(s) for s in obj["steps"]],
            after=[Step.from_dict(s) for s in obj["after"]],
            netsuite={str(k): str(v) for k, v in dict(obj["netsuite"]).items()},
            marketing={str(k): str(v) for k, v in dict(obj["marketing"]).items()},
        )

    def _again(self) -> Iterator[tuple[int, dict[str, Any]]]:
        if self._file_stamp() != self._stamp:
            raise self.error("the file changed while it was being applied")
        for number, _raw, obj in self._raw_lines():
            if number > 1 and "end" not in obj:
                yield number, obj

    def batches(self, dataset: str | None = None) -> Iterator[Batch]:
        for item in self.items(dataset):
            if isinstance(item, Batch):
                yield item

    def items(self, dataset: str | None = None) -> Iterator[Batch | list[dict[str, Any]]]:
        """A data set's plans and, between them, the consent rows recorded beside them, in order."""
        for number, obj in self._again():
            if "batch" in obj and (dataset is None or obj["dataset"] == dataset):
                yield self._batch(number, obj)
            elif "consent" in obj and (dataset is None or obj["consent"] == dataset):
                yield list(obj["rows"])

    def state_lines(self, dataset: str) -> Iterator[dict[str, Any]]:
        for _number, obj in self._again():
            if obj.get("state") == dataset:
                yield obj
