"""The configuration model: every rule of both seeds that a file can break."""

import os
from pathlib import Path

import pytest

from nstui.config import Config, ConfigError, ConfigFile, atomic_write, parse_duration

MINIMAL = "[netsuite]\naccount_id = \"1234567-SB1\"\n"


def load(tmp_path: Path, text: str) -> ConfigFile:
    p = tmp_path / "c.toml"
    p.write_text(text)
    return ConfigFile.load(p)


def problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ConfigError) as e:
        load(tmp_path, text)
    return e.value.lines()


def test_sample_config_is_valid(sample_copy):
    cfg = ConfigFile.load(sample_copy)
    assert cfg.model.netsuite.mode == "sandbox"
    assert len(cfg.model.optins.campaign_subscriptions) == 2


def test_defaults_are_valid():
    Config()


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError) as e:
        ConfigFile.load(tmp_path / "nope.toml")
    assert "file not found" in str(e.value)


def test_invalid_toml_names_the_line(tmp_path):
    lines = problems(tmp_path, "[netsuite]\nmode = \"sandbox\"\nconcurrency = = 2\n")
    assert len(lines) == 1 and "line 3" in lines[0] and "c.toml" in lines[0]


def test_unknown_key(tmp_path):
    lines = problems(tmp_path, "[netsuite]\nconcurency = 2\n")
    assert lines == [f"{tmp_path / 'c.toml'}: netsuite.concurency: unknown key"]


def test_wrong_type(tmp_path):
    (line,) = problems(tmp_path, "[netsuite]\npage_size = \"many\"\n")
    assert "netsuite.page_size" in line and "'many'" in line


def test_page_size_out_of_range(tmp_path):
    (line,) = problems(tmp_path, "[netsuite]\npage_size = 5000\n")
    assert "netsuite.page_size" in line and "1000" in line and "5000" in line


def test_concurrency_at_least_one(tmp_path):
    (line,) = problems(tmp_path, "[netsuite]\nconcurrency = 0\n")
    assert "netsuite.concurrency" in line


def test_one_line_per_problem(tmp_path):
    lines = problems(tmp_path, "[netsuite]\nconcurrency = 0\npage_size = 0\nbogus = 1\n")
    assert len(lines) == 3


def test_secret_in_env_name_refused(tmp_path):
    (line,) = problems(tmp_path, "[netsuite]\ntoken_secret_env = \"c29a677df7d5439a-458c\"\n")
    assert "netsuite.token_secret_env" in line and "environment variable" in line


def test_global_status_direction_allowed_values(tmp_path):
    (line,) = problems(tmp_path, "[optins.global_status]\ndirection = \"sideways\"\n")
    assert "optins.global_status.direction" in line
    assert "'bronto_to_netsuite'" in line and "'both'" in line and "'sideways'" in line


def test_opt_in_status_allowed_values(tmp_path):
    (line,) = problems(tmp_path, "[optins.global_status]\nsoft_opt_in_status = \"active\"\n")
    assert "onboarding" in line and "unconfirmed" in line


def test_campaign_direction_allowed_values(tmp_path):
    (line,) = problems(
        tmp_path,
        "[[optins.campaign_subscriptions]]\nnetsuite_subscription = \"A\"\ndirection = \"up\"\nlist = \"A\"\n",
    )
    assert "optins.campaign_subscriptions.0.direction" in line and "both_netsuite_primary" in line


def test_campaign_subscription_mapped_twice(tmp_path):
    text = (
        "[[optins.campaign_subscriptions]]\nnetsuite_subscription = \"Newsletter\"\nlist = \"A\"\n"
        "[[optins.campaign_subscriptions]]\nnetsuite_subscription = \"newsletter\"\nlist = \"B\"\n"
    )
    (line,) = problems(tmp_path, text)
    assert "mapped twice" in line and "optins" in line


def test_list_name_empty(tmp_path):
    (line,) = problems(
        tmp_path, "[[optins.campaign_subscriptions]]\nnetsuite_subscription = \"A\"\nlist = \"  \"\n"
    )
    assert "optins.campaign_subscriptions.0.list" in line and "empty" in line


def test_opt_in_list_name_empty(tmp_path):
    (line,) = problems(tmp_path, "[optins.global_status]\nadd_opt_ins_to_lists = [\"\"]\n")
    assert "add_opt_ins_to_lists" in line and "empty" in line


def test_field_source_needs_field(tmp_path):
    (line,) = problems(tmp_path, "[optins]\nsource = \"field\"\n")
    assert "source_field" in line


def _fields(dataset: str, pairs: list[tuple[str, str, str]]) -> str:
    return "".join(
        f"[[datasets.{dataset}.fields]]\nnetsuite = \"{n}\"\nmarketing = \"{m}\"\ndirection = \"{d}\"\n"
        for n, m, d in pairs
    )


