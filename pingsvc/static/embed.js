/* pingsvc embed widget: a post's replies, likes, reposts, mentions and pingbacks.
 *
 * <script src="BASE/embed.js" data-target="https://blog.example/post/1" async></script>
 *
 * Renders where the tag stands (or into every [data-pingsvc-mentions] element), inside a
 * Shadow DOM. Works as a classic script or as type="module"; no framework, no build step.
 * Source data is never parsed as HTML: every node is built with textContent and attribute
 * setters, and only http(s) URLs reach href or src. */
(() => {
  "use strict";
  const SELF = document.currentScript;
  const DONE = (window[Symbol.for("pingsvc.embed")] ||= new WeakSet());
  const TYPES = {
    "in-reply-to": "reply", "like-of": "like", "repost-of": "repost",
    "bookmark-of": "bookmark", "mention-of": "mention", rsvp: "rsvp",
  };
  const ALL = Object.values(TYPES);
  const PILE = ["like", "repost"];
  const MAX_DEPTH = 4;
  const EXCERPT = 400;
  const STRINGS = {
    heading: "Mentions",
    reply: "reply|replies", like: "like|likes", repost: "repost|reposts",
    bookmark: "bookmark|bookmarks", mention: "mention|mentions", rsvp: "RSVP|RSVPs",
    likedBy: "Liked by", repostedBy: "Reposted by", summary: "Summary",
    replied: "replied", mentioned: "mentioned this", bookmarked: "bookmarked this",
    yes: "is going", no: "is not going", maybe: "might go", interested: "is interested",
    pingback: "Pingback:", webmention: "Mention:", source: "source",
    more: "Show more", loading: "Loading…", loaded: "{n} more loaded",
    empty: "No mentions yet.", error: "Mentions could not be loaded.",
  };
  const VERBS = { reply: "replied", mention: "mentioned", bookmark: "bookmarked" };
  const RSVP = ["yes", "no", "maybe", "interested"];

  const STYLE = `
:host{display:block;margin:2em 0}
.w{--t:var(--pingsvc-text,#1f2328);--m:var(--pingsvc-muted,#59636e);--b:var(--pingsvc-bg,#fff);
--l:var(--pingsvc-border,#d1d9e0);--a:var(--pingsvc-link,#0969da);--f:var(--pingsvc-focus,#0969da);
--s:var(--pingsvc-avatar-size,40px);--ps:var(--pingsvc-facepile-size,32px);
color:var(--t);background:var(--b);border:1px solid var(--l);border-radius:var(--pingsvc-radius,8px);
padding:var(--pingsvc-padding,1em 1.25em);font-family:var(--pingsvc-font,inherit);line-height:1.5;text-align:start}
.w.dark{--t:var(--pingsvc-text,#e6edf3);--m:var(--pingsvc-muted,#9198a1);--b:var(--pingsvc-bg,#0d1117);
--l:var(--pingsvc-border,#3d444d);--a:var(--pingsvc-link,#4493f8);--f:var(--pingsvc-focus,#4493f8)}
.w.quiet{border-color:transparent;background:transparent;padding:0}
.h{font-size:1.2em;line-height:1.3;margin:0 0 .5em;color:inherit}
ul,ol{list-style:none;margin:0;padding:0}
a{color:var(--a)}
a:focus-visible,button:focus-visible,article:focus-visible{outline:2px solid var(--f);outline-offset:2px;border-radius:4px}
.n{display:flex;flex-wrap:wrap;gap:.25em 1.25em;margin:0 0 1em;color:var(--m);font-size:.9em}
.n b{color:var(--t)}
.p{display:flex;flex-wrap:wrap;align-items:center;gap:.25em .75em;margin:0 0 .75em}
.p p{margin:0;color:var(--m);font-size:.9em}
.p ul{display:flex;flex-wrap:wrap;padding-left:6px}
.p li{margin:0 0 0 -6px}
.p a,.p li>span{display:block;border-radius:50%}
.p .av{width:var(--ps);height:var(--ps);border:2px solid var(--b);font-size:.8em}
.av{width:var(--s);height:var(--s);border-radius:50%;object-fit:cover;flex:none;box-sizing:border-box;
display:grid;place-items:center;background:hsl(var(--h,210) 35% 38%);color:#fff;font-weight:600}
article{display:flex;gap:.75em;padding:.75em 0}
.list>li+li{border-top:1px solid var(--l)}
.sub{margin-left:calc(var(--s) / 2);padding-left:calc(var(--s) / 2);border-left:2px solid var(--l)}
.x{flex:1;min-width:0}
.x p{margin:0}
.meta{color:var(--m);font-size:.9em}
.au{color:var(--t);font-weight:600;text-decoration:none}
.au:hover,.d:hover{text-decoration:underline}
.d{color:var(--m);text-decoration:none}
.tx{margin-top:.25em!important;overflow-wrap:anywhere;white-space:pre-line}
.ti{font-weight:600}
.pb .tx{color:var(--m);font-size:.9em}
.more{font:inherit;color:var(--t);background:transparent;border:1px solid var(--l);border-radius:6px;
padding:.4em 1em;margin-top:.75em;cursor:pointer}
.more:hover{border-color:var(--m)}
.more[disabled]{cursor:progress;opacity:.7}
.q{margin:0;color:var(--m);font-size:.9em}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}`;

  /** An element with a class; children may be nodes or plain strings (text). */
  function el(tag, cls, ...kids) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    node.append(...kids);
    return node;
  }

  /** The URL if it is an absolute http(s) URL, else null: nothing else reaches href or src. */
  function safeUrl(value) {
    if (typeof value !== "string") return null;
    try {
      const url = new URL(value);
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
    } catch {
      return null;
    }
  }

  /** `value` resolved against the page, if that gives an http(s) URL. */
  function absolute(value) {
    try {
      return value ? safeUrl(new URL(value, location.href).href) : null;
    } catch {
      return null;
    }
  }

  const str = (value) => (typeof value === "string" ? value.trim() : "");

  function hue(text) {
    let h = 0;
    for (const ch of text) h = (h * 31 + ch.codePointAt(0)) >>> 0;
    return h % 360;
  }

  function typeOf(m) {
    return TYPES[m["wm-property"]] || "mention";
  }

  function authorOf(m) {
    const a = m.author && typeof m.author === "object" ? m.author : {};
    let host = "";
    try {
      host = new URL(safeUrl(m.url) || safeUrl(m["wm-source"]) || "").hostname;
    } catch {}
    return { name: str(a.name) || host || "?", url: safeUrl(a.url), photo: safeUrl(a.photo) };
  }

  /** A page without microformats, or a pingback: shown like WordPress shows pingbacks. */
  function isPingback(m) {
    return typeOf(m) === "mention" && (!!str(m["wm-site-name"]) || m["wm-protocol"] === "pingback");
  }

  function excerpt(m) {
    const text =
      str(m.content && m.content.text) || str(m.summary && m.summary.value) ||
      (typeof m.summary === "string" ? str(m.summary) : "");
    return text.length > EXCERPT ? text.slice(0, EXCERPT).replace(/\s+\S*$/, "") + " …" : text;
  }

  function when(m) {
    const published = Date.parse(str(m.published));
    return new Date(Number.isNaN(published) ? Date.parse(str(m["wm-received"])) : published);
  }

  class Widget {
    constructor(host, opts, place) {
      this.host = host;
      this.o = opts;
      this.place = place;
      this.items = new Map();
      this.page = 0;
      this.counts = null;
      this.root = host.attachShadow({ mode: "open" });
      this.status = el("p", "sr");
      this.status.setAttribute("role", "status");
      this.root.append(el("style", "", STYLE), this.status);
      this.s = (key) =>
        (Object.hasOwn(opts.strings, key) && str(opts.strings[key])) ||
        (Object.hasOwn(STRINGS, key) ? STRINGS[key] : "");
      const lang = opts.lang;
      try {
        this.rel = new Intl.RelativeTimeFormat(lang, { numeric: "auto" });
        this.abs = new Intl.DateTimeFormat(lang, { dateStyle: "long", timeStyle: "short" });
        this.plural = new Intl.PluralRules(lang);
      } catch {
        this.rel = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
        this.abs = new Intl.DateTimeFormat(undefined, { dateStyle: "long", timeStyle: "short" });
        this.plural = new Intl.PluralRules();
      }
      if (opts.theme === "auto" && window.matchMedia) {
        this.scheme = window.matchMedia("(prefers-color-scheme: dark)");
        this.scheme.addEventListener("change", () => this.render());
      }
    }

    url(path, extra) {
      const url = new URL(path, this.o.api);
      for (const [key, value] of extra) url.searchParams.append(key, value);
      return url.href;
    }

    async fetchJSON(url) {
      const response = await fetch(url, { credentials: "omit" });
      if (!response.ok) throw new Error(`${response.status} from ${url}`);
      return response.json();
    }

    async start() {
      const targets = this.o.targets.map((t) => ["target", t]);
      const counts = this.fetchJSON(this.url("api/count.json", targets)).catch(() => null);
      try {
        await this.load();
        this.counts = await counts;
        this.render();
      } catch (error) {
        console.warn("pingsvc:", error);
        this.failed = true;
        this.render();
      }
    }

    /** Fetch the next page and keep what it adds; returns the ids that were new. */
    async load() {
      const o = this.o;
      const params = o.targets.map((t) => ["target[]", t]);
      params.push(["per-page", o.perPage], ["page", this.page], ["sort-dir", o.sort]);
      if (o.types.length < ALL.length) {
        for (const [prop, type] of Object.entries(TYPES)) {
          if (o.types.includes(type)) params.push(["wm-property[]", prop]);
        }
      }
      const feed = await this.fetchJSON(this.url("api/mentions.jf2", params));
      const children = Array.isArray(feed && feed.children) ? feed.children : [];
      const added = [];
      for (const m of children) {
        if (!m || typeof m !== "object") continue;
        const id = String(m["wm-id"] ?? m["wm-source"]);
        if (!this.items.has(id)) added.push(id);
        this.items.set(id, m);
      }
      this.page += 1;
      this.more = children.length >= o.perPage && added.length > 0;
      return added;
    }

    async showMore(button) {
      button.disabled = true;
      button.setAttribute("aria-busy", "true");
      button.textContent = this.s("loading");
      try {
        const added = await this.load();
        this.render();
        this.status.textContent = this.s("loaded").replace("{n}", added.length);
        const first = added
          .map((id) => this.root.querySelector(`article[data-id="${CSS.escape(id)}"]`))
          .find(Boolean);
        (first || this.root.querySelector(".more") || this.root.querySelector(".h"))?.focus();
      } catch (error) {
        console.warn("pingsvc:", error);
        button.disabled = false;
        button.removeAttribute("aria-busy");
        button.textContent = this.s("more");
        this.status.textContent = this.s("error");
      }
    }

    label(type, n) {
      const [one, other] = this.s(type).split("|");
      return this.plural.select(n) === "one" ? one : other || one;
    }

    sorted() {
      const dir = this.o.sort === "down" ? -1 : 1;
      const key = (m) => Date.parse(str(m["wm-received"])) || 0;
      return [...this.items.values()]
        .filter((m) => this.o.types.includes(typeOf(m)))
        .sort((a, b) => dir * (key(a) - key(b) || (Number(a["wm-id"]) || 0) - (Number(b["wm-id"]) || 0)));
    }

    render() {
      const started = performance.now();
      const o = this.o;
      const items = this.sorted();
      const dark = o.theme === "dark" || (o.theme === "auto" && this.scheme?.matches);
      const w = el("section", dark ? "w dark" : "w");
      const heading = o.heading ?? this.s("heading");
      if (heading) {
        const h = el(`h${o.level}`, "h", heading);
        h.id = "h";
        h.tabIndex = -1;
        w.setAttribute("aria-labelledby", "h");
        w.append(h);
      } else {
        w.setAttribute("aria-label", this.s("heading"));
      }
      let state = "ready";
      if (this.failed) {
        state = "error";
        w.classList.add("quiet");
        w.append(el("p", "q", this.s("error")));
      } else if (!items.length) {
        state = "empty";
        w.classList.add("quiet");
        if (o.strings.empty === "") w.hidden = true;
        w.append(el("p", "q", this.s("empty")));
      } else {
        w.append(this.summary(items));
        for (const type of PILE) {
          const faces = items.filter((m) => typeOf(m) === type);
          if (faces.length) w.append(this.pile(type, faces));
        }
        const list = items.filter((m) => !PILE.includes(typeOf(m)));
        if (list.length) w.append(this.thread(list));
        const total = Number(this.counts?.count);
        if (this.more && !(total >= 0 && this.items.size >= total)) {
          const button = el("button", "more", this.s("more"));
          button.type = "button";
          button.addEventListener("click", () => this.showMore(button));
          w.append(button);
        }
      }
      this.root.querySelector("section")?.remove();
      this.root.insertBefore(w, this.status);
      this.place?.();
      this.place = null;
      this.host.dataset.state = state;
      const detail = { state, shown: items.length, ms: performance.now() - started };
      this.host.dispatchEvent(new CustomEvent("pingsvc:render", { bubbles: true, detail }));
    }

    summary(items) {
      const counts = {};
      if (this.counts && this.counts.type && typeof this.counts.type === "object") {
        for (const [key, n] of Object.entries(this.counts.type)) {
          const type = key.startsWith("rsvp") ? "rsvp" : key;
          counts[type] = (counts[type] || 0) + (Number(n) || 0);
        }
      }
      for (const type of ALL) {
        const loaded = items.filter((m) => typeOf(m) === type).length;
        counts[type] = Math.max(counts[type] || 0, loaded);
      }
      const ul = el("ul", "n");
      ul.setAttribute("aria-label", this.s("summary"));
      for (const type of ALL) {
        const n = counts[type];
        if (n && this.o.types.includes(type)) {
          const li = el("li", "", el("b", "", String(n)), " ", this.label(type, n));
          li.dataset.type = type;
          ul.append(li);
        }
      }
      return ul;
    }

    avatar(author, alt) {
      if (author.photo) {
        const img = el("img", "av");
        img.alt = alt;
        img.loading = "lazy";
        img.decoding = "async";
        img.referrerPolicy = "no-referrer";
        img.width = img.height = 40;
        img.addEventListener("error", () => img.replaceWith(this.initial(author, alt)), { once: true });
        // The archive's 192 px avatar (pingsvc.avatars) has a 96 px twin for 1x screens.
        const small = author.photo.replace(/-192\.webp$/, "-96.webp");
        if (small !== author.photo) img.srcset = `${small} 1x, ${author.photo} 2x`;
        img.src = small;
        return img;
      }
      return this.initial(author, alt);
    }

    initial(author, alt) {
      const span = el("span", "av", (Array.from(author.name)[0] || "?").toUpperCase());
      span.style.setProperty("--h", String(hue(author.name)));
      if (alt) {
        span.setAttribute("role", "img");
        span.setAttribute("aria-label", alt);
      } else {
        span.setAttribute("aria-hidden", "true");
      }
      return span;
    }

    pile(type, faces) {
      const ul = el("ul");
      for (const m of faces) {
        const author = authorOf(m);
        const href = author.url || safeUrl(m.url) || safeUrl(m["wm-source"]);
        const face = el(href ? "a" : "span", "", this.avatar(author, author.name));
        if (href) face.href = href;
        face.title = author.name;
        const li = el("li", "", face);
        li.dataset.id = String(m["wm-id"]);
        ul.append(li);
      }
      const label = el("p", "", this.s(type === "like" ? "likedBy" : "repostedBy"));
      label.id = `p-${type}`;
      ul.setAttribute("aria-labelledby", label.id);
      const row = el("div", "p", label, ul);
      row.dataset.type = type;
      return row;
    }

    thread(list) {
      const byId = new Map(list.map((m) => [String(m["wm-id"]), m]));
      const kids = new Map();
      const roots = [];
      for (const m of list) {
        const parent = m["wm-parent-id"] == null ? "" : String(m["wm-parent-id"]);
        if (parent && parent !== String(m["wm-id"]) && byId.has(parent)) {
          if (!kids.has(parent)) kids.set(parent, []);
          kids.get(parent).push(m);
        } else {
          roots.push(m);
        }
      }
      const done = new Set();
      const add = (ol, m, depth) => {
        const id = String(m["wm-id"]);
        if (done.has(id)) return;
        done.add(id);
        const li = this.entry(m);
        ol.append(li);
        const children = kids.get(id);
        if (!children) return;
        let sub = ol;
        if (depth < MAX_DEPTH) li.append((sub = el("ol", "sub")));
        for (const child of children) add(sub, child, depth + 1);
      };
      const ol = el("ol", "list");
      for (const m of roots) add(ol, m, 0);
      for (const m of list) add(ol, m, 0); // replies caught in a parent cycle
      return ol;
    }

    entry(m) {
      const type = typeOf(m);
      const author = authorOf(m);
      const source = safeUrl(m.url) || safeUrl(m["wm-source"]);
      const art = el("article");
      art.dataset.id = String(m["wm-id"]);
      art.dataset.type = type;
      art.tabIndex = -1;
      const li = el("li", "", art);
      const x = el("div", "x");
      const meta = el("p", "meta");
      const text = excerpt(m);
      const name = str(m.name);
      if (isPingback(m)) {
        li.className = "pb";
        const site = str(m["wm-site-name"]);
        const title = name && site && name !== site ? `${name} | ${site}` : name || site || author.name;
        const label = this.s(m["wm-protocol"] === "pingback" ? "pingback" : "webmention");
        const link = el(source ? "a" : "span", "au", title);
        if (source) link.href = source;
        x.append(el("p", "", `${label} `, link));
        if (text) x.append(el("p", "tx", text));
        x.append(this.date(m, source, el("p", "meta")));
      } else {
        art.append(this.avatar(author, ""));
        const who = el(author.url ? "a" : "span", "au", author.name);
        if (author.url) who.href = author.url;
        const rsvp = str(m.rsvp).toLowerCase();
        const verb = type === "rsvp" ? (RSVP.includes(rsvp) ? this.s(rsvp) : rsvp) : this.s(VERBS[type]);
        meta.append(who, verb ? ` ${verb} · ` : " · ");
        x.append(this.date(m, source, meta));
        const body = type === "reply" || type === "rsvp" ? text || name : name || text;
        if (body) x.append(el("p", body === name ? "tx ti" : "tx", body));
      }
      art.append(x);
      return li;
    }

    date(m, source, into) {
      const date = when(m);
      if (Number.isNaN(date.getTime())) {
        if (source) into.append(Object.assign(el("a", "d", this.s("source")), { href: source }));
        return into;
      }
      const time = el("time", "", this.ago(date));
      time.dateTime = date.toISOString();
      time.title = this.abs.format(date);
      const link = el(source ? "a" : "span", "d", time);
      if (source) link.href = source;
      into.append(link);
      return into;
    }

    ago(date) {
      const diff = date.getTime() - Date.now();
      const units = [["year", 31536e6], ["month", 2592e6], ["week", 6048e5], ["day", 864e5], ["hour", 36e5], ["minute", 6e4]];
      for (const [unit, ms] of units) {
        if (Math.abs(diff) >= ms || unit === "minute") return this.rel.format(Math.round(diff / ms), unit);
      }
    }
  }

  function options(node, fallback, api) {
    const get = (key) => node.dataset[key] ?? fallback?.dataset[key];
    const canonical = document.querySelector('link[rel~="canonical"][href]');
    const targets = (get("target") || "").split(/\s+/).map(absolute).filter(Boolean);
    const fallbackTarget = safeUrl(canonical && canonical.href) || location.origin + location.pathname;
    const types = (get("types") || "").split(/[\s,]+/).map((t) => TYPES[t] || t).filter((t) => ALL.includes(t));
    let strings = {};
    try {
      strings = JSON.parse(get("strings") || "{}") || {};
    } catch (error) {
      console.warn("pingsvc: data-strings is not valid JSON", error);
    }
    const perPage = Math.floor(Number(get("perPage")));
    const level = Number(get("headingLevel"));
    return {
      api: absolute(get("api")) || api,
      targets: targets.length ? targets : [fallbackTarget],
      types: types.length ? types : ALL,
      sort: get("sort") === "down" ? "down" : "up",
      perPage: perPage >= 1 && perPage <= 1000 ? perPage : 50,
      theme: ["dark", "auto"].includes(get("theme")) ? get("theme") : "light",
      heading: get("heading"),
      level: level >= 2 && level <= 6 ? level : 2,
      lang: get("lang") || document.documentElement.lang || undefined,
      strings: strings && typeof strings === "object" ? strings : {},
    };
  }

  function mount() {
    const scripts = SELF
      ? [SELF]
      : [...document.querySelectorAll("script[src]")].filter(
          (s) => /\/embed\.js$/.test(new URL(s.src, location.href).pathname) && !DONE.has(s),
        );
    const containers = [...document.querySelectorAll("[data-pingsvc-mentions]")].filter((c) => !DONE.has(c));
    for (const script of scripts) {
      DONE.add(script);
      const api = new URL(".", script.src).href;
      if (containers.length) {
        for (const box of containers.splice(0)) {
          DONE.add(box);
          const host = document.createElement("pingsvc-mentions");
          new Widget(host, options(box, script, api), () => box.replaceChildren(host)).start();
        }
      } else if (script.closest("body")) {
        const host = document.createElement("pingsvc-mentions");
        script.after(host);
        new Widget(host, options(script, null, api)).start();
      }
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", mount, { once: true });
  } else {
    mount();
  }
})();
