"""The spam scorer: one row per signal, each with the reason a person reads and its points."""

from __future__ import annotations

import pytest

from pingsvc import spam
from pingsvc.spam import Evidence, History

POST = "https://blog.example/2026/05/growing-tomatoes-indoors"
ON_TOPIC = (
    "Thanks for the notes on growing tomatoes indoors; my own plants did well under a lamp "
    "this winter, and I wrote up what I learned about watering them less often than I thought."
)
OFF_TOPIC = " ".join(["lorem ipsum dolor amet consectetur adipiscing elit sed eiusmod"] * 3)
LINKS = "".join(f'<a href="https://x{i}.example/">x</a> ' for i in range(6))


def evidence(**changes: object) -> Evidence:
    values: dict[str, object] = {"source_host": "friend.example", "target": POST, "text": ON_TOPIC}
    values.update(changes)
    return Evidence(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("case", "given", "points", "reason"),
    [
        ("a friendly on-topic reply", evidence(), 0, None),
        (
            "a listed spam domain (and its subdomains)",
            evidence(source_host="www.spam.example"),
            40,
            "the source domain spam.example is on the bundled spam list (+40)",
        ),
        (
            "a top-level domain spam favours",
            evidence(source_host="deals.xyz"),
            10,
            "the source is on .xyz, a top-level domain spam often uses (+10)",
        ),
        (
            "link density",
            evidence(text="growing tomatoes: see these", html=LINKS),
            25,
            "6 links in 4 words (+25)",
        ),
        (
            "known spam words",
            evidence(text=ON_TOPIC + " Cheap viagra at our casino"),
            30,
            "known spam words: casino, cheap, viagra (+30)",
        ),
        (
            "text that doesn't mention the post",
            evidence(text=OFF_TOPIC),
            15,
            "the text doesn't mention the post (growing, indoors, tomatoes) (+15)",
        ),
        (
            "a burst from a new domain",
            evidence(history=History(recent_from_domain=7)),
            20,
            "7 mentions from the new domain friend.example in the last hour (+20)",
        ),
        (
            "no burst from a domain the owner approved",
            evidence(history=History(recent_from_domain=7, domain_approved=2, domain_shown=2)),
            0,
            "you approved 2 mentions from friend.example before (-30)",
        ),
        (
            "the owner rejected the domain before",
            evidence(history=History(domain_rejected=3)),
            20,
            "you rejected 3 mentions from friend.example before (+20)",
        ),
        (
            "the owner rejected the author before",
            evidence(author_url="https://friend.example/me", history=History(author_rejected=1)),
            15,
            "you rejected this author before (https://friend.example/me) (+15)",
        ),
        (
            "words this site reported as spam",
            evidence(
                text="growing tomatoes miracle fertiliser shipping worldwide",
                learned={"miracle": 2, "fertiliser": 2, "shipping": 1, "worldwide": 1},
                reports=2,
            ),
            40,
            "like mentions reported as spam on this site "
            "(words: fertiliser, miracle, shipping, worldwide) (+40)",
        ),
    ],
)
def test_each_signal_adds_its_points_with_a_reason(
    case: str, given: Evidence, points: int, reason: str | None
) -> None:
    scored = spam.score(given)
    assert scored.value == points, case
    assert scored.reasons == ((reason,) if reason else ()), case


def test_signals_add_up_and_are_clamped() -> None:
    worst = evidence(
        source_host="spam.example",
        text=OFF_TOPIC + " cheap viagra casino",
        html=LINKS,
        history=History(recent_from_domain=9, domain_rejected=4),
    )
    scored = spam.score(worst)
    assert scored.value == spam.MAX_SCORE
    assert len(scored.reasons) == 6
    assert scored.holds(spam.DEFAULT_THRESHOLD) and not scored.holds(spam.NEVER)


def test_an_approved_source_never_scores_below_zero() -> None:
    scored = spam.score(evidence(history=History(domain_approved=1, author_approved=1),
                                 author_url="https://friend.example/"))  # fmt: skip
    assert scored.value == 0 and len(scored.reasons) == 2


def test_a_report_teaches_distinct_words_without_stop_words_and_bounded() -> None:
    assert spam.report_words(["The CHEAP pills, cheap!", "and the pills"]) == ["cheap", "pills"]
    assert len(spam.report_words([" ".join(f"word{i}" for i in range(500))])) == 200


def test_a_post_without_a_slug_skips_the_off_topic_signal() -> None:
    assert spam.score(evidence(target="https://blog.example/", text=OFF_TOPIC)).value == 0


def test_a_burst_is_only_counted_against_a_domain_the_site_never_showed() -> None:
    shown = spam.score(evidence(history=History(recent_from_domain=9, domain_shown=1)))
    assert shown.value == 0 and shown.reasons == ()


def test_counts_at_the_cap_read_as_at_least() -> None:
    scored = spam.score(evidence(history=History(domain_rejected=spam.COUNT_CAP)))
    assert scored.reasons == ("you rejected 10 or more mentions from friend.example before (+20)",)
