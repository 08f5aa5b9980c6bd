"""The protobuf form of /openapi/v2: gnostic's field numbers, read back with the wire decoder
localkube uses for Kubernetes' own protobuf (kubectl reads the real thing in the integration test)."""

from __future__ import annotations

from typing import Any

from localkube.apiserver.openapi_v2_proto import document
from localkube.apiserver.protobuf import _fields


def fields(buf: bytes) -> dict[int, list[Any]]:
    out: dict[int, list[Any]] = {}
    for number, value in _fields(buf):
        out.setdefault(number, []).append(value)
    return out


def named(buf: bytes) -> tuple[str, bytes]:
    f = fields(buf)
    return f[1][0].decode(), f[2][0]


SWAGGER = {
    "swagger": "2.0",
    "info": {"title": "Kubernetes", "version": "v1.37.2"},
    "paths": {
        "/api/v1/namespaces/{namespace}/configmaps": {
            "post": {
                "operationId": "createConfigMap",
                "parameters": [
                    {"name": "dryRun", "in": "query", "type": "string", "uniqueItems": True},
                    {
                        "name": "body",
                        "in": "body",
                        "required": True,
                        "schema": {"$ref": "#/definitions/v1.ConfigMap"},
                    },
                ],
                "responses": {"200": {"description": "OK", "schema": {"$ref": "#/definitions/v1.ConfigMap"}}},
                "x-kubernetes-action": "post",
            }
        }
    },
    "definitions": {
        "v1.ConfigMap": {
            "type": "object",
            "required": ["data"],
            "properties": {
                "data": {"type": "object", "additionalProperties": {"type": "string"}},
                "immutable": {"type": "boolean", "default": False},
                "open": {"type": "object", "additionalProperties": False},
                "replicas": {"type": "integer", "format": "int32", "minimum": 0, "maxLength": 5},
            },
            "x-kubernetes-group-version-kind": [{"group": "", "kind": "ConfigMap", "version": "v1"}],
        }
    },
    "securityDefinitions": {"BearerToken": {"type": "apiKey", "name": "authorization", "in": "header"}},
    "security": [{"BearerToken": []}],
}


def test_the_document_fields() -> None:
    doc = fields(document(SWAGGER))
    assert doc[1] == [b"2.0"]
    info = fields(doc[2][0])
    assert (info[1], info[2]) == ([b"Kubernetes"], [b"v1.37.2"])
    security = fields(doc[12][0])  # SecurityRequirement: NamedStringArray
    assert named(security[1][0])[0] == "BearerToken"
    name, item = named(fields(doc[13][0])[1][0])
    api_key = fields(fields(item)[2][0])  # SecurityDefinitionsItem.api_key_security
    assert (name, api_key[1], api_key[2], api_key[3]) == (
        "BearerToken",
        [b"apiKey"],
        [b"authorization"],
        [b"header"],
    )


def test_a_definition_with_its_properties_and_vendor_extension() -> None:
    name, schema = named(fields(fields(document(SWAGGER))[9][0])[1][0])
    assert name == "v1.ConfigMap"
    s = fields(schema)
    assert fields(s[22][0])[1] == [b"object"]  # TypeItem
    assert s[19] == [b"data"]
    gvk_name, gvk = named(s[31][0])  # NamedAny, its value's YAML (JSON is YAML)
    assert gvk_name == "x-kubernetes-group-version-kind"
    assert fields(gvk)[2] == [b'[{"group":"","kind":"ConfigMap","version":"v1"}]']
    props = dict(named(p) for p in fields(s[25][0])[1])
    data = fields(props["data"])
    assert fields(fields(fields(data[21][0])[1][0])[22][0])[1] == [b"string"]  # additionalProperties: schema
    assert fields(fields(props["open"])[21][0]) == {2: [0]}  # additionalProperties: false, still written
    assert fields(fields(props["immutable"])[5][0])[2] == [b"false"]  # default, as YAML
    replicas = fields(props["replicas"])
    assert (
        replicas[2] == [b"int32"] and replicas[11] == [5] and 9 not in replicas
    )  # minimum 0 is proto3's default


def test_an_operation_with_its_parameters_and_responses() -> None:
    paths = fields(fields(document(SWAGGER))[8][0])
    path, item = named(paths[2][0])
    assert path == "/api/v1/namespaces/{namespace}/configmaps"
    post = fields(fields(item)[4][0])
    assert post[5] == [b"createConfigMap"]
    query, body = (fields(fields(p)[1][0]) for p in post[8])  # ParametersItem.parameter
    dry_run = fields(fields(query[2][0])[3][0])  # NonBodyParameter.query_parameter_sub_schema
    assert (dry_run[2], dry_run[4], dry_run[6], dry_run[20]) == ([b"query"], [b"dryRun"], [b"string"], [1])
    body_param = fields(body[1][0])  # BodyParameter
    assert body_param[4] == [1] and fields(body_param[5][0])[1] == [b"#/definitions/v1.ConfigMap"]
    code, value = named(fields(post[9][0])[1][0])
    response = fields(fields(value)[1][0])
    assert (code, response[1]) == ("200", [b"OK"])
    assert named(post[13][0])[0] == "x-kubernetes-action"
