"""The data sets of seed 003, each a pass over the same machinery."""

from __future__ import annotations

from typing import Any, Callable

from nstui.engine.datasets.base import PassContext
from nstui.engine.datasets.entities import ContactsPass, CustomersPass
from nstui.engine.datasets.records import ItemsPass, OrdersPass

PASSES: dict[str, Callable[[PassContext], Any]] = {
    "customers": CustomersPass,
    "contacts": ContactsPass,
    "items": ItemsPass,
    "orders": OrdersPass,
}

__all__ = ["PASSES", "PassContext"]
