"""The OpenAPI v2 (Swagger 2.0) document at `/openapi/v2`, derived from the v3 documents. Pure.

kubectl 1.37 reads v3, except `kubectl explain --output=plaintext-openapiv2`; client-go's
`OpenAPISchema()` and Helm's validation read v2, in protobuf (openapi_v2_proto), and a real API
server serves both.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

V3_REF = "#/components/schemas/"
V2_REF = "#/definitions/"
# the first is what client-go asks for; kube-openapi answers either with the second
PROTOBUF_MEDIA_TYPES = (
    "application/com.github.proto-openapi.spec.v2@v1.0+protobuf",
    "application/com.github.proto-openapi.spec.v2.v1.0+protobuf",
)


def _v2_operation(op: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in op.items() if k not in ("parameters", "requestBody", "responses")}
    params: list[dict[str, Any]] = []
    for p in op.get("parameters") or ():
        schema = p.get("schema") or {}
        params.append({k: v for k, v in p.items() if k != "schema"} | schema)
    body = op.get("requestBody") or {}
    content = body.get("content") or {}
    if content:
        out["consumes"] = sorted(content)
        first = next(iter(content.values()))
        params.append(
            {
                "name": "body",
                "in": "body",
                "required": bool(body.get("required")),
                "schema": first.get("schema"),
            }
        )
    out["parameters"] = params
    responses: dict[str, Any] = {}
    for code, resp in (op.get("responses") or {}).items():
        entry: dict[str, Any] = {"description": resp.get("description", "")}
        schemas = [c.get("schema") for c in (resp.get("content") or {}).values() if c.get("schema")]
        if schemas:
            entry["schema"] = schemas[0]
        responses[code] = entry
    out["responses"] = responses
    out["produces"] = ["application/json", "application/yaml", "application/vnd.kubernetes.protobuf"]
    out["schemes"] = ["https"]
    return out


def swagger(v3_documents: Iterable[dict[str, Any]], version: str) -> dict[str, Any]:
    """One Swagger 2.0 document holding every group/version's paths and definitions."""
    paths: dict[str, Any] = {}
    definitions: dict[str, Any] = {}
    for doc in v3_documents:
        for path, ops in (doc.get("paths") or {}).items():
            paths[path] = {method: _v2_operation(op) for method, op in ops.items()}
        definitions.update((doc.get("components") or {}).get("schemas") or {})
    text = json.dumps(
        {
            "swagger": "2.0",
            "info": {"title": "Kubernetes", "version": version},
            "paths": paths,
            "definitions": definitions,
            "securityDefinitions": {
                "BearerToken": {
                    "description": "Bearer Token authentication",
                    "type": "apiKey",
                    "name": "authorization",
                    "in": "header",
                }
            },
            "security": [{"BearerToken": []}],
        },
        separators=(",", ":"),
    )
    result = json.loads(text.replace(V3_REF, V2_REF))
    assert isinstance(result, dict)
    for schema in result["definitions"].values():
        _plain_refs(schema)
    return result


def _plain_refs(node: Any) -> None:
    """v3 wraps a reference that has siblings (a field's description) in a one-element allOf;
    Swagger 2.0, and kube-apiserver's v2 document, put `$ref` beside them, which is what clients
    of v2 (kubectl explain's v2 reader) follow into the referenced definition."""
    if isinstance(node, list):
        for item in node:
            _plain_refs(item)
        return
    if not isinstance(node, dict):
        return
    wrapped = node.get("allOf")
    if (
        isinstance(wrapped, list)
        and len(wrapped) == 1
        and isinstance(wrapped[0], dict)
        and set(wrapped[0]) == {"$ref"}
    ):
        del node["allOf"]
        node["$ref"] = wrapped[0]["$ref"]
    for value in node.values():
        _plain_refs(value)


def negotiate(accept: str) -> str | None:
    """ "json", "protobuf" or None (406) for an Accept header, as kube-openapi's handler chooses:
    the first clause by quality that names JSON or either protobuf media type, or a wildcard."""
    clauses: list[tuple[float, int, str]] = []
    for i, part in enumerate((accept.strip() or "*/*").split(",")):
        media, *params = (p.strip() for p in part.split(";"))
        q = 1.0
        for param in params:
            if param.startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = 0.0
        if q > 0:
            clauses.append((-q, i, media.lower()))
    for _, _, media in sorted(clauses):
        kind, _, sub = media.partition("/")
        if kind not in ("application", "*"):
            continue
        if sub in ("json", "*"):
            return "json"
        if "application/" + sub in PROTOBUF_MEDIA_TYPES:
            return "protobuf"
    return None
