"""What clients nobody here wrote expect of a cluster (issue 17): Status bodies as kube-apiserver
writes them, Secret data as Go decodes it, `status: {}` on creation, partial object metadata, the
bootstrap RBAC of a real cluster, and the kinds a client walking discovery finds."""

from __future__ import annotations

import base64
import json
import subprocess
from collections.abc import Callable

import kubernetes
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from kubernetes.client import (
    ApiClient,
    AuthenticationV1Api,
    AuthorizationV1Api,
    CoreV1Api,
    RbacAuthorizationV1Api,
    StorageV1Api,
)

from localkube.apiserver.server import APIServer
from support.clients import client_with_token
from support.waiting import wait_for

Kubectl = Callable[..., "subprocess.CompletedProcess[str]"]
PARTIAL_LIST = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"
PARTIAL = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1"


def get(k8s: ApiClient, path: str, accept: str = "application/json") -> tuple[int, bytes]:
    conf = k8s.configuration
    headers = {"Accept": accept, "Authorization": conf.get_api_key_with_prefix("BearerToken") or ""}
    r = k8s.rest_client.pool_manager.request("GET", conf.host + path, headers=headers)
    return r.status, r.data


def test_status_body_is_byte_for_byte_kube_apiservers(k8s: ApiClient) -> None:
    status, body = get(k8s, "/api/v1/namespaces/default/configmaps/nope")
    assert status == 404
    assert body == (
        b'{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",'
        b'"message":"configmaps \\"nope\\" not found","reason":"NotFound",'
        b'"details":{"name":"nope","kind":"configmaps"},"code":404}\n'
    )


def test_line_wrapped_base64_secret_through_kubectl_apply(kubectl: Kubectl, k8s: ApiClient) -> None:
    cert = base64.b64encode(b"-----BEGIN CERTIFICATE-----\n" + b"x" * 200 + b"\n-----END CERTIFICATE-----\n")
    wrapped = "\n".join(cert.decode()[i : i + 64] for i in range(0, len(cert), 64))
    manifest = (
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: tls\ntype: kubernetes.io/tls\ndata:\n"
        "  tls.crt: |\n" + "".join(f"    {line}\n" for line in wrapped.splitlines()) + "  tls.key: ''\n"
    )
    r = kubectl("apply", "-f", "-", input=manifest)
    assert r.returncode == 0, r.stderr
    stored = CoreV1Api(k8s).read_namespaced_secret("tls", "default").data["tls.crt"]
    assert stored == cert.decode()


def test_a_new_deployment_has_an_empty_status(kubectl: Kubectl) -> None:
    template = {
        "metadata": {"labels": {"app": "web"}},
        "spec": {"containers": [{"name": "c", "image": "nginx"}]},
    }
    deployment = {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"selector": {"matchLabels": {"app": "web"}}, "template": template},
    }  # fmt: skip
    r = kubectl("create", "-f", "-", "-o", "json", input=json.dumps(deployment))
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["status"] == {}


def test_partial_object_metadata_on_get_and_list(k8s: ApiClient, kubectl: Kubectl) -> None:
    CoreV1Api(k8s).create_namespaced_config_map("default", {"metadata": {"name": "cm", "labels": {"a": "b"}}})
    status, body = get(k8s, "/api/v1/namespaces/default/configmaps", PARTIAL_LIST)
    doc = json.loads(body)
    assert (
        status == 200 and doc["kind"] == "PartialObjectMetadataList" and doc["apiVersion"] == "meta.k8s.io/v1"
    )
    [item] = [i for i in doc["items"] if i["metadata"]["name"] == "cm"]
    assert item == {
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": item["metadata"],
    }
    assert item["metadata"]["labels"] == {"a": "b"}
    doc = json.loads(get(k8s, "/api/v1/nodes", PARTIAL_LIST)[1])
    assert doc["kind"] == "PartialObjectMetadataList"
    doc = json.loads(get(k8s, "/api/v1/namespaces/default/configmaps/cm", PARTIAL)[1])
    assert doc["kind"] == "PartialObjectMetadata" and "data" not in doc
    table = json.loads(
        get(k8s, "/api/v1/namespaces/default/configmaps/cm", "application/json;as=Table;g=meta.k8s.io;v=v1")[
            1
        ]
    )
    assert table["kind"] == "Table"
    # kubectl's own metadata-only reads
    assert kubectl("get", "configmaps", "-o", "name").stdout.split() == [
        "configmap/cm",
        "configmap/kube-root-ca.crt",
    ]


