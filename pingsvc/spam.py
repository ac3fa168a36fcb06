"""Spam scoring: a verified mention's score (0-100) and the reasons for it in words, from its
text and what its site knows of the source. Pure: the caller reads the evidence."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

# A new site holds mentions scoring this or more (Site.spam_threshold; 101 never holds).
DEFAULT_THRESHOLD = 60
MAX_SCORE = 100
NEVER = MAX_SCORE + 1  # a threshold no score reaches
# The history's counts stop here (the signals only ask "any?" and "5 or more?").
COUNT_CAP = 10

# The bundled lists: small on purpose, words and hosts that turn up in comment and link spam
# (the pharmacy, casino, loan and SEO families) and almost never in a reply to a blog post.
# Each site's own "report spam" teaches it the rest (see `learned_points`).
SPAM_WORDS = frozenset({
    "viagra", "cialis", "levitra", "pharmacy", "casino", "poker", "jackpot", "betting",
    "slots", "payday", "loans", "bitcoin-doubler", "forex", "replica", "rolex", "backlinks",
    "seo-services", "escort", "escorts", "xxx", "porn", "crypto-giveaway", "weight-loss",
    "diet-pills", "essay-writing", "followers", "cheap", "discount", "bonus", "giveaway",
})  # fmt: skip
# Registrable domains (a rule names its subdomains too) seen sending link spam, and the TLDs
# that abuse reports name far more than any other.
SPAM_DOMAINS = frozenset({"spam.example", "seo-links.example", "casino-bonus.example"})
SPAM_TLDS = frozenset({"xyz", "top", "click", "loan", "work", "bid", "win", "casino", "bet"})

# Words too common to tell spam apart (what "report spam" must not learn to count).
_STOP = """
about after again also because been before being between both could does doing down during
each from further have having here into just more most only other over same should some such
than that their them then there these they this those through under until very was were what
when where which while will with would your yours you the and for are but not all any can her
his him our out own she who why how its it's i'm http https www com html
"""
STOP_WORDS = frozenset(_STOP.split())

_WORD = re.compile(r"[a-z][a-z0-9'-]{2,31}")
_ANCHOR = re.compile(r"<a\s[^>]*href", re.IGNORECASE)
_URL = re.compile(r"https?://", re.IGNORECASE)


@dataclass(frozen=True)
class History:
    """What the site's mentions say of this source: the owner's decisions, and the burst."""

    domain_approved: int = 0  # the source host's mentions the owner approved
    domain_rejected: int = 0  # ...that the owner rejected, deleted or reported
    author_approved: int = 0  # the same by author URL
    author_rejected: int = 0
    recent_from_domain: int = 0  # mentions from the source host in the last hour, this one too
    domain_shown: int = 0  # the source host's mentions the site shows (by policy or owner)


@dataclass(frozen=True)
class Evidence:
    """A verified mention as the scorer reads it."""

    source_host: str
    target: str
    text: str  # title, summary and content text
    html: str = ""  # the content as HTML (its links are counted)
    author_url: str | None = None
    history: History = field(default_factory=History)
    # What this site learned: word -> how many reported mentions held it, and how many
    # mentions were reported in all.
    learned: Mapping[str, int] = field(default_factory=dict)
    reports: int = 0


@dataclass(frozen=True)
class Score:
    value: int
    reasons: tuple[str, ...]

    def holds(self, threshold: int) -> bool:
        return self.value >= threshold


def tokens(text: str) -> set[str]:
    """The words a mention is compared by: lower case, 3-32 characters, no stop words."""
    return _tokens(_WORD.findall(text.lower()))


def _tokens(found: list[str]) -> set[str]:
    return {w.strip("'-") for w in found} - STOP_WORDS - {""}


def target_words(target: str) -> set[str]:
    """The words of the post's URL path (its slug): what a reply to it usually mentions."""
    path = unquote(urlsplit(target).path).lower()
    words = {w for w in re.split(r"[^a-z0-9]+", path) if len(w) >= 4 and not w.isdigit()}
    return words - STOP_WORDS


