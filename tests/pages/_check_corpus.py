#!/usr/bin/env python3
"""Sanity checks for the saved source-page corpus (not a pytest module).

    python3 tests/pages/_check_corpus.py

Hard checks (exit status 1 on failure), needing only html5lib:
  * every source file has its .expected.json and vice versa; keys are known
  * every source is 2-40 KB and decodes in its declared encoding
  * no page hard-codes the test server's host
  * links: true  <=> some a/area[href], link[href], img/video/audio/source
    [src] resolves (after <base href>, fragment dropped) to exactly the
    target; for .json/.txt sources the target must occur as a substring

Soft checks (printed, informational), when mf2py + mf2util are importable:
  * what mf2py/mf2util extract for the entry that links to the target,
    compared with the expected values
"""
import json
import os
import sys
from urllib.parse import urljoin, urldefrag

HERE = os.path.dirname(os.path.abspath(__file__))
TARGET = "https://blog.example/post/1"
BASE = "http://127.0.0.1:8000/"  # stand-in for the tests' random port
KEYS = {"links", "property", "rsvp", "author_name", "author_url", "name",
        "published", "content_contains", "encoding", "gone"}
PROPERTIES = {"in-reply-to", "like-of", "repost-of", "bookmark-of",
              "mention-of", "rsvp"}
LINK_ATTRS = {"a": "href", "area": "href", "link": "href", "img": "src",
              "video": "src", "audio": "src", "source": "src"}


def sources():
    for name in sorted(os.listdir(HERE)):
        if name.startswith("_") or name.endswith(".expected.json"):
            continue
        if name.endswith((".html", ".json", ".txt")):
            yield name


def expected_path(name):
    stem = name[:-5] if name.endswith(".html") else name
    return os.path.join(HERE, stem + ".expected.json")


def decode(data, encoding):
    if encoding == "utf-16":
        assert data[:2] in (b"\xff\xfe", b"\xfe\xff"), "no UTF-16 BOM"
    return data.decode({"iso-8859-1": "latin-1"}.get(encoding, encoding))


def html_links(text, page_url):
    """Return (resolved_urls, raw_values) of real link attributes."""
    import html5lib
    doc = html5lib.parse(text, namespaceHTMLElements=False)
    base = page_url
    for el in doc.iter("base"):
        if el.get("href") is not None:
            base = urljoin(page_url, el.get("href").strip())
            break
    resolved, raw = [], []
    for el in doc.iter():
        attr = LINK_ATTRS.get(el.tag if isinstance(el.tag, str) else "")
        if attr and el.get(attr) is not None:
            value = el.get(attr).strip()
            raw.append(value)
            resolved.append(urldefrag(urljoin(base, value))[0])
    return resolved, raw


