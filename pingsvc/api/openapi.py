"""The OpenAPI 3 description of the read API, served at /api/openapi.json. It states what
api.params accepts and what api.views answers; tests/api/test_openapi.py runs schemathesis
against it."""

from __future__ import annotations

from typing import Any

from pingsvc.api import changes
from pingsvc.api.jf2 import WM_PROPERTIES
from pingsvc.api.params import DEFAULT_PER_PAGE, MAX_OFFSET, MAX_PER_PAGE, MAX_TARGETS, SORT_BY

# ECMA-262 forms of api.params' patterns (JSON Schema patterns are ECMA regular expressions).
SINCE_PATTERN = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}([Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.,][0-9]{1,9})?)?"
    r" ?([Zz]|[+\- ][0-9]{2}(:?[0-9]{2})?)?)?$"
)
JSONP_PATTERN = r"^[A-Za-z_$][A-Za-z0-9_$]{0,63}(\.[A-Za-z_$][A-Za-z0-9_$]{0,63}){0,7}$"
STAMP_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$"
HTTP_URL_PATTERN = r"^https?://"


def _param(name: str, schema: dict[str, Any], description: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "in": "query", "schema": schema, "description": description, **extra}


def _array(
    name: str, items: dict[str, Any], description: str, max_items: int | None = None
) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "array", "items": items}
    if max_items is not None:
        schema["maxItems"] = max_items
    return _param(name, schema, description, style="form", explode=True)


_TARGET = {"type": "string", "maxLength": 2048, "example": "https://blog.example/post/1"}
SCOPE_PARAMETERS = [
    _param(
        "target",
        _TARGET,
        "The post's URL. http and https, a trailing slash and a fragment name the same post. "
        "Give target (or target[]) or a token.",
    ),
    _array("target[]", _TARGET, "Several post URLs; the answer is their union.", MAX_TARGETS),
    _param(
        "domain",
        {"type": "string", "maxLength": 255, "example": "blog.example"},
        "Every mention of this site; needs the site's token.",
    ),
    _param("token", {"type": "string", "maxLength": 256}, "The site's API token."),
    _param("access_token", {"type": "string", "maxLength": 256}, "Same as token."),
    _param(
        "jsonp",
        {"type": "string", "pattern": JSONP_PATTERN, "example": "handleMentions"},
        "Wrap the JSON in a call to this function (JSON formats only).",
    ),
]
_INT = "integer"
LIST_PARAMETERS = [
    _param(
        "per-page",
        {"type": _INT, "minimum": 1, "maximum": MAX_PER_PAGE, "default": DEFAULT_PER_PAGE},
        f"Mentions per page, honoured exactly up to {MAX_PER_PAGE}.",
    ),
    _param(
        "perPage",
        {"type": _INT, "minimum": 1, "maximum": MAX_PER_PAGE},
        "Older spelling of per-page.",
        deprecated=True,
    ),
    _param(
        "page",
        {"type": _INT, "minimum": 0, "maximum": MAX_OFFSET, "default": 0},
        "Page number, from 0.",
    ),
    _param(
        "since",
        {"type": "string", "pattern": SINCE_PATTERN, "example": "2024-03-05T10:12:00Z"},
        "Only mentions received strictly after this moment (compare wm-received). No offset "
        "means UTC; an offset's + may arrive as a space.",
    ),
    _param(
        "since_id",
        {"type": _INT, "minimum": 0, "maximum": 2**62},
        "Only mentions whose wm-id is greater.",
    ),
    _param(
        "sort-by",
        {"type": "string", "enum": list(SORT_BY), "default": "created"},
        "created (when received), updated, published (as the post says, in UTC; a mention "
        "without a date, such as a like from a silo, by when it was received, in both "
        "directions), rsvp.",
    ),
    _param(
        "sort-dir",
        {"type": "string", "enum": ["down", "up"], "default": "down"},
        "down: newest first; up: oldest first.",
    ),
    _param(
        "wm-property",
        {"type": "string", "enum": list(WM_PROPERTIES)},
        "Only mentions of this kind.",
    ),
    _array(
        "wm-property[]",
        {"type": "string", "enum": list(WM_PROPERTIES)},
        "Only mentions of these kinds.",
    ),
]

CHANGES_PARAMETERS = [
    _param(
        "domain",
        {"type": "string", "maxLength": 255, "example": "blog.example"},
        "The site; optional, it must be the token's site when given.",
    ),
    _param(
        "token",
        {"type": "string", "maxLength": 256},
        "The site's API token (or send it as Authorization: Bearer).",
    ),
    _param(
        "since",
        {"type": "string", "pattern": "^[0-9]{1,18}$", "default": "0", "example": "0"},
        "The cursor of the last change applied (or the `next` of the page before); omitted "
        "or 0 starts at the beginning. Cursors only grow.",
    ),
    _param(
        "per-page",
        {
            "type": _INT,
            "minimum": 1,
            "maximum": changes.MAX_PER_PAGE,
            "default": changes.DEFAULT_PER_PAGE,
        },
        "Changes per page.",
    ),
]

