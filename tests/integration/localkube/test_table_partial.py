"""`Accept: ...;as=Table` and `as=PartialObjectMetadata[List]` on every list, get, watch and write,
answered as kube-apiserver answers them (each assertion here also holds against the real control
plane: `pytest --control-plane kubernetes`)."""

from __future__ import annotations

import json
from typing import Any

import kubernetes
import pytest

from support.clients import RawClient

# kubectl get's own Accept header
TABLE = (
    "application/json;as=Table;v=v1;g=meta.k8s.io,"
    "application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"
)
ONE = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1"
LIST = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"
CMS = "/api/v1/namespaces/default/configmaps"


class Raw(RawClient):
    def __call__(
        self, method: str, path: str, accept: str, body: Any = None, media: str = "application/json"
    ) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        r = self.send(method, path, data, media, accept=accept)
        return r.status, json.loads(r.data)


@pytest.fixture
def raw(k8s: kubernetes.client.ApiClient) -> Raw:
    client = Raw(k8s)
    for name in ("a", "b"):
        status, _ = client("POST", CMS, "application/json", {"metadata": {"name": name}, "data": {"k": "v"}})
        assert status == 201
    return client


def test_lists_and_gets_as_tables(raw: Raw) -> None:
    status, table = raw("GET", CMS + "?labelSelector=!nothing", TABLE)
    assert status == 200 and table["kind"] == "Table" and table["apiVersion"] == "meta.k8s.io/v1"
    assert [c["name"] for c in table["columnDefinitions"]] == ["Name", "Data", "Age"]
    names = [r["cells"][0] for r in table["rows"]]
    assert {"a", "b"} <= set(names)
    assert {r["object"]["kind"] for r in table["rows"]} == {"PartialObjectMetadata"}
    _, whole = raw("GET", CMS + "?includeObject=Object", TABLE)
    assert {r["object"]["kind"] for r in whole["rows"]} == {"ConfigMap"}
    _, bare = raw("GET", CMS + "?includeObject=None", TABLE)
    assert all(r.get("object") is None for r in bare["rows"])
    status, bad = raw("GET", CMS + "?includeObject=Everything", TABLE)
    assert status == 400 and "includeObject" in bad["message"]
    status, one = raw("GET", CMS + "/a", TABLE)
    assert status == 200 and [r["cells"][0] for r in one["rows"]] == ["a"]
    # the older Table version, still served, is answered in that version
    _, old = raw("GET", CMS, "application/json;as=Table;v=v1beta1;g=meta.k8s.io")
    assert old["apiVersion"] == "meta.k8s.io/v1beta1"


def test_metadata_only_lists_and_gets(raw: Raw) -> None:
    status, doc = raw("GET", CMS, LIST)
    assert status == 200 and doc["kind"] == "PartialObjectMetadataList"
    assert {i["kind"] for i in doc["items"]} == {"PartialObjectMetadata"}
    assert all("data" not in i for i in doc["items"])
    status, doc = raw("GET", CMS + "/a", ONE)
    assert status == 200 and doc["kind"] == "PartialObjectMetadata" and doc["metadata"]["name"] == "a"
    # a list asked for as one object, or one object as a list, is 406 (even with JSON as fallback)
    status, doc = raw("GET", CMS, ONE + ",application/json")
    assert status == 406
    assert "you requested PartialObjectMetadata, but the requested object is a list" in doc["message"]
    status, doc = raw("GET", CMS + "/a", LIST)
    assert status == 406
    assert "PartialObjectMetadataList, but the requested object is not a list" in doc["message"]


@pytest.mark.parametrize(
    "accept",
    [
        "application/json;as=Table;g=meta.k8s.io;v=v2",
        "application/json;as=Table",
        "application/json;as=Pod;g=meta.k8s.io;v=v1",
    ],
)
def test_an_as_that_cannot_be_served_is_406(raw: Raw, accept: str) -> None:
    status, doc = raw("GET", CMS, accept)
    assert status == 406 and doc["reason"] == "NotAcceptable"


def test_writes_answer_in_the_representation_asked_for(raw: Raw) -> None:
    status, doc = raw("POST", CMS, TABLE, {"metadata": {"name": "t"}})
    assert status == 201 and doc["kind"] == "Table" and [r["cells"][0] for r in doc["rows"]] == ["t"]
    status, doc = raw("PATCH", CMS + "/t", ONE, {"data": {"x": "1"}}, "application/merge-patch+json")
    assert status == 200 and doc["kind"] == "PartialObjectMetadata" and "data" not in doc
    status, current = raw("GET", CMS + "/t", "application/json")
    status, doc = raw("PUT", CMS + "/t", TABLE, {**current, "data": {"x": "2"}})
    assert status == 200 and doc["kind"] == "Table"
    _, stored = raw("GET", CMS + "/t", "application/json")
    assert stored["data"] == {"x": "2"}


def test_a_table_watch_sends_the_columns_once(raw: Raw, k8s: kubernetes.client.ApiClient) -> None:
    conf = k8s.configuration
    headers = {"Accept": TABLE, "Authorization": conf.get_api_key_with_prefix("BearerToken") or ""}
    r = k8s.rest_client.pool_manager.request(
        "GET", conf.host + CMS + "?watch=true&timeoutSeconds=2", headers=headers, retries=False
    )
    events = [json.loads(line) for line in r.data.splitlines() if line.strip()]
    assert len(events) >= 2 and {e["object"]["kind"] for e in events} == {"Table"}
    assert [c["name"] for c in events[0]["object"]["columnDefinitions"]] == ["Name", "Data", "Age"]
    assert all(e["object"]["columnDefinitions"] is None for e in events[1:])
    assert all(len(e["object"]["rows"]) == 1 for e in events)
