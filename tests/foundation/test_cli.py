"""The headless CLI: exit codes, messages, and files left untouched."""

import subprocess
import sys
from pathlib import Path

from nstui.cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_validate_sample_exits_0(capsys):
    assert main(["validate", str(ROOT / "sample_config.toml")]) == 0
    assert "valid" in capsys.readouterr().out


def test_validate_bad_file_exits_2(tmp_path, capsys):
    p = tmp_path / "bad.toml"
    p.write_text("[netsuite]\nconcurrency = 0\nunknown = 1\n")
    assert main(["--config", str(p), "validate"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and all(str(p) in line for line in err)


def test_missing_file_exits_2(tmp_path, capsys):
    assert main(["validate", str(tmp_path / "missing.toml")]) == 2
    assert "file not found" in capsys.readouterr().err


def test_config_from_env(tmp_path, monkeypatch, sample_copy, capsys):
    monkeypatch.setenv("NSTUI_CONFIG", str(sample_copy))
    assert main(["config", "get", "netsuite.concurrency"]) == 0
    assert capsys.readouterr().out.strip() == "1"


def test_config_default_is_nstui_toml(tmp_path, monkeypatch, sample_copy, capsys):
    monkeypatch.chdir(sample_copy.parent)
    assert main(["validate"]) == 0


def test_config_get_unknown_key(sample_copy, capsys):
    assert main(["config", "--config", str(sample_copy), "get", "netsuite.nothing"]) == 2
    assert "netsuite.nothing: no such key" in capsys.readouterr().err


def test_config_set_sideways_refused_file_identical(sample_copy, capsys):
    before = sample_copy.read_bytes()
    code = main(["config", "set", "--config", str(sample_copy), "optins.global_status.direction", "sideways"])
    assert code == 2
    err = capsys.readouterr().err
    assert "optins.global_status.direction" in err
    assert "'bronto_to_netsuite'" in err and "'both'" in err
    assert sample_copy.read_bytes() == before


def test_config_set_cross_field_refused(sample_copy, capsys):
    before = sample_copy.read_bytes()
    code = main(["-c", str(sample_copy), "config", "set", "datasets.customers.fields.6.direction", "both"])
    assert code == 2
    assert "address fields" in capsys.readouterr().err
    assert sample_copy.read_bytes() == before


def test_config_set_list_value(sample_copy, capsys):
    code = main(["-c", str(sample_copy), "config", "set", "optins.global_status.add_opt_ins_to_lists", '["VIP", "Events"]'])
    assert code == 0
    assert main(["-c", str(sample_copy), "config", "get", "optins.global_status.add_opt_ins_to_lists"]) == 0
    assert '"Events"' in capsys.readouterr().out


def test_config_set_changes_one_line(sample_copy):
    before = sample_copy.read_text().splitlines()
    assert main(["-c", str(sample_copy), "config", "set", "netsuite.concurrency", "2"]) == 0
    after = sample_copy.read_text().splitlines()
    assert sum(a != b for a, b in zip(before, after)) == 1 and len(before) == len(after)


def test_console_script_no_traceback(tmp_path):
    p = tmp_path / "x.toml"
    p.write_text("[[[")
    r = subprocess.run([sys.executable, "-m", "nstui.cli", "validate", str(p)], capture_output=True, text=True)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr and "invalid TOML" in r.stderr
