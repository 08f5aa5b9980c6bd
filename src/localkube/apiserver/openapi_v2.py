"""The OpenAPI v2 (Swagger 2.0) document at `/openapi/v2`, derived from the v3 documents. Pure.

kubectl 1.37 reads v3 only; older clients and Helm's validation read v2, and a real API server
serves both. Only JSON is served: a client that accepts nothing but the protobuf form gets 406
Not Acceptable, as kube-apiserver answers a media type it cannot produce.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

V3_REF = "#/components/schemas/"
V2_REF = "#/definitions/"
PROTOBUF_V2 = "application/com.github.proto-openapi.spec.v2"


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
    return result


def acceptable(accept: str) -> bool:
    """Whether the Accept header allows JSON (the only form served)."""
    if not accept.strip():
        return True
    for part in accept.split(","):
        media = part.split(";")[0].strip().lower()
        if media in ("application/json", "*/*", "application/*"):
            return True
    return False
