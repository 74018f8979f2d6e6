"""Each bad input of the issue's crash list: a clear one-line message, exit
2, the file untouched, never a traceback (exit 70)."""

from __future__ import annotations

import os
import stat
import threading

import pytest

from nstui.cli import main
from nstui.credentials import secret_reason

BAD_SETS = [
    ("datasets.items.poll_interval", '"99999999999d"', "poll_interval"),
    ("engine.watermark_overlap", "1e300", "watermark_overlap"),
    ("engine.skew_tolerance", "nan", "skew_tolerance"),
    ("netsuite.account_id.sub", "1", "is a value, not a table"),
    ("optins.campaign_subscriptions.x.list", "a", "no such key"),
    ("tui.theme", '"dark\\u001b]0;pwned\\u0007"', "control characters"),
    ("marketing.company", '"Acme\\u009b2J"', "control characters"),
    ("a.\x1bb", "1", "not a dotted key"),
    ("marketing.mode", "live", None),  # allowed: the default URL is https
    ("marketing.base_url", '"http://example.com"', "live mode needs https"),
]


@pytest.mark.parametrize("key,value,expected", BAD_SETS)
def test_config_set_refuses_without_a_crash(sample_copy, capsys, figures, key, value, expected):
    if key == "marketing.base_url":
        assert main(["config", "set", "--config", str(sample_copy), "marketing.mode", "live"]) == 0
    before = sample_copy.read_bytes()
    code = main(["config", "set", "--config", str(sample_copy), key, value])
    err = capsys.readouterr().err
    figures["bad_inputs"] = 1
    if expected is None:
        assert code == 0
        return
    assert code == 2, err
    assert expected in err and "Traceback" not in err and "\x1b" not in err and "\x9b" not in err
    assert len(err.strip().splitlines()) == 1
    assert sample_copy.read_bytes() == before


@pytest.mark.parametrize("text,expected", [
    ('[engine]\nwatermark_overlap = 1e300\n', "at most 366d"),
    ('[datasets.customers]\npoll_interval = "99999999999d"\n', "at most 366d"),
    ('[datasets.customers]\npoll_interval = 0\n', "poll_interval"),
    ('[sandbox]\nseed = -1\n', "sandbox.seed"),
    ('[tui]\ntheme = "x\\u001b[2J"\n', "control characters"),
])
def test_bad_values_in_the_file(tmp_path, capsys, figures, text, expected):
    path = tmp_path / "c.toml"
    path.write_text(text)
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert expected in err and "\x1b" not in err
    figures["bad_inputs"] = 1


def test_config_get_never_prints_a_raw_escape(tmp_path, capsys, figures):
    """A `tui.theme` holding ESC, written into the file by hand: `config get`
    refuses the file in one escaped line instead of printing it."""
    path = tmp_path / "c.toml"
    path.write_text('[tui]\ntheme = "x\\u001b]0;pwned\\u0007"\n')
    assert main(["config", "get", "--config", str(path), "tui.theme"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "control characters" in captured.err
    assert "\x1b" not in captured.err and "\x07" not in captured.err and len(captured.err.strip().splitlines()) == 1
    figures["bad_inputs"] = 1


def test_a_bom_is_read(tmp_path, sample_copy, capsys):
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + sample_copy.read_bytes())
    assert main(["validate", str(path)]) == 0


@pytest.mark.parametrize("kind", ["dev_zero", "fifo", "directory", "huge", "binary"])
def test_only_regular_small_text_files_are_read(tmp_path, capsys, figures, kind):
    path = tmp_path / "c.toml"
    if kind == "dev_zero":
        path = "/dev/zero"
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "directory":
        path.mkdir()
    elif kind == "huge":
        path.write_text("# " + "x" * (2 * 1024 * 1024))
    else:
        path.write_bytes(b"\xff\xfe\x00bad")
    done: list[int] = []
    t = threading.Thread(target=lambda: done.append(main(["validate", str(path)])), daemon=True)
    t.start()
    t.join(10)
    assert done == [2]  # no hang on the FIFO, no MemoryError on /dev/zero
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    figures["bad_inputs"] = 1


def test_config_set_through_a_symlink_keeps_the_link(tmp_path, sample_copy, capsys):
    link = tmp_path / "link.toml"
    link.symlink_to(sample_copy)
    os.chmod(sample_copy, 0o640)
    assert main(["config", "set", "--config", str(link), "sandbox.records", "77"]) == 0
    assert link.is_symlink()
    assert "records = 77" in sample_copy.read_text()
    assert stat.S_IMODE(sample_copy.stat().st_mode) == 0o640


def test_secret_check_refuses_real_secrets_and_keeps_names():
    import secrets

    names = ["NSTUI_NS_CONSUMER_KEY", "NSTUI_DD_PASSWORD", "MyConsumerKey", "ACME_NS_SB1_TOKEN",
             "NETSUITE_1234567_SB1_TOKEN_ID", "DD_PASSWORD_20240115", "OAuth2TokenSecret", "AWSSecretAccessKey"]
    assert [n for n in names if secret_reason(n)] == []
    # NetSuite's secrets are 64 hex digits (48 and 32 are other tokens' lengths);
    # those starting with a letter are valid names.
    for size in (32, 24, 16):
        hex_secrets = [s for s in (secrets.token_hex(size) for _ in range(400)) if s[0].isalpha()]
        assert hex_secrets and all(secret_reason(s) for s in hex_secrets), size


def test_a_refused_secret_is_not_echoed(tmp_path, capsys):
    value = "a3f9c2e1b4d5a6f7e8d9c0b1a2f3e4d5c6b7a8f9e0d1c2b3a4f5e6d7c8b9a0f1"
    path = tmp_path / "c.toml"
    path.write_text(f'[netsuite]\ntoken_secret_env = "{value}"\n')
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "netsuite.token_secret_env" in err and value[:8] not in err and "64 characters" in err


@pytest.mark.parametrize("key,value", [("state.path", "{tmp}"), ("state.path", "/proc/nope/state.sqlite"),
                                       ("sandbox.data_dir", "/proc/nope")])
def test_a_path_that_cannot_be_used_is_exit_2(tmp_path, monkeypatch, capsys, figures, key, value):
    from .conftest import embedded_config

    monkeypatch.delenv("NSTUI_STATE")
    cfg = embedded_config(tmp_path, records=5)
    assert main(["config", "set", "--config", str(cfg), key, value.format(tmp=tmp_path)]) == 0
    capsys.readouterr()
    assert main(["sync", "--once", "-d", "items", "--config", str(cfg)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("nstui: cannot use") and "Traceback" not in err
    assert not (tmp_path.parent / (tmp_path.name + ".lock")).exists()
    figures["bad_inputs"] = 1