_NULLABLE_STRING = {"type": ["string", "null"]}
SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error", "error_description"],
        "properties": {"error": {"type": "string"}, "error_description": {"type": "string"}},
    },
    "Card": {
        "type": "object",
        "required": ["type", "name", "photo", "url"],
        "properties": {
            "type": {"const": "card"},
            "name": {"type": "string"},
            "photo": {**_NULLABLE_STRING, "description": "null when the author has no photo"},
            "url": {"type": "string"},
        },
    },
    "Entry": {
        "type": "object",
        "required": [
            "type",
            "author",
            "url",
            "published",
            "wm-received",
            "wm-id",
            "wm-source",
            "wm-target",
            "wm-protocol",
            "wm-property",
            "wm-private",
        ],  # fmt: skip
        "properties": {
            "type": {"const": "entry"},
            "author": {"$ref": "#/components/schemas/Card"},
            "url": {"type": "string", "pattern": HTTP_URL_PATTERN},
            "name": {"type": "string", "description": "Only for posts with a real title."},
            "published": _NULLABLE_STRING,
            "updated": {"type": "string"},
            "wm-received": {"type": "string", "pattern": STAMP_PATTERN},
            "wm-id": {"type": "integer"},
            "wm-source": {"type": "string", "pattern": HTTP_URL_PATTERN},
            "wm-target": {"type": "string", "pattern": HTTP_URL_PATTERN},
            "wm-protocol": {
                "type": "string",
                "enum": ["webmention", "pingback", "trackback", "comment"],
                "description": "trackback and comment: imported from WordPress.",
            },
            "wm-property": {"type": "string", "enum": list(WM_PROPERTIES)},
            "wm-private": {"type": "boolean"},
            "wm-held": {"type": "boolean", "description": "Owner's view: held for moderation."},
            "wm-parent-id": {"type": "integer"},
            "content": {
                "type": "object",
                "required": ["text"],
                "properties": {"html": {"type": "string"}, "text": {"type": "string"}},
            },
            "rsvp": {"type": "string", "enum": ["yes", "no", "maybe", "interested"]},
            "syndication": {"type": "array", "items": {"type": "string"}},
        },
    },
    "Feed": {
        "type": "object",
        "required": ["type", "name", "children", "total", "next"],
        "properties": {
            "type": {"const": "feed"},
            "name": {"type": "string"},
            "children": {"type": "array", "items": {"$ref": "#/components/schemas/Entry"}},
            "total": {"type": "integer", "minimum": 0},
            "next": {**_NULLABLE_STRING, "description": "The next page's URL; null on the last."},
        },
    },
    "Link": {
        "type": "object",
        "required": ["source", "verified", "verified_date", "id", "private", "data", "activity"],
        "properties": {
            "source": {"type": "string"},
            "verified": {"type": "boolean"},
            "verified_date": {"type": "string"},
            "id": {"type": "integer"},
            "private": {"type": "boolean"},
            "target": {"type": "string"},
            "data": {
                "type": "object",
                "required": ["url", "name", "content", "published", "published_ts"],
                "properties": {
                    "url": {"type": "string", "pattern": HTTP_URL_PATTERN},
                    "name": _NULLABLE_STRING,
                    "content": _NULLABLE_STRING,
                    "published": _NULLABLE_STRING,
                    "published_ts": {"type": ["integer", "null"]},
                },
            },
            "activity": {
                "type": "object",
                "required": ["type"],
                "properties": {
                    "type": {
                        "type": "string",
                        "enum": ["reply", "like", "repost", "bookmark", "link", "rsvp"],
                    },
                    "sentence": {"type": "string"},
                    "sentence_html": {"type": "string"},
                },
            },
        },
    },
    "Links": {
        "type": "object",
        "required": ["links", "total", "next"],
        "properties": {
            "links": {"type": "array", "items": {"$ref": "#/components/schemas/Link"}},
            "total": {"type": "integer", "minimum": 0},
            "next": _NULLABLE_STRING,
        },
    },
    "Change": {
        "type": "object",
        "required": ["cursor", "op", "wm-id", "wm-target"],
        "properties": {
            "cursor": {"type": "integer", "minimum": 1},
            "op": {
                "type": "string",
                "enum": ["upsert", "delete"],
                "description": "upsert: store `entry` under wm-id (new or changed); delete: "
                "remove wm-id (the owner deleted or blocked it, its source is gone, or it is "
                "no longer shown for another reason).",
            },
            "wm-id": {"type": "integer"},
            "wm-target": {"type": "string", "pattern": HTTP_URL_PATTERN},
            "entry": {"$ref": "#/components/schemas/Entry"},
        },
    },
    "Changes": {
        "type": "object",
        "required": ["changes", "next"],
        "properties": {
            "changes": {"type": "array", "items": {"$ref": "#/components/schemas/Change"}},
            "next": {
                "type": ["integer", "null"],
                "description": "Pass as since= for the next page; null on the last page (then "
                "poll later from the last change's cursor).",
            },
        },
    },
    "Counts": {
        "type": "object",
        "required": ["count", "type"],
        "properties": {
            "count": {"type": "integer", "minimum": 0},
            "type": {"type": "object", "additionalProperties": {"type": "integer", "minimum": 1}},
            "targets": {
                "type": "object",
                "additionalProperties": {
                    "type": "object",
                    "required": ["count", "type"],
                    "properties": {
                        "count": {"type": "integer"},
                        "type": {"type": "object", "additionalProperties": {"type": "integer"}},
                    },
                },
            },
        },
    },
}

