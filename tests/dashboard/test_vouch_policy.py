"""The site page's "require a vouch" switch (Vouch's 449), saved with the policy and logged."""

from __future__ import annotations

from pingsvc.db import services
from pingsvc.models import Site
from tests.dashboard.conftest import World
from tests.support.dashboard import Browser


def _required(world: World) -> bool:
    with services(world.app).db.session() as session:
        site = session.get(Site, world.alice_site)
        assert site is not None
        return site.require_vouch


def test_requiring_a_vouch_is_saved_and_logged(world: World, alice: Browser) -> None:
    path = f"/dashboard/sites/{world.alice_site}/policy"
    answer = alice.post(path, {"policy": "hold_new", "require_vouch": "on"})
    assert answer.status_code == 303
    assert _required(world)
    page = alice.text(f"/dashboard/sites/{world.alice_site}")
    assert "vouch required" in page
    alice.post(path, {"policy": "hold_new"})
    assert not _required(world)
    assert "vouch not required" in alice.text(f"/dashboard/sites/{world.alice_site}")
