"""deploy/: the systemd unit (systemd-analyze verify and its offline security
score where systemd-analyze exists, else parsed) and the Containerfile
(built where an engine answers, hadolint where installed, and always checked
for what operations rely on: non-root, state on a volume, no secrets, health
check)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from nstui.config import MarketingConfig, NetSuiteConfig

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
UNIT = DEPLOY / "nstui@.service"
CONTAINERFILE = DEPLOY / "Containerfile"
SECRET_NAMES = {
    NetSuiteConfig().consumer_key_env, NetSuiteConfig().consumer_secret_env,
    NetSuiteConfig().token_id_env, NetSuiteConfig().token_secret_env,
    MarketingConfig().username_env, MarketingConfig().password_env,
}


def _unit_settings(text: str) -> dict[str, list[str]]:
    """key -> values, over all sections (systemd allows a key more than once)."""
    out: dict[str, list[str]] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";", "[")):
            continue
        key, sep, value = line.partition("=")
        assert sep, f"not key=value: {line!r}"
        out.setdefault(key.strip(), []).append(value.strip())
    return out


def test_unit_hardening_and_wiring() -> None:
    s = _unit_settings(UNIT.read_text())
    assert s["DynamicUser"] == ["yes"] and s["ProtectSystem"] == ["strict"]
    assert s["StateDirectory"] == ["nstui/%i"] and s["UMask"] == ["0077"]
    assert s["EnvironmentFile"] == ["/etc/nstui/%i.env"]
    assert s["NoNewPrivileges"] == ["yes"] and s["CapabilityBoundingSet"] == [""]
    env = dict(v.split("=", 1) for v in s["Environment"])
    assert env["NSTUI_STATE"].startswith("%S/nstui/%i/")  # inside the StateDirectory, the only writable place
    assert s["ExecStart"][0].split()[:2] == ["/usr/local/bin/nstui", "run"]
    assert s["RestartPreventExitStatus"] == ["2 3"]


def test_env_example_names_every_secret_and_holds_none() -> None:
    values = dict(line.split("=", 1) for line in (DEPLOY / "nstui.env.example").read_text().splitlines()
                  if line and not line.startswith("#"))
    assert SECRET_NAMES <= set(values)
    assert all(values[name] == "" for name in SECRET_NAMES)


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze not installed (the unit is parsed above)")
def test_unit_passes_systemd_analyze(tmp_path: Path) -> None:
    nstui_bin = shutil.which("nstui") or str(Path(__import__("sys").executable).with_name("nstui"))
    unit = tmp_path / "nstui@acme.service"  # an instance: verify needs one, and an ExecStart that exists here
    unit.write_text(UNIT.read_text().replace("/usr/local/bin/nstui", nstui_bin))
    r = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and not r.stderr.strip(), r.stderr
    # --threshold is in tenths of the printed exposure level (0-10): 20 = "2.0", systemd's "OK" band.
    sec = subprocess.run(["systemd-analyze", "security", "--offline=true", "--threshold=20", "--no-pager", str(unit)],
                         capture_output=True, text=True, timeout=60)
    if "offline" in sec.stderr and "unrecognized" in sec.stderr:
        pytest.skip("systemd-analyze too old for --offline")
    assert sec.returncode == 0, sec.stdout[-600:] + sec.stderr


def _instructions(text: str) -> list[tuple[str, str]]:
    joined = re.sub(r"\\\n", " ", text)
    out = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def test_containerfile_lint() -> None:
    ins = _instructions(CONTAINERFILE.read_text())
    stages = [i for i, (w, _) in enumerate(ins) if w == "FROM"]
    for i in stages:
        image = ins[i][1].split()[0]
        assert ":" in image.rsplit("/", 1)[-1] and not image.endswith(":latest"), f"unpinned base image {image}"
    final = ins[stages[-1]:]
    words = [w for w, _ in final]
    user = [a for w, a in final if w == "USER"]
    assert user and not user[-1].split(":")[0] in ("0", "root"), "the final stage must run as a non-root user"
    assert words.index("USER") < words.index("ENTRYPOINT") and words.index("USER") < words.index("CMD")
    for w in ("ENTRYPOINT", "CMD"):
        (arg,) = [a for x, a in final if x == w]
        json.loads(arg)  # exec form: SIGTERM reaches nstui, not a shell
    env_text = " ".join(a for w, a in final if w in ("ENV", "ARG"))
    assert not any(name in env_text for name in SECRET_NAMES), "secrets come from the environment at run time"
    state = re.search(r"NSTUI_STATE=(\S+)", env_text)
    assert state, "NSTUI_STATE is set"
    volumes = json.loads(next(a for w, a in final if w == "VOLUME"))
    assert str(Path(state.group(1)).parent) in volumes, "the state file lives on a volume"
    health = next(a for w, a in final if w == "HEALTHCHECK")
    assert '"status", "--check"' in health
    for w, a in ins:  # what is copied from the build context exists
        if w == "COPY" and "--from" not in a:
            for src in a.split()[:-1]:
                assert (ROOT / src).exists(), f"COPY {src}: not in the repository"


@pytest.mark.skipif(not shutil.which("hadolint"), reason="hadolint not installed")
def test_containerfile_hadolint() -> None:
    r = subprocess.run(["hadolint", "--ignore", "DL3008", str(CONTAINERFILE)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr


def _engine() -> str | None:
    for tool in ("podman", "docker"):
        if shutil.which(tool) and subprocess.run([tool, "info"], capture_output=True, timeout=30).returncode == 0:
            return tool
    return None


@pytest.mark.skipif(_engine() is None, reason="no container engine answers here (the Containerfile is linted above)")
def test_containerfile_builds_and_runs_as_non_root() -> None:
    tool = _engine()
    assert tool
    subprocess.run([tool, "build", "-f", str(CONTAINERFILE), "-t", "nstui-test", str(ROOT)], check=True, timeout=600)
    r = subprocess.run([tool, "run", "--rm", "--entrypoint", "id", "nstui-test", "-u"], capture_output=True, text=True)
    assert r.stdout.strip() != "0"
