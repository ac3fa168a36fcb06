"""What importing some modules loads with them, seen from a fresh interpreter: a test process
has loaded everything already."""

from __future__ import annotations

import json
import subprocess
import sys

# Imports each name, and every module of each package among them; prints what it imported and
# which of the watched top-level packages are in sys.modules afterwards.
PROGRAM = """
import importlib, json, pkgutil, sys
names, watched = json.loads(sys.argv[1]), json.loads(sys.argv[2])
imported = []
for name in names:
    module = importlib.import_module(name)
    imported.append(name)
    for sub in pkgutil.iter_modules(getattr(module, "__path__", []), name + "."):
        importlib.import_module(sub.name)
        imported.append(sub.name)
found = sorted({m.split(".")[0] for m in sys.modules} & set(watched))
print(json.dumps({"imported": imported, "found": found}))
"""


def fresh_imports(names: list[str], watched: list[str]) -> tuple[set[str], list[str]]:
    """Import `names` (a package with all its modules) in a new interpreter: the modules it
    imported, and which of the `watched` top-level packages were loaded with them."""
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM, json.dumps(names), json.dumps(watched)],
        capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    answer = json.loads(done.stdout)
    return set(answer["imported"]), list(answer["found"])