def soft_mf2(name, text, exp, page_url):
    try:
        import mf2py
        import mf2util
    except ImportError:
        return None
    notes = []
    parsed = mf2py.parse(doc=text, url=page_url)

    def entries(items):
        for it in items:
            if "h-entry" in it.get("type", []):
                yield it
            yield from entries(it.get("children", []))

    def links_target(obj):
        """Exact (fragment-less) match only: /post/12 must not count."""
        if isinstance(obj, str):
            return urldefrag(obj.strip())[0] == TARGET
        if isinstance(obj, list):
            return any(links_target(o) for o in obj)
        if isinstance(obj, dict):
            if "html" in obj and TARGET in html_links(obj["html"], page_url)[0]:
                return True
            return any(links_target(v) for k, v in obj.items() if k != "html")
        return False

    def same_time(a, b):
        if a is None or b is None:
            return a == b
        norm = lambda t: mf2util.parse_datetime(t.strip())
        try:
            return norm(a) == norm(b)
        except Exception:
            return a == b

    hentry = None
    for e in entries(parsed["items"]):
        if links_target(e["properties"]):
            hentry = e
            break
    if hentry is None:
        if exp.get("author_name") is not None and "links" in exp and exp["links"]:
            notes.append("no h-entry links the target (no-mf page?)")
        return notes

    def fetch(url):
        path = os.path.join(HERE, url.rsplit("/", 1)[-1] or "index.html")
        if not url.startswith(BASE) or not os.path.exists(path):
            return {"items": [], "rels": {}, "rel-urls": {}}
        with open(path, "rb") as f:
            return mf2py.parse(doc=f.read(), url=url)

    props = hentry["properties"]
    got = {}
    for prop in ("in-reply-to", "like-of", "repost-of", "bookmark-of",
                 "mention-of"):
        if links_target(props.get(prop, [])):
            got["property"] = prop
            break
    else:
        got["property"] = "mention-of"
    if "rsvp" in props:
        got["property"] = "rsvp"
        got["rsvp"] = props["rsvp"][0]
    author = mf2util.find_author(parsed, page_url, hentry, fetch) or {}
    got["author_name"] = author.get("name")
    got["author_url"] = author.get("url")
    got["name"] = (props.get("name") or [None])[0]
    got["published"] = (props.get("published") or [None])[0]
    content = (props.get("content") or [{}])[0]
    content = content.get("value", "") if isinstance(content, dict) else content
    for key, value in exp.items():
        if key in ("links", "encoding", "gone"):
            continue
        if key == "content_contains":
            if value not in " ".join(content.split()):
                notes.append("content_contains not in mf2 content")
            continue
        if key == "author_url" and value is not None:
            value = urljoin(page_url, value)
        if key == "published" and value != got.get(key) \
                and same_time(value, got.get(key)):
            notes.append("published: mf2py normalised %r to %r (same instant)"
                         % (value, got.get(key)))
            continue
        if got.get(key) != value:
            notes.append("%s: expected %r, mf2py/mf2util gave %r"
                         % (key, value, got.get(key)))
    return notes


def main():
    failures = 0
    names = list(sources())
    for exp_name in sorted(os.listdir(HERE)):
        if exp_name.endswith(".expected.json"):
            stem = exp_name[:-len(".expected.json")]
            src = stem if stem.endswith((".json", ".txt")) else stem + ".html"
            if src not in names:
                print("FAIL %s: no source file %s" % (exp_name, src))
                failures += 1
    for name in names:
        problems = []
        path = os.path.join(HERE, name)
        with open(path, "rb") as f:
            data = f.read()
        try:
            with open(expected_path(name), encoding="utf-8") as f:
                exp = json.load(f)
        except FileNotFoundError:
            print("FAIL %s: missing expected file" % name)
            failures += 1
            continue
        unknown = set(exp) - KEYS
        if unknown:
            problems.append("unknown keys %s" % sorted(unknown))
        if "links" not in exp:
            problems.append("no 'links' key")
        if exp.get("property") not in PROPERTIES | {None}:
            problems.append("bad property %r" % exp.get("property"))
        if not 2048 <= len(data) <= 40960:
            problems.append("size %d bytes outside 2-40 KB" % len(data))
        encoding = exp.get("encoding", "utf-8")
        try:
            text = decode(data, encoding)
        except (UnicodeDecodeError, AssertionError) as e:
            problems.append("does not decode as %s: %s" % (encoding, e))
            text = data.decode("utf-8", "replace")
        if "127.0.0.1" in text or "localhost" in text:
            problems.append("hard-codes the test host")
        page_url = BASE + name
        if name.endswith(".html"):
            resolved, raw = html_links(text, page_url)
            linked = TARGET in resolved
            how = ("raw" if any(urldefrag(v)[0] == TARGET for v in raw)
                   else "via <base>/relative" if linked else "-")
        else:
            linked = TARGET in text
            how = "substring" if linked else "-"
        if linked != exp.get("links"):
            problems.append("links: expected %r, found %r" % (exp.get("links"), linked))
        status = "FAIL" if problems else "ok  "
        failures += bool(problems)
        print("%s %-34s %6d B  links=%-5s (%s)  %s" % (
            status, name, len(data), linked, how, "; ".join(problems)))
        if name.endswith(".html") and exp.get("links"):
            notes = soft_mf2(name, text, exp, page_url)
            for note in notes or ():
                print("       note: " + note)
    print("%d sources, %d failing" % (len(names), failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
