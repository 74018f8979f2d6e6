"""One whole sync with changes on both sides, shared by the contract tests."""

from __future__ import annotations

CUSTOMER_ADDRESS = "".join(
    f'[[datasets.customers.fields]]\nnetsuite = "{a}"\nmarketing = "{a.upper()}"\ndirection = "both"\n\n'
    for a in ("addressee", "addr1", "addr2", "addr3", "state", "zip", "country"))


async def sync_with_changes(recorded_env):
    env = recorded_env(records=30, seed=11, address_mappings=CUSTOMER_ADDRESS)
    await env.sync("customers", "contacts", "items", "orders")
    customers = env.ns.query("SELECT id, email FROM customer WHERE email LIKE '%@%.%' "
                             "AND globalsubscriptionstatus = 1 ORDER BY id LIMIT 4")
    env.ns.update("customer", customers[3]["id"], globalsubscriptionstatus=2)  # an opt-out in NetSuite
    env.ns.update("customer", customers[0]["id"], firstname="Renamed")
    env.ns.set_subscription(customers[1]["id"], 1, True)
    env.ns.insert("customer", firstname="New", lastname="Person", email="new.person@example.com")
    email = customers[2]["email"].lower()
    if env.mk.contact(email) is not None:
        env.mk.set_data_fields(email, {"ADDR1": "1 Changed Road", "COUNTRY": "GB"})
    other = env.ns.query("SELECT email FROM customer WHERE email LIKE '%@%.%' AND globalsubscriptionstatus = 1 "
                         "ORDER BY id DESC LIMIT 1")[0]["email"].lower()
    if env.mk.contact(other) is not None:
        env.mk.contact_unsubscribes(other)
    env.mk.add_contact("from.marketing@example.com", {"FIRSTNAME": "Mark"})
    await env.sync("customers", "contacts", "items", "orders")
    return env
