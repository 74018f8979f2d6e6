"""`nstui doctor` passes on the sandboxes, and each check fails, naming the
problem and what to do, when its one thing is broken."""

from __future__ import annotations

import json

import httpx
import pytest

from nstui.cli import main
from nstui.connections import open_connections
from nstui.credentials import NetSuiteCredentials
from nstui.doctor import report, run_doctor
from nstui.netsuite.client import NetSuiteClient


async def doctor(env, sides=("netsuite", "marketing")):
    async with open_connections(env.cfg, sandboxes=env.boxes) as conn:
        return await run_doctor(env.cfg.model, conn.netsuite, conn.marketing, sides)


def failed(checks) -> dict[str, str]:
    return {c.name: f"{c.detail} -> {c.fix}" for c in checks if not c.ok}


class Refusing(httpx.AsyncBaseTransport):
    """NetSuite as an account without a feature: SuiteQL naming ``word`` is refused."""

    def __init__(self, inner, word: str):
        self.inner, self.word = inner, word

    async def handle_async_request(self, request):
        if request.url.path.endswith("/suiteql") and self.word in request.content.decode():
            return httpx.Response(400, json={"type": "x", "title": "Bad Request", "status": 400, "o:errorDetails": [
                {"detail": f"Invalid search query. Search error occurred: Record '{self.word}' was not found.",
                 "o:errorCode": "INVALID_PARAMETER"}]})
        return await self.inner.handle_async_request(request)


async def test_doctor_passes_on_the_sandboxes(make_env):
    env = make_env(records=10)
    checks = await doctor(env)
    assert failed(checks) == {}
    assert len(checks) >= 15 and report(checks).endswith(f"{len(checks)} of {len(checks)} checks passed")


@pytest.mark.parametrize("key, value, name, words", [
    ("datasets.customers.fields.0.netsuite", "custentity_missing", "customers field custentity_missing",
     "no field custentity_missing"),
    ("optins.campaign_subscriptions.0.netsuite_subscription", "Weekly Digest", "campaign subscriptions feature",
     "'Weekly Digest'"),
    ("datasets.orders.custom_fields", ["custbody_nope"], "orders custom field custbody_nope", "no field"),
    ("datasets.orders.link_field", "custbody_gone", "orders link_field custbody_gone", "no field"),
    ("datasets.items.price_level", "Gold", "items price level 'Gold'", "Price Levels"),
    ("datasets.items.currency", "JPY", "items currency JPY", "no currency JPY"),
    ("datasets.items.fields", [{"netsuite": "custitem_gone", "marketing": "gone", "direction": "netsuite_to_bronto"}],
     "items field custitem_gone", "no field"),
    ("optins.campaign_subscriptions.0.list", "Test", "lists", "keeps for itself"),
    ("marketing.region", "r2", "region", "set [marketing] region"),
])
async def test_each_setting_check_names_its_problem(make_env, key, value, name, words):
    env = make_env(records=10)
    env.cfg.set(key, value)
    if key == "marketing.region":
        env.mk.api_endpoint = "https://r1-api.dotdigital.com"  # the account lives in r1
    problems = failed(await doctor(env))
    assert list(problems) == [name] and words in problems[name]


async def test_a_source_field_that_is_not_a_checkbox_fails(make_env):
    env = make_env(records=10)
    env.cfg.set("optins.source_field", "email")
    env.cfg.set("optins.source", "field")
    problems = failed(await doctor(env, ("netsuite",)))
    assert set(problems) == {"opt-in source_field email on customer", "opt-in source_field email on contact"}
    assert all("checkbox" in p for p in problems.values())


async def test_a_checkbox_mapped_to_a_numeric_data_field_fails(make_env):
    env = make_env(records=10)
    env.mk.db.execute("UPDATE datafield SET type = 'Numeric' WHERE name = 'ISPERSON'")
    assert "Boolean" in failed(await doctor(env))["customers field isperson"]


async def test_a_data_field_the_account_lacks_fails(make_env):
    env = make_env(records=10)
    env.mk.db.execute("DELETE FROM datafield WHERE name = 'COMPANYNAME'")
    assert "COMPANYNAME" in failed(await doctor(env, ("marketing",)))["data fields"]


@pytest.mark.parametrize("word, name", [("campaignsubscription", "campaign subscriptions feature"),
                                        ("globalsubscriptionstatus",
                                         "marketing automation (global subscription status)")])
async def test_a_missing_feature_fails(make_env, word, name):
    env = make_env(records=10)
    inner = env.ns.transport
    env.ns.transport = lambda: Refusing(inner(), word)
    assert "Enable Features" in failed(await doctor(env, ("netsuite",)))[name]


async def test_oneworld_without_subsidiary_and_a_wrong_time_zone_fail(make_env):
    from nstui.credentials import sandbox_credentials
    from nstui.sandbox.netsuite import NetSuiteSandbox

    env = make_env(records=10)
    ns = env.boxes.netsuite
    ns.close()  # the same account, now OneWorld and with its user in Berlin
    env.boxes.netsuite = NetSuiteSandbox(ns.db_path, account_id=ns.account_id,
                                         credentials=sandbox_credentials(env.cfg.sandbox_dir)[0],
                                         sandbox=env.cfg.model.sandbox, time_zone="Europe/Berlin", oneworld=True)
    problems = failed(await doctor(env, ("netsuite",)))
    assert set(problems) == {"subsidiary (OneWorld)", "time zone of SuiteQL times"}
    assert "[netsuite] subsidiary" in problems["subsidiary (OneWorld)"]
    assert "time_zone" in problems["time zone of SuiteQL times"]
    env.cfg.set("netsuite.subsidiary", 2)
    env.cfg.set("netsuite.time_zone", "Europe/Berlin")
    assert failed(await doctor(env, ("netsuite",))) == {}


async def test_refused_logins_fail_and_skip_the_rest(make_env):
    env = make_env(records=10)
    async with open_connections(env.cfg, sandboxes=env.boxes) as conn:
        bad = NetSuiteClient(env.cfg.model.netsuite, NetSuiteCredentials("a", "b", "c", "d"),
                             transport=env.ns.transport())
        conn.marketing._http.auth = httpx.BasicAuth("nobody@example.com", "wrong")
        async with bad:
            checks = await run_doctor(env.cfg.model, bad, conn.marketing)
    problems = failed(checks)
    assert "login (token-based authentication)" in problems and "API user" in problems
    assert all(not c.ok for c in checks) and "not checked" in problems["time zone"]


def test_the_command_exits_0_then_1_and_speaks_json(make_env, capsys):
    env = make_env(records=10)
    path = str(env.cfg.path)
    env.boxes.close()
    assert main(["doctor", "-c", path]) == 0
    assert "checks passed" in capsys.readouterr().out
    env.cfg.set("datasets.items.currency", "JPY")
    env.cfg.save()
    assert main(["doctor", "-c", path, "--json"]) == 1
    checks = json.loads(capsys.readouterr().out)
    assert [c["name"] for c in checks if not c["ok"]] == ["items currency JPY"]
