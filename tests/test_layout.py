"""The read and receiving stages load no fetching or parsing library: importing them stays
cheap, and neither a view nor accept() holds a way onto the network by accident."""

from __future__ import annotations

from tests.support.imports import fresh_imports

PACKAGES = ["pingsvc.api", "pingsvc.receive"]
HEAVY = ["mf2py", "requests"]


def test_importing_the_api_and_receive_packages_loads_neither_mf2py_nor_requests() -> None:
    loaded, heavy = fresh_imports(PACKAGES, HEAVY)  # each package and every module in it
    assert {
        "pingsvc.api.views",
        "pingsvc.receive.accept",
        "pingsvc.receive.webmention",
        "pingsvc.receive.pingback",
    } <= loaded
    assert heavy == []
