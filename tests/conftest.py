import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "nstui" / "sample_config.toml"


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path):
    """No test sees the developer's own nstui variables or state."""
    for name in list(os.environ):
        if name.startswith("NSTUI_"):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NSTUI_STATE", str(tmp_path / "state.sqlite"))


@pytest.fixture
def sample_copy(tmp_path) -> Path:
    path = tmp_path / "nstui.toml"
    path.write_text(SAMPLE.read_text())
    return path