def test_bootstrap_cluster_roles_of_a_real_cluster(k8s: ApiClient) -> None:
    names = {r.metadata.name for r in RbacAuthorizationV1Api(k8s).list_cluster_role().items}
    for wanted in ("cluster-admin", "admin", "edit", "view", "system:auth-delegator", "system:basic-user",
                   "system:discovery", "system:public-info-viewer", "system:monitoring",
                   "system:service-account-issuer-discovery", "system:kubelet-api-admin"):  # fmt: skip
        assert wanted in names
    view = RbacAuthorizationV1Api(k8s).read_cluster_role("view")
    assert view.aggregation_rule is not None and view.rules


def test_auth_delegator_may_review_tokens_and_access(apiserver: APIServer, kubectl: Kubectl) -> None:
    kubectl("create", "serviceaccount", "proxy", check=True)
    kubectl("create", "clusterrolebinding", "proxy-delegator", "--clusterrole=system:auth-delegator",
            "--serviceaccount=default:proxy", check=True)  # fmt: skip
    token = kubectl("create", "token", "proxy", check=True).stdout.strip()
    other = kubectl("create", "token", "default", check=True).stdout.strip()
    with client_with_token(apiserver, token) as proxy:
        review = AuthenticationV1Api(proxy).create_token_review({"spec": {"token": other}})
        assert (
            review.status.authenticated
            and review.status.user.username == "system:serviceaccount:default:default"
        )
        attrs = {"verb": "list", "resource": "secrets", "namespace": "default"}
        sar = AuthorizationV1Api(proxy).create_subject_access_review(
            {"spec": {"user": "system:serviceaccount:default:default", "resourceAttributes": attrs}}
        )
        assert sar.status.allowed is False
    # without the binding, the same review is forbidden
    kubectl("delete", "clusterrolebinding", "proxy-delegator", check=True)
    with client_with_token(apiserver, token) as proxy, pytest.raises(kubernetes.client.ApiException) as e:
        AuthenticationV1Api(proxy).create_token_review({"spec": {"token": other}})
    assert e.value.status == 403


def test_apiservices_are_listed_and_available(kubectl: Kubectl) -> None:
    r = kubectl("get", "apiservices", "-o", "json")
    assert r.returncode == 0, r.stderr
    services = {s["metadata"]["name"]: s for s in json.loads(r.stdout)["items"]}
    for name in ("v1.", "v1.apps", "v1.rbac.authorization.k8s.io", "v1.certificates.k8s.io"):
        [available] = [c for c in services[name]["status"]["conditions"] if c["type"] == "Available"]
        assert available["status"] == "True"


def _csr(name: str, request: bytes) -> str:
    return json.dumps({
        "apiVersion": "certificates.k8s.io/v1", "kind": "CertificateSigningRequest",
        "metadata": {"name": name},
        "spec": {"request": base64.b64encode(request).decode(),
                 "signerName": "kubernetes.io/kube-apiserver-client", "usages": ["client auth"]},
    })  # fmt: skip