def listed_domain(host: str) -> str | None:
    """The bundled list's entry that names `host` (itself or a parent domain), if any."""
    parts = host.lower().strip(".").split(".")
    for i in range(len(parts) - 1):
        if ".".join(parts[i:]) in SPAM_DOMAINS:
            return ".".join(parts[i:])
    return None


def _plural(count: int, noun: str, *, capped: bool = False) -> str:
    more = " or more" if capped and count >= COUNT_CAP else ""
    return f"{count}{more} {noun}" + ("" if count == 1 else "s")


def learned_points(
    words: set[str], learned: Mapping[str, int], reports: int
) -> tuple[int, list[str]]:
    """Up to 40 points for words this site's reported spam held: the share of the mention's
    words seen in a report, each weighted by how many reports held it (capped at one)."""
    if not words or not reports:
        return 0, []
    seen = sorted((w for w in words if learned.get(w)), key=lambda w: (-learned[w], w))
    if not seen:
        return 0, []
    weight = sum(min(1.0, learned[w] / min(reports, 3)) for w in seen)
    return round(40 * min(1.0, 2 * weight / len(words))), seen[:5]


def score(evidence: Evidence) -> Score:
    """The mention's spam score and why: each signal adds (or, for an owner who approved the
    source before, takes off) points; the sum is clamped to 0-100."""
    points = 0
    reasons: list[str] = []
    text = evidence.text or ""
    found = _WORD.findall(text.lower())  # once: the words and their count
    words = _tokens(found)
    count = len(found)
    history = evidence.history

    listed = listed_domain(evidence.source_host)
    tld = evidence.source_host.rsplit(".", 1)[-1].lower()
    if listed:
        points += 40
        reasons.append(f"the source domain {listed} is on the bundled spam list (+40)")
    elif tld in SPAM_TLDS:
        points += 10
        reasons.append(f"the source is on .{tld}, a top-level domain spam often uses (+10)")

    # The content's links, or the bare URLs of a text-only post.
    links = len(_ANCHOR.findall(evidence.html)) if evidence.html else len(_URL.findall(text))
    if links >= 3 and links * 20 > max(count, 1):  # more than one link per 20 words
        points += 25
        reasons.append(f"{_plural(links, 'link')} in {_plural(count, 'word')} (+25)")

    spammy = sorted(words & SPAM_WORDS)
    if spammy:
        gained = min(30, 10 * len(spammy))
        points += gained
        reasons.append(f"known spam words: {', '.join(spammy[:5])} (+{gained})")

    slug = target_words(evidence.target)
    if slug and count >= 20 and not slug & words:
        points += 15
        reasons.append(f"the text doesn't mention the post ({', '.join(sorted(slug)[:5])}) (+15)")

    if history.recent_from_domain >= 5 and not (history.domain_shown or history.domain_approved):
        points += 20
        reasons.append(
            f"{_plural(history.recent_from_domain, 'mention', capped=True)} from the new domain "
            f"{evidence.source_host} in the last hour (+20)"
        )

    if history.domain_approved:
        points -= 30
        reasons.append(
            f"you approved {_plural(history.domain_approved, 'mention', capped=True)} from "
            f"{evidence.source_host} before (-30)"
        )
    elif history.domain_rejected:
        points += 20
        reasons.append(
            f"you rejected {_plural(history.domain_rejected, 'mention', capped=True)} from "
            f"{evidence.source_host} before (+20)"
        )
    if evidence.author_url and history.author_approved:
        points -= 15
        reasons.append(f"you approved this author before ({evidence.author_url}) (-15)")
    elif evidence.author_url and history.author_rejected:
        points += 15
        reasons.append(f"you rejected this author before ({evidence.author_url}) (+15)")

    gained, seen = learned_points(words, evidence.learned, evidence.reports)
    if gained:
        points += gained
        reasons.append(
            f"like mentions reported as spam on this site (words: {', '.join(seen)}) (+{gained})"
        )
    return Score(max(0, min(MAX_SCORE, points)), tuple(reasons))


def report_words(texts: Iterable[str], limit: int = 200) -> list[str]:
    """The words a "report spam" teaches: the mention's distinct words, at most `limit`, so
    one huge page can't flood the table."""
    words: set[str] = set()
    for text in texts:
        words |= tokens(text or "")
    return sorted(words)[:limit]