def test_bidirectional_address_needs_all_eight(tmp_path):
    text = _fields("customers", [("city", "CITY", "both"), ("zip", "ZIP", "both")])
    (line,) = problems(tmp_path, text)
    assert "datasets.customers" in line and "addressee" in line and "addr3" in line and "city" not in line.split("missing:")[1]


def test_bidirectional_address_with_all_eight_is_valid(tmp_path):
    from nstui.config import ADDRESS_FIELDS

    load(tmp_path, _fields("customers", [(a, a.upper(), "both") for a in ADDRESS_FIELDS]))


def test_one_way_address_may_be_partial(tmp_path):
    load(tmp_path, _fields("customers", [("city", "CITY", "netsuite_to_bronto")]))


def test_companies_need_isperson_and_companyname(tmp_path):
    text = "[datasets.customers]\nrecord_types = \"companies\"\n" + _fields("customers", [("isperson", "ISPERSON", "netsuite_to_bronto")])
    (line,) = problems(tmp_path, text)
    assert "companyname" in line and "isperson" not in line.split("needs")[1]


def test_both_record_types_need_company_fields(tmp_path):
    (line,) = problems(tmp_path, "[datasets.contacts]\nrecord_types = \"both\"\n")
    assert "isperson and companyname" in line


def test_multiselect_on_items_refused(tmp_path):
    text = "[[datasets.items.fields]]\nnetsuite = \"custitem_colours\"\nmarketing = \"colours\"\nnetsuite_type = \"multiselect\"\n"
    (line,) = problems(tmp_path, text)
    assert "multi-select" in line and "datasets.items" in line


def test_marketing_field_mapped_twice(tmp_path):
    (line,) = problems(tmp_path, _fields("contacts", [("firstname", "NAME", "both"), ("lastname", "name", "both")]))
    assert "mapped twice" in line


@pytest.mark.parametrize(
    "fragment",
    [
        "1=1; DROP TABLE customer",
        "status = 'A' -- comment",
        "id IN (SELECT id FROM customer)",
        "status = 'A' UNION SELECT 1",
        "foreigntotal >",
        "status = 'unterminated",
    ],
)
def test_order_filter_refused(tmp_path, fragment):
    (line,) = problems(tmp_path, f"[datasets.orders]\nfilter = \"{fragment}\"\n")
    assert "datasets.orders.filter" in line


@pytest.mark.parametrize(
    "fragment",
    [
        "foreigntotal > 0",
        "status IN ('B', 'F') AND location IS NOT NULL",
        "NOT (memo LIKE 'test%') OR subsidiary = 2",
        "trandate BETWEEN '2024-01-01' AND '2024-12-31'",
        "memo = 'O''Brien'",
    ],
)
def test_order_filter_allowed(tmp_path, fragment):
    cfg = load(tmp_path, f"[datasets.orders]\nfilter = \"{fragment}\"\n")
    assert cfg.model.datasets.orders.filter == fragment


def test_custom_fields_must_be_custbody(tmp_path):
    (line,) = problems(tmp_path, "[datasets.orders]\ncustom_fields = [\"entityid\"]\n")
    assert "custbody" in line


def test_poll_interval_durations(tmp_path):
    cfg = load(tmp_path, "[datasets.items]\npoll_interval = \"1h30m\"\n")
    assert cfg.model.datasets.items.poll_interval.total_seconds() == 5400
    assert parse_duration(90).total_seconds() == 90
    (line,) = problems(tmp_path, "[datasets.items]\npoll_interval = \"soon\"\n")
    assert "datasets.items.poll_interval" in line and "1h" in line


def test_names_derived_from_company(tmp_path):
    cfg = load(tmp_path, "[marketing]\nparent_company = \"Parent Company\"\ncompany = \"Acme Inc.\"\ncountry_code = \"US\"\n")
    assert cfg.model.marketing.catalog_name == "catalog_ParentCompanyAcmeIncUS_NetSuite"
    assert cfg.model.marketing.list_name("Leads") == "NetSuite (Parent Company - Acme Inc. - US) - Leads"


def test_realm_and_host(tmp_path):
    cfg = load(tmp_path, "[netsuite]\naccount_id = \"1234567_SB1\"\n")
    assert cfg.model.netsuite.realm == "1234567_SB1"
    assert cfg.model.netsuite.url == "https://1234567-sb1.suitetalk.api.netsuite.com"


def test_relative_paths_resolve_against_the_file(tmp_path, monkeypatch):
    monkeypatch.delenv("NSTUI_STATE")
    sub = tmp_path / "conf"
    sub.mkdir()
    p = sub / "n.toml"
    p.write_text("[state]\npath = \"st/state.sqlite\"\n[sandbox]\ndata_dir = \"sb\"\n")
    monkeypatch.chdir(tmp_path)
    cfg = ConfigFile.load(Path("conf/n.toml"))
    assert cfg.state_path == sub / "st" / "state.sqlite"
    assert cfg.sandbox_dir == sub / "sb"
    monkeypatch.setenv("NSTUI_STATE", "/x/state.sqlite")
    monkeypatch.setenv("NSTUI_SANDBOX_DIR", "/y/sb")
    assert cfg.state_path == Path("/x/state.sqlite")
    assert cfg.sandbox_dir == Path("/y/sb")


