"""The dashboard's overview page: mentions a day over the last 30 days, the top sources,
the counts by state and what waits for review."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask import render_template
from sqlalchemy import func, select

from pingsvc.dashboard import access
from pingsvc.dashboard.auth import account
from pingsvc.dashboard.blueprint import bp
from pingsvc.db import db_session
from pingsvc.models import HELD, PENDING, Mention, Site, utcnow

DAYS = 30


@dataclass(frozen=True)
class Bar:
    day: date
    count: int
    x: float
    height: float


def daily_counts(account_: Any, days: int = DAYS, today: date | None = None) -> list[Bar]:
    """Mentions received per day over the last `days` days, as chart bars (0-40 high)."""
    today = today or utcnow().date()
    start = today - timedelta(days=days - 1)
    since = datetime.combine(start, datetime.min.time())
    day = func.date(Mention.received_at)
    rows = db_session().execute(
        select(day, func.count(Mention.id))
        .join(Site, Mention.site_id == Site.id)
        .where(access.site_filter(account_), Mention.received_at >= since)
        .group_by(day)
    )
    counts = {str(key)[:10]: int(n) for key, n in rows}
    values = [(start + timedelta(days=i)) for i in range(days)]
    peak = max(counts.values(), default=0) or 1
    return [
        Bar(d, counts.get(d.isoformat(), 0), i * 10.0, 40.0 * counts.get(d.isoformat(), 0) / peak)
        for i, d in enumerate(values)
    ]


def top_sources(account_: Any, days: int = DAYS, limit: int = 10) -> list[tuple[str, int]]:
    since = utcnow() - timedelta(days=days)
    rows = db_session().execute(
        select(Mention.source_host, func.count(Mention.id).label("n"))
        .join(Site, Mention.site_id == Site.id)
        .where(access.site_filter(account_), Mention.received_at >= since)
        .group_by(Mention.source_host)
        .order_by(func.count(Mention.id).desc(), Mention.source_host)
        .limit(limit)
    )
    return [(host, int(n)) for host, n in rows]


def state_counts(account_: Any) -> dict[str, int]:
    rows = db_session().execute(
        select(Mention.status, func.count(Mention.id))
        .join(Site, Mention.site_id == Site.id)
        .where(access.site_filter(account_))
        .group_by(Mention.status)
    )
    return {status: int(n) for status, n in rows}


@bp.get("/")
def overview() -> str:
    me = account()
    waiting = db_session().scalars(
        access.mentions(me)
        .where(Mention.status.in_((HELD, PENDING)))
        .order_by(Mention.received_at.desc(), Mention.id.desc())
        .limit(10)
    )
    bars = daily_counts(me)
    return render_template(
        "dashboard/overview.html",
        bars=bars,
        total_30=sum(b.count for b in bars),
        peak=max((b.count for b in bars), default=0),
        sources=top_sources(me),
        states=state_counts(me),
        waiting=list(waiting),
        sites=access.sites(db_session(), me),
    )
