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


def test_media_type_negotiation_as_kube_openapi() -> None:
    pb = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"
    assert openapi_v2.negotiate("") == "json"
    assert openapi_v2.negotiate("application/json") == "json"
    assert openapi_v2.negotiate("*/*") == "json"
    assert openapi_v2.negotiate(pb) == "protobuf"
    assert openapi_v2.negotiate("application/com.github.proto-openapi.spec.v2.v1.0+protobuf") == "protobuf"
    assert openapi_v2.negotiate(f"{pb}, application/json;q=0.5") == "protobuf"
    assert openapi_v2.negotiate(f"{pb};q=0.5, application/json") == "json"
    assert openapi_v2.negotiate(f"{pb};q=0, text/plain") is None
    assert openapi_v2.negotiate("text/plain") is None


def test_a_reference_with_a_description_is_a_plain_ref_in_v2() -> None:
    v3 = {
        "components": {
            "schemas": {
                "v1.Pod": {
                    "properties": {
                        "spec": {
                            "description": "the spec",
                            "allOf": [{"$ref": "#/components/schemas/v1.PodSpec"}],
                        },
                        "both": {
                            "allOf": [{"$ref": "#/components/schemas/a"}, {"$ref": "#/components/schemas/b"}]
                        },
                    }
                }
            }
        }
    }
    props = openapi_v2.swagger([v3], "v1.37.2")["definitions"]["v1.Pod"]["properties"]
    assert props["spec"] == {"description": "the spec", "$ref": "#/definitions/v1.PodSpec"}
    assert len(props["both"]["allOf"]) == 2  # a real composition stays one