def test_default_state_file_is_one_per_pair_of_accounts(tmp_path, monkeypatch):
    monkeypatch.delenv("NSTUI_STATE", raising=False)
    monkeypatch.delenv("NSTUI_SANDBOX_DIR", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))

    def state_of(folder: str, extra: str = "") -> Path:
        (tmp_path / folder).mkdir(exist_ok=True)
        p = tmp_path / folder / "n.toml"
        p.write_text(f"[netsuite]\naccount_id = \"123-SB1\"\n{extra}")
        return ConfigFile.load(p).state_path

    a = state_of("a")
    assert a.parent == tmp_path / "data" / "nstui" and a.name.startswith("state-123-sb1-")
    assert state_of("a") == a                                  # stable
    assert state_of("b") != a                                  # another sandbox folder
    assert state_of("a", "[marketing]\ncompany = \"Other\"\n") != a  # another marketing account


# -- round trip --------------------------------------------------------------


def test_set_changes_exactly_one_line(sample_copy):
    before = sample_copy.read_text().splitlines()
    cfg = ConfigFile.load(sample_copy)
    cfg.set("optins.global_status.soft_opt_in_status", "unconfirmed")
    cfg.save()
    after = sample_copy.read_text().splitlines()
    assert len(before) == len(after)
    changed = [(a, b) for a, b in zip(before, after) if a != b]
    assert len(changed) == 1
    assert "unconfirmed" in changed[0][1] and "# what Soft Opt-In imports as" in changed[0][1]


def test_update_from_model_keeps_comments(sample_copy):
    original = sample_copy.read_text()
    cfg = ConfigFile.load(sample_copy)
    model = cfg.model.model_copy(deep=True)
    model.optins.global_status.direction = "both"
    cfg.update(model)
    cfg.save()
    text = sample_copy.read_text()
    diff = [(a, b) for a, b in zip(original.splitlines(), text.splitlines()) if a != b]
    assert len(diff) == 1 and 'direction = "both"' in diff[0][1]
    assert text.count("#") == original.count("#")


def test_update_adds_and_removes_mappings(sample_copy):
    from nstui.config import CampaignSubscriptionMapping

    cfg = ConfigFile.load(sample_copy)
    model = cfg.model.model_copy(deep=True)
    model.optins.campaign_subscriptions.append(
        CampaignSubscriptionMapping(netsuite_subscription="Events", direction="both_bronto_primary", list="Events")
    )
    cfg.update(model)
    cfg.save()
    again = ConfigFile.load(sample_copy)
    assert [m.netsuite_subscription for m in again.model.optins.campaign_subscriptions] == [
        "Newsletter", "Product Updates", "Events"
    ]
    assert "# the NetSuite campaign subscription" in sample_copy.read_text()
    model = again.model.model_copy(deep=True)
    del model.optins.campaign_subscriptions[0]
    again.update(model)
    again.save()
    third = ConfigFile.load(sample_copy)
    assert [m.netsuite_subscription for m in third.model.optins.campaign_subscriptions] == ["Product Updates", "Events"]
    assert third.model.optins.campaign_subscriptions[1].direction == "both_bronto_primary"


def test_update_refuses_invalid_model(sample_copy):
    cfg = ConfigFile.load(sample_copy)
    model = cfg.model.model_copy(deep=True)
    with pytest.raises(ValueError):
        # record_types "both" then lacks isperson/companyname: refused at once
        model.datasets.customers.fields = []
    assert cfg.dumps() == sample_copy.read_text()


def test_set_refused_leaves_document(sample_copy):
    cfg = ConfigFile.load(sample_copy)
    before = cfg.dumps()
    with pytest.raises(ConfigError):
        cfg.set("optins.global_status.direction", "sideways")
    assert cfg.dumps() == before
    assert cfg.model.optins.global_status.direction == "bronto_to_netsuite"


def test_atomic_save_survives_failure(sample_copy, monkeypatch):
    original = sample_copy.read_bytes()
    cfg = ConfigFile.load(sample_copy)
    cfg.set("netsuite.concurrency", 2)

    def boom(fd):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(OSError):
        cfg.save()
    assert sample_copy.read_bytes() == original
    assert [p.name for p in sample_copy.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_save_keeps_permission_bits(sample_copy):
    os.chmod(sample_copy, 0o600)
    cfg = ConfigFile.load(sample_copy)
    cfg.set("netsuite.concurrency", 2)
    cfg.save()
    assert (sample_copy.stat().st_mode & 0o777) == 0o600


def test_atomic_write_creates_file(tmp_path):
    p = tmp_path / "new.toml"
    atomic_write(p, "a = 1\n")
    assert p.read_text() == "a = 1\n"