def test_certificate_signing_request_approval(kubectl: Kubectl) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "me")])
    request = x509.CertificateSigningRequestBuilder().subject_name(subject).sign(key, hashes.SHA256())
    # what is not a PKCS#10 request is refused, as kube-apiserver refuses it
    r = kubectl("create", "-f", "-", input=_csr("bad", b"-----BEGIN CERTIFICATE REQUEST-----\n"))
    assert r.returncode != 0 and "PEM block type must be CERTIFICATE REQUEST" in r.stderr, r.stderr
    r = kubectl("create", "-f", "-", input=_csr("me", request.public_bytes(serialization.Encoding.PEM)))
    assert r.returncode == 0, r.stderr
    r = kubectl("certificate", "approve", "me")
    assert r.returncode == 0, r.stderr
    got = json.loads(kubectl("get", "csr", "me", "-o", "json", check=True).stdout)
    assert [c["type"] for c in got["status"]["conditions"]] == ["Approved"]


def test_a_certificate_signing_request_names_its_writer_and_keeps_its_decision(
    k8s: ApiClient, kubectl: Kubectl
) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "someone")])
    pem = x509.CertificateSigningRequestBuilder().subject_name(subject).sign(key, hashes.SHA256())
    body = json.loads(_csr("claims", pem.public_bytes(serialization.Encoding.PEM)))
    body["spec"].update(signerName="example.com/nobody", username="mallory", groups=["system:masters"])
    created = kubectl("create", "-f", "-", "-o", "json", input=json.dumps(body), check=True)
    spec = json.loads(created.stdout)["spec"]
    me = json.loads(kubectl("auth", "whoami", "-o", "json", check=True).stdout)["status"]["userInfo"]
    # the requester is whoever wrote it, whatever it claimed
    assert (spec["username"], spec["groups"], spec.get("uid")) == (
        me["username"],
        me["groups"],
        me.get("uid"),
    )
    # the spec is fixed: a change through the object is dropped
    kubectl(
        "patch",
        "csr",
        "claims",
        "--type=merge",
        "-p",
        '{"spec":{"usages":["digital signature"]}}',
        check=True,
    )
    got = json.loads(kubectl("get", "csr", "claims", "-o", "json", check=True).stdout)
    assert got["spec"]["usages"] == ["client auth"]
    kubectl("certificate", "approve", "claims", check=True)
    # approved stays approved: no denial beside it, no taking it back
    both = '{"status":{"conditions":[{"type":"Approved","status":"True"},{"type":"Denied","status":"True"}]}}'
    denied = kubectl("patch", "csr", "claims", "--subresource=approval", "--type=merge", "-p", both)
    assert denied.returncode != 0 and "must specify at most one of" in denied.stderr, denied.stderr
    approved = json.loads(kubectl("get", "csr", "claims", "-o", "json", check=True).stdout)
    [condition] = approved["status"]["conditions"]
    assert condition["type"] == "Approved" and condition["lastUpdateTime"] and condition["lastTransitionTime"]
    taken_back = kubectl(
        "patch",
        "csr",
        "claims",
        "--subresource=approval",
        "--type=merge",
        "-p",
        '{"status":{"conditions":[]}}',
    )
    assert taken_back.returncode != 0, taken_back.stdout
    assert 'updates may not remove a condition of type "Approved"' in taken_back.stderr


def test_kinds_of_a_real_clusters_discovery(k8s: ApiClient, kubectl: Kubectl) -> None:
    r = kubectl("api-resources", "-o", "name")
    assert r.returncode == 0, r.stderr
    names = set(r.stdout.split())
    wanted = {
        "apiservices.apiregistration.k8s.io",
        "certificatesigningrequests.certificates.k8s.io",
        "csistoragecapacities.storage.k8s.io",
        "storageclasses.storage.k8s.io",
        "persistentvolumes",
        "persistentvolumeclaims",
        "priorityclasses.scheduling.k8s.io",
        "horizontalpodautoscalers.autoscaling",
        "flowschemas.flowcontrol.apiserver.k8s.io",
        "validatingwebhookconfigurations.admissionregistration.k8s.io",
        "resourceclaims.resource.k8s.io",
        "servicecidrs.networking.k8s.io",
        "volumeattributesclasses.storage.k8s.io",
    }
    assert wanted <= names
    capacity = {"metadata": {"name": "cap"}, "storageClassName": "standard", "capacity": "10Gi"}
    StorageV1Api(k8s).create_namespaced_csi_storage_capacity("default", capacity)
    assert [
        c.metadata.name for c in StorageV1Api(k8s).list_csi_storage_capacity_for_all_namespaces().items
    ] == ["cap"]