_CACHE_HEADERS = {
    "ETag": {"schema": {"type": "string"}},
    "Cache-Control": {"schema": {"type": "string"}},
    "Access-Control-Allow-Origin": {"schema": {"const": "*"}},
}


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _responses(content: dict[str, Any]) -> dict[str, Any]:
    return {
        "200": {"description": "OK", "headers": _CACHE_HEADERS, "content": content},
        "304": {"description": "Not modified since the ETag or date the client sent."},
        "400": _error("A parameter is missing or has a value the API does not know."),
        "401": _error("The token is not valid, or belongs to another site."),
    }


def _json(ref: str) -> dict[str, Any]:
    schema = {"$ref": f"#/components/schemas/{ref}"}
    return {"application/json": {"schema": schema}, "application/javascript": {}}


def _changes_operation() -> dict[str, Any]:
    responses = {
        "200": {
            "description": "The changes after `since`, oldest first; each mention once per "
            "page, as it is now.",
            "headers": {"Cache-Control": {"schema": {"type": "string"}}},
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Changes"}}},
        },
        "400": _error("`since` is not a cursor of this feed, or a parameter is wrong."),
        "401": _error("The token is missing, not valid, or belongs to another site."),
    }
    return {
        "get": {
            "summary": "The site's change feed, with tombstones",
            "description": "Every change to what /api/mentions.jf2?domain=…&token=… lists: "
            "new, edited and re-verified mentions, the owner's decisions, and deletions (by "
            "the owner, a block rule or a 410 from the source) as `delete`. A cache that "
            "starts from since=0 and applies every change holds exactly what that API lists.",
            "parameters": CHANGES_PARAMETERS,
            "responses": responses,
        }
    }


def _operation(summary: str, parameters: list[dict[str, Any]], content: dict[str, Any]) -> Any:
    return {"get": {"summary": summary, "parameters": parameters, "responses": _responses(content)}}


def document(base_url: str) -> dict[str, Any]:
    """The OpenAPI 3.1 document for this install."""
    mentions = SCOPE_PARAMETERS + LIST_PARAMETERS
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "pingsvc read API",
            "version": "1.0",
            "description": "webmention.io's read API, self-hosted: the same requests and "
            "shapes. Without a token only approved mentions are listed; with the site's token "
            "its owner also sees held ones (wm-held).",
        },
        "servers": [{"url": base_url}],
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "paths": {
            "/api/mentions.jf2": _operation("Mentions as a jf2 feed", mentions, _json("Feed")),
            "/api/mentions.json": _operation(
                "Mentions in webmention.io's links shape", mentions, _json("Links")
            ),
            "/api/mentions.atom": _operation(
                "Mentions as an Atom feed",
                SCOPE_PARAMETERS[:-1] + LIST_PARAMETERS,
                {"application/atom+xml": {"schema": {"type": "string"}}},
            ),
            "/api/mentions.html": _operation(
                "Mentions as an HTML page",
                SCOPE_PARAMETERS[:-1] + LIST_PARAMETERS,
                {"text/html": {"schema": {"type": "string"}}},
            ),
            "/api/count.json": _operation(
                "How many mentions, by type", SCOPE_PARAMETERS, _json("Counts")
            ),
            "/api/count": _operation(
                "How many mentions, by type (webmention.io's snippet path)",
                SCOPE_PARAMETERS,
                _json("Counts"),
            ),
            "/api/changes.json": _changes_operation(),
        },
    }
