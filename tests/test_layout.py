"""The read and receiving stages load no fetching or parsing library: importing them stays
cheap, and neither a view nor accept() holds a way onto the network by accident."""

from __future__ import annotations

import json
import subprocess
import sys

PACKAGES = ["pingsvc.api", "pingsvc.receive"]
HEAVY = ["mf2py", "requests"]

# A fresh interpreter (this test process has loaded everything already) imports each package
# and every module in it, then names the heavy libraries that came with them.
PROGRAM = f"""
import importlib, json, pkgutil, sys
loaded = []
for name in {PACKAGES!r}:
    package = importlib.import_module(name)
    loaded.append(name)
    for module in pkgutil.iter_modules(package.__path__, name + "."):
        importlib.import_module(module.name)
        loaded.append(module.name)
print(json.dumps({{"loaded": loaded, "heavy": [m for m in {HEAVY!r} if m in sys.modules]}}))
"""


def test_importing_the_api_and_receive_packages_loads_neither_mf2py_nor_requests() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM], capture_output=True, text=True, check=True, timeout=120
    )
    answer = json.loads(done.stdout)
    assert {
        "pingsvc.api.views",
        "pingsvc.receive.accept",
        "pingsvc.receive.webmention",
        "pingsvc.receive.pingback",
    } <= set(answer["loaded"])
    assert answer["heavy"] == []
