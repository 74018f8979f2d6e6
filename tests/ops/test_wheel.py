"""The wheel is whole: built from the checkout, installed into a fresh venv
outside it, it runs `--version`, validates its packaged sample and passes
`nstui demo --check` (themes and sample config read from the installed package).

Built once without build isolation (setuptools comes with the test extras)
and installed with --no-deps; the venv sees the test venv's dependencies
through a path file, but not its editable nstui (path files of that folder
are not processed), so the nstui it imports is the wheel's.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import nstui

ROOT = Path(__file__).resolve().parents[2]


def _run(cmd: list[str], cwd: Path, **kw: object) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NSTUI_", "PYTHON"))}
    env["HOME"] = str(cwd)  # no user themes or config from the developer's home
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env, timeout=180, **kw)  # type: ignore[call-overload]
    assert r.returncode == 0, f"{cmd}: {r.returncode}\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}"
    return r  # type: ignore[no-any-return]


def test_wheel_installs_and_runs_outside_the_checkout(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    # A copy, so the build's own folders never land in the checkout.
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / "nstui", src / "nstui", ignore=shutil.ignore_patterns("__pycache__"))
    dist = tmp_path / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
          "--disable-pip-version-check", "-q", "-w", str(dist), str(src)], tmp_path)
    (wheel,) = dist.glob("nstui-*.whl")

    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], tmp_path)
    py = venv / "bin" / "python"
    _run([sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps", "--no-index",
          "--disable-pip-version-check", "-q", str(wheel)], tmp_path)
    site = Path(_run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], tmp_path).stdout.strip())
    (site / "_nstui_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    work = tmp_path / "elsewhere"
    work.mkdir()
    where = _run([str(py), "-c", "import nstui; print(nstui.__file__)"], work).stdout.strip()
    assert where.startswith(str(site)), f"nstui imported from {where}, not the installed wheel"

    nstui_bin = str(venv / "bin" / "nstui")
    assert _run([nstui_bin, "--version"], work).stdout.strip() == f"nstui {nstui.__version__}"
    sample = site / "nstui" / "sample_config.toml"
    assert "valid" in _run([nstui_bin, "validate", str(sample)], work).stdout
    assert _run([nstui_bin, "demo", "--check", "--records", "20"], work).stdout.startswith("demo check: ok")
