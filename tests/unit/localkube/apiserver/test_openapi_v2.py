"""The Swagger 2.0 document derived from the OpenAPI v3 ones."""

from __future__ import annotations

from localkube.apiserver import openapi_v2

V3 = {
    "openapi": "3.0.0",
    "paths": {
        "/api/v1/namespaces/{namespace}/configmaps": {
            "post": {
                "operationId": "postConfigMap",
                "parameters": [
                    {"name": "dryRun", "in": "query", "schema": {"type": "string", "uniqueItems": True}}
                ],
                "requestBody": {
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/v1.ConfigMap"}}
                    },
                    "required": True,
                },
                "responses": {
                    "200": {
                        "description": "OK",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/v1.ConfigMap"}}
                        },
                    }
                },
                "x-kubernetes-action": "post",
            }
        }
    },
    "components": {
        "schemas": {"v1.ConfigMap": {"type": "object", "properties": {"data": {"type": "object"}}}}
    },
}


def test_paths_and_definitions_in_swagger_2_form() -> None:
    doc = openapi_v2.swagger([V3], "v1.37.0")
    assert doc["swagger"] == "2.0"
    assert doc["info"]["version"] == "v1.37.0"
    assert doc["definitions"] == {
        "v1.ConfigMap": {"type": "object", "properties": {"data": {"type": "object"}}}
    }
    op = doc["paths"]["/api/v1/namespaces/{namespace}/configmaps"]["post"]
    assert op["parameters"] == [
        {"name": "dryRun", "in": "query", "type": "string", "uniqueItems": True},
        {"name": "body", "in": "body", "required": True, "schema": {"$ref": "#/definitions/v1.ConfigMap"}},
    ]
    assert op["responses"] == {"200": {"description": "OK", "schema": {"$ref": "#/definitions/v1.ConfigMap"}}}
    assert op["consumes"] == ["application/json"]
    assert op["x-kubernetes-action"] == "post"


def test_only_json_is_acceptable() -> None:
    assert openapi_v2.acceptable("")
    assert openapi_v2.acceptable("application/json")
    assert openapi_v2.acceptable(
        "application/com.github.proto-openapi.spec.v2@v1.0+protobuf, application/json;q=0.5"
    )
    assert openapi_v2.acceptable("*/*")
    assert not openapi_v2.acceptable("application/com.github.proto-openapi.spec.v2@v1.0+protobuf")