def test_a_crd_rule_that_is_not_cel_is_422(kubectl: Kubectl) -> None:
    def crd(rule: str) -> str:
        schema = {"type": "object", "properties": {"spec": {
            "type": "object", "x-kubernetes-validations": [{"rule": rule}],
            "properties": {"x": {"type": "integer"}}}}}  # fmt: skip
        return json.dumps({
            "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": "rules.cel.example.com"},
            "spec": {"group": "cel.example.com", "scope": "Namespaced",
                     "names": {"plural": "rules", "singular": "rule", "kind": "Rule"},
                     "versions": [{"name": "v1", "served": True, "storage": True,
                                   "schema": {"openAPIV3Schema": schema}}]},
        })  # fmt: skip

    r = kubectl("apply", "-f", "-", input=crd("self.x >"))
    assert r.returncode != 0 and "compilation failed" in r.stderr, r.stderr
    assert "x-kubernetes-validations[0].rule" in r.stderr
    r = kubectl("apply", "-f", "-", input=crd("!has(self.x) || self.x > 1"))
    assert r.returncode == 0, r.stderr


def test_rules_beyond_the_subset_run_through_cel_python(k8s: ApiClient) -> None:
    group = "dur.example.com"
    schema = {"type": "object", "properties": {"spec": {
        "type": "object", "properties": {"timeout": {"type": "string"}},
        "x-kubernetes-validations": [{"rule": 'duration(self.timeout) < duration("1h")',
                                      "message": "timeout must be under an hour"}]}}}  # fmt: skip
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": f"waits.{group}"},
        "spec": {"group": group, "scope": "Namespaced", "names": {"plural": "waits", "kind": "Wait"},
                 "versions": [{"name": "v1", "served": True, "storage": True,
                               "schema": {"openAPIV3Schema": schema}}]},
    }  # fmt: skip
    kubernetes.client.ApiextensionsV1Api(k8s).create_custom_resource_definition(crd)
    objs = kubernetes.client.CustomObjectsApi(k8s)

    def wait(name: str, timeout: str) -> dict[str, object]:
        return {
            "apiVersion": f"{group}/v1",
            "kind": "Wait",
            "metadata": {"name": name},
            "spec": {"timeout": timeout},
        }

    def served() -> bool:
        try:
            objs.list_namespaced_custom_object(group, "v1", "default", "waits")
        except kubernetes.client.ApiException as e:
            assert e.status == 404
            return False
        return True

    wait_for("the Wait CRD to be served", served)
    objs.create_namespaced_custom_object(group, "v1", "default", "waits", wait("short", "30m"))
    with pytest.raises(kubernetes.client.ApiException) as e:
        objs.create_namespaced_custom_object(group, "v1", "default", "waits", wait("long", "2h"))
    assert e.value.status == 422 and "timeout must be under an hour" in e.value.body


def test_a_new_replicaset_reads_back_through_typed_clients(k8s: ApiClient) -> None:
    # ReplicaSetStatus.replicas has no omitempty: a new ReplicaSet shows `"replicas": 0`, which the
    # typed clients require
    template = {"metadata": {"labels": {"app": "rs"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}}
    body = {
        "metadata": {"name": "rs"},
        "spec": {"selector": {"matchLabels": {"app": "rs"}}, "template": template},
    }
    apps = kubernetes.client.AppsV1Api(k8s)
    apps.create_namespaced_replica_set("default", body)
    assert apps.read_namespaced_replica_set("rs", "default").status.replicas == 0
