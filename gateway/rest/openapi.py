"""What the OpenAPI document declares beyond FastAPI's reading of the endpoints.

Endpoints build their responses themselves (for speed), so every response, header, request
body and error is declared here and attached with `responses=` and `openapi_extra=`.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from gateway.json_models import BookChanges, BookIn, BorrowIn
from gateway.rest.formats import MEDIA_TYPES, Format
from gateway.rest.models import LoanReturn, Problem
from gateway.rest.problems import PROBLEM_JSON, PROBLEM_XML, WWW_AUTHENTICATE
from gateway.rest.xml_form import PROBLEM_NAMESPACE
from services.operations import CHANGES

BEARER = "bearerAuth"
_SCHEMAS = "#/components/schemas/{model}"

_PROBLEM_DESCRIPTIONS = {
    401: "No API token was sent (only when the server runs with one). "
    f"Comes with `WWW-Authenticate: {WWW_AUTHENTICATE}`.",
    403: "The API token is wrong.",
    404: "No book or loan has that identifier.",
    406: f"The Accept header allows none of {', '.join(MEDIA_TYPES)}.",
    408: "The request body did not arrive whole in time (30 seconds by default).",
    409: "The change clashes with the current state: duplicate ISBN, no copy free, "
    "copies below the loans, open loans on removal, loan returned already.",
    412: "If-Match names no current version of the book; `current_version` says which is.",
    413: "The request body is larger than the server's limit (1 MiB by default).",
    415: "The request body is not JSON.",
    422: "The input breaks a rule of the contract; `errors` lists every broken rule.",
    500: "The server failed; the cause is logged, never shown.",
    503: "The database is unavailable (down, restarting or out of reach); the same request "
    "may succeed later. `Retry-After` says after how many seconds to try again.",
}

_HEADERS = {
    "ETag": {
        "description": 'Validator of this representation. A book\'s is its version: "3" '
        'as JSON, "3-xml", "3-html" and "3-text" in the other formats; other resources hash '
        "their body.",
        "schema": {"type": "string", "examples": ['"3"']},
    },
    "Cache-Control": {
        "description": "`no-cache`: keep it, but revalidate with If-None-Match.",
        "schema": {"type": "string"},
    },
    "Vary": {"description": "`Accept`", "schema": {"type": "string"}},
    "Location": {"description": "URL of the new resource", "schema": {"type": "string"}},
    "Content-Location": {
        "description": "The URL whose representation the body is: the new resource's on 201, "
        "the canonical one when a book was asked for by another form of its ISBN.",
        "schema": {"type": "string"},
    },
}

IF_NONE_MATCH = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "description": "ETags the client holds: 304 Not Modified if one is current.",
    "schema": {"type": "string"},
}
IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "required": False,
    "description": 'Change only this version: `"3"` or `"3-xml"` (any format\'s tag), a list '
    "of them, or `*`. Without it the change applies to whatever version is current.",
    "schema": {"type": "string", "examples": ['"3"']},
}


def _headers(*names: str) -> dict[str, Any]:
    return {name: _HEADERS[name] for name in names}


def representation(model: type[BaseModel], description: str, *headers: str) -> dict[str, Any]:
    """A success response whose body is `model`, in every format (the others are added at the
    end, by `complete`)."""
    return {
        "model": model,
        "description": description,
        "headers": _headers("ETag", "Cache-Control", "Vary", *headers),
    }


NOT_MODIFIED = {
    "description": "Not modified: the If-None-Match tag is current. No body.",
    "headers": _headers("ETag", "Cache-Control", "Vary"),
}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    schema = {"$ref": _SCHEMAS.format(model="Problem")}
    declared: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        declared[status] = {
            "description": _PROBLEM_DESCRIPTIONS[status],
            "content": {PROBLEM_JSON: {"schema": schema}, PROBLEM_XML: {"schema": schema}},
        }
        if status == 401:
            declared[status]["headers"] = {
                "WWW-Authenticate": {"schema": {"type": "string"}, "description": "Bearer"}
            }
        if status == 503:
            declared[status]["headers"] = {
                "Retry-After": {"schema": {"type": "integer"}, "description": "seconds"}
            }
    return declared


def json_body(model: type[BaseModel], *media_types: str) -> dict[str, Any]:
    schema = {"$ref": _SCHEMAS.format(model=model.__name__)}
    return {
        "required": True,
        "content": {media: {"schema": schema} for media in media_types or ("application/json",)},
    }


def change(body: dict[str, Any] | None = None, *parameters: dict[str, Any]) -> dict[str, Any]:
    """openapi_extra of a change: its body, if any, and parameters.

    Its security requirement is `complete`'s to add, only when the server runs with a token.
    """
    extra: dict[str, Any] = {}
    if body is not None:
        extra["requestBody"] = body
    if parameters:
        extra["parameters"] = list(parameters)
    return extra


# How the XML form names what the JSON schema describes (rest_xml renders it so).
_XML_ROOTS = {
    "BookResource": "book",
    "LoanResource": "loan",
    "BookPage": "books",
    "LoanCollection": "loans",
    "EntryPoint": "api",
}
_XML_LIST_ENTRIES = {
    ("BookResource", "authors"): "author",
    ("BookResource", "tags"): "tag",
    ("BookPage", "items"): "book",
    ("LoanCollection", "items"): "loan",
    ("Problem", "errors"): "i",
}
_XML_LINKS = (
    'In XML, one `<link rel="..." href="..."/>` element per entry, directly inside the '
    "resource, as in Atom and HAL's XML form."
)


def _describe_xml(schemas: dict[str, Any]) -> None:
    for name, root in _XML_ROOTS.items():
        schemas[name]["xml"] = {"name": root}
        schemas[name]["properties"]["_links"]["description"] = _XML_LINKS
    schemas["Problem"]["xml"] = {"name": "problem", "namespace": PROBLEM_NAMESPACE}
    for (name, field), entry in _XML_LIST_ENTRIES.items():
        prop = schemas[name]["properties"][field]
        # An optional list is anyOf [array, null]; the annotations belong to the array.
        array = next((s for s in prop.get("anyOf", []) if s.get("type") == "array"), prop)
        array["xml"] = {"wrapped": True}
        array["items"]["xml"] = {"name": entry}


def declare_security(schema: dict[str, Any], token_required: bool) -> None:
    """The bearer token on the contract's changes, as the server runs: with a token, each change
    requires it; without one, nothing does, and no change can answer 401 or 403."""
    changes = [
        operation
        for operations in schema.get("paths", {}).values()
        for operation in operations.values()
        if operation.get("operationId") in CHANGES
    ]
    if not token_required:
        for operation in changes:
            for status in ("401", "403"):
                operation.get("responses", {}).pop(status, None)
        return
    schema["components"]["securitySchemes"] = {
        BEARER: {
            "type": "http",
            "scheme": "bearer",
            "description": "The API token (ROSETTA_API_TOKEN). This server runs with one: "
            "every change needs it; reads never do.",
        }
    }
    for operation in changes:
        operation["security"] = [{BEARER: []}]


def complete(schema: dict[str, Any], token_required: bool) -> dict[str, Any]:
    """Adds what FastAPI cannot infer: input and problem schemas, the bearer scheme, XML."""
    components = schema.setdefault("components", {})
    _, definitions = models_json_schema(
        [
            (BookIn, "validation"),
            (BookChanges, "validation"),
            (BorrowIn, "validation"),
            (LoanReturn, "validation"),
            (Problem, "serialization"),
        ],
        ref_template=_SCHEMAS,
    )
    schemas = components.setdefault("schemas", {})
    for name, definition in definitions.get("$defs", {}).items():
        schemas.setdefault(name, definition)
    declare_security(schema, token_required)
    _describe_xml(schemas)
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            for response in operation.get("responses", {}).values():
                content = response.get("content", {})
                if Format.JSON.media_type in content:
                    _add_other_formats(content)
    return schema


_READABLE_FORMS = {
    Format.HTML: "A small page: the same fields as a definition list, and the links as "
    "`<a rel href>` links a browser can follow.",
    Format.TEXT: "A readable summary: one `name: value` line per field, the links last.",
}


def _add_other_formats(content: dict[str, Any]) -> None:
    # XML carries the JSON's fields, so its schema is the JSON's, with the `xml` names above.
    content.setdefault(Format.XML.media_type, content[Format.JSON.media_type])
    for fmt, description in _READABLE_FORMS.items():
        content.setdefault(
            fmt.media_type, {"schema": {"type": "string", "description": description}}
        )
