"""The limits of one fetch (FetchPolicy), built from the PINGSVC_FETCH_* settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FetchPolicy:
    """Limits for one fetch; built from the PINGSVC_FETCH_* settings."""

    timeout: float = 10.0
    max_bytes: int = 1024 * 1024
    max_redirects: int = 10
    max_depth: int = 512
    ports: frozenset[int] = frozenset({80, 443})
    # "host:port" or "address:port" that may be fetched although private (tests, intranets).
    allow: frozenset[str] = frozenset()
    user_agent: str = "pingsvc"

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> FetchPolicy:
        return cls(
            timeout=float(config["FETCH_TIMEOUT"]),
            max_bytes=int(config["FETCH_MAX_BYTES"]),
            max_redirects=int(config["FETCH_MAX_REDIRECTS"]),
            max_depth=int(config["FETCH_MAX_DEPTH"]),
            ports=frozenset(int(p) for p in config["FETCH_PORTS"]),
            allow=frozenset(a.strip().lower() for a in config["FETCH_ALLOW"]),
            user_agent=str(config["USER_AGENT"]),
        )

    def allows(self, host: str, port: int) -> bool:
        """True when `host:port` (a name as written in the URL, or an address) is allowed."""
        bare = host.lower().strip("[]")
        return f"{bare}:{port}" in self.allow or (":" in bare and f"[{bare}]:{port}" in self.allow)

    def allows_port(self, port: int) -> bool:
        """True when some allow entry could let a fetch on `port` through."""
        return port in self.ports or any(a.rsplit(":", 1)[-1] == str(port) for a in self.allow)
