"""The 23 discovery tests of webmention.rocks (W3C Webmention §3.1.2), as pages for the page
server on 127.0.0.1: each case's page, the headers it is served with, and the endpoint a
sender must find. Decoys point at `.../webmention/error`, which a test never expects."""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.support.pageserver import PageServer


@dataclass(frozen=True)
class Case:
    number: int
    title: str
    body: str = ""  # the page's markup; {base} is the server's http://127.0.0.1:port
    expected: str = ""  # the endpoint's path, joined to the server's base
    headers: dict[str, str] = field(default_factory=dict)
    repeated: tuple[tuple[str, str], ...] = ()
    redirect: str | None = None  # the case's URL redirects here; the page is served there

    @property
    def path(self) -> str:
        return f"/rocks/{self.number}"

    def serve(self, pages: PageServer) -> str:
        """Serve the case's page; return the target URL a sender is given."""
        fill = {"base": pages.base}
        headers = {name: value.format(**fill) for name, value in self.headers.items()}
        repeated = tuple((name, value.format(**fill)) for name, value in self.repeated)
        body = f"<!doctype html><html>{self.body.format(**fill)}</html>"
        if self.redirect is None:
            return pages.add(self.path, body, headers=headers, repeated=repeated)
        pages.add(self.redirect, body, headers=headers, repeated=repeated)
        return pages.add(self.path, status=302, headers={"Location": self.redirect})

    def endpoint(self, pages: PageServer) -> str:
        return pages.base + self.expected


def _page(head: str = "", body: str = "") -> str:
    return f"<head><title>test</title>{head}</head><body><p>A post.</p>{body}</body>"


_ERROR = "/webmention/error"
CASES = [
    Case(
        1,
        "Link header, unquoted rel, relative URL",
        _page(),
        "/rocks/1/webmention?head=true",
        {"Link": "</rocks/1/webmention?head=true>; rel=webmention"},
    ),
    Case(
        2,
        "Link header, unquoted rel, absolute URL",
        _page(),
        "/rocks/2/webmention?head=true",
        {"Link": "<{base}/rocks/2/webmention?head=true>; rel=webmention"},
    ),
    Case(
        3,
        "<link> tag, relative URL",
        _page('<link rel="webmention" href="/rocks/3/webmention">'),
        "/rocks/3/webmention",
    ),
    Case(
        4,
        "<link> tag, absolute URL",
        _page('<link rel="webmention" href="{base}/rocks/4/webmention">'),
        "/rocks/4/webmention",
    ),
    Case(
        5,
        "<a> tag, relative URL",
        _page(body='<a href="/rocks/5/webmention" rel="webmention">endpoint</a>'),
        "/rocks/5/webmention",
    ),
    Case(
        6,
        "<a> tag, absolute URL",
        _page(body='<a href="{base}/rocks/6/webmention" rel="webmention">endpoint</a>'),
        "/rocks/6/webmention",
    ),
    Case(
        7,
        "Link header with strange casing",
        _page(),
        "/rocks/7/webmention?head=true",
        {"LinK": '</rocks/7/webmention?head=true>; rel="webmention"'},
    ),
    Case(
        8,
        "Link header, quoted rel",
        _page(),
        "/rocks/8/webmention?head=true",
        {"Link": '</rocks/8/webmention?head=true>; rel="webmention"'},
    ),
    Case(
        9,
        "Several rel values on a <link> tag",
        _page('<link rel="webmention somethingelse" href="/rocks/9/webmention">'),
        "/rocks/9/webmention",
    ),
    Case(
        10,
        "Several rel values in the Link header",
        _page(),
        "/rocks/10/webmention?head=true",
        {"Link": '</rocks/10/webmention?head=true>; rel="webmention somethingelse"'},
    ),
    Case(
        11,
        "Link header, <link> and <a> all present: the header wins",
        _page(
            f'<link rel="webmention" href="/rocks/11{_ERROR}">',
            f'<a href="/rocks/11{_ERROR}" rel="webmention">decoy</a>',
        ),
        "/rocks/11/webmention",
        {"Link": '</rocks/11/webmention>; rel="webmention"'},
    ),
    Case(
        12,
        'rel="not-webmention" is not rel=webmention',
        _page(
            f'<link rel="not-webmention" href="/rocks/12{_ERROR}">'
            '<link rel="webmention" href="/rocks/12/webmention">'
        ),
        "/rocks/12/webmention",
    ),
    Case(
        13,
        "An endpoint inside an HTML comment is ignored",
        _page(
            f'<!-- <link rel="webmention" href="/rocks/13{_ERROR}"> -->',
            f'<!-- <a href="/rocks/13{_ERROR}" rel="webmention">x</a> -->'
            '<a href="/rocks/13/webmention" rel="webmention">endpoint</a>',
        ),
        "/rocks/13/webmention",
    ),
    Case(
        14,
        "An endpoint in escaped HTML is ignored",
        _page(
            body=f'<code>&lt;a href="/rocks/14{_ERROR}" rel="webmention"&gt;&lt;/a&gt;</code>'
            '<a href="/rocks/14/webmention" rel="webmention">endpoint</a>'
        ),
        "/rocks/14/webmention",
    ),
    Case(
        15,
        "An empty href: the page itself is the endpoint",
        _page('<link rel="webmention" href="">'),
        "/rocks/15",
    ),
    Case(
        16,
        "<a> before <link>: the first in document order wins",
        _page(
            body='<a href="/rocks/16/webmention" rel="webmention">endpoint</a>'
            f'<link rel="webmention" href="/rocks/16{_ERROR}">'
        ),
        "/rocks/16/webmention",
    ),
    Case(
        17,
        "<link> before <a>: the first in document order wins",
        _page(
            '<link rel="webmention" href="/rocks/17/webmention">',
            f'<a href="/rocks/17{_ERROR}" rel="webmention">decoy</a>',
        ),
        "/rocks/17/webmention",
    ),
    Case(
        18,
        "Two Link headers",
        _page(),
        "/rocks/18/webmention",
        repeated=(
            ("Link", f'</rocks/18{_ERROR}>; rel="other"'),
            ("Link", '</rocks/18/webmention>; rel="webmention"'),
        ),
    ),
    Case(
        19,
        "One Link header with comma-separated values",
        _page(),
        "/rocks/19/webmention",
        {"Link": f'</rocks/19{_ERROR}>; rel="other", </rocks/19/webmention>; rel="webmention"'},
    ),
    Case(
        20,
        "<link rel=webmention> without an href is skipped",
        _page('<link rel="webmention">', '<a href="/rocks/20/webmention" rel="webmention">x</a>'),
        "/rocks/20/webmention",
    ),
    Case(
        21,
        "An endpoint with a query string keeps it",
        _page('<link rel="webmention" href="/rocks/21/webmention?query=yes">'),
        "/rocks/21/webmention?query=yes",
    ),
    Case(
        22,
        "An endpoint relative to the page's path",
        _page('<link rel="webmention" href="22/webmention">'),
        "/rocks/22/webmention",
    ),
    Case(
        23,
        "A redirecting target: a relative endpoint resolves against the final URL",
        _page('<link rel="webmention" href="webmention-endpoint/k7Tq">'),
        "/rocks/23/page/webmention-endpoint/k7Tq",
        redirect="/rocks/23/page/k7Tq",
    ),
]
assert [case.number for case in CASES] == list(range(1, 24))
