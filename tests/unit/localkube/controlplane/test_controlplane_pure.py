"""The real control plane's command lines, credentials and reset rules, without starting it."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

from localkube.controlplane import etcdstate, flags, leftovers, pki
from localkube.controlplane.plane import ControlPlaneError, find_binaries


def _creds(tmp_path: Path) -> pki.Credentials:
    return pki.make_credentials(tmp_path, "10.96.0.1", ("10.244.0.1",), "localkube")


def test_the_apiserver_listens_on_loopback_only_with_rbac_and_the_node_authorizer(tmp_path: Path) -> None:
    layout = flags.Layout(Path("/bin-dir"), tmp_path)
    ports = flags.Ports(6443, 2379, 2380, 10257, 10259)
    argv = flags.apiserver(
        layout, ports, _creds(tmp_path), advertise="10.244.0.1", service_cidr="10.96.0.0/12"
    )
    assert argv[0] == "/bin-dir/kube-apiserver"
    assert "--bind-address=127.0.0.1" in argv and "--secure-port=6443" in argv
    assert "--authorization-mode=Node,RBAC" in argv
    assert "--enable-admission-plugins=NodeRestriction" in argv
    assert "--etcd-servers=http://127.0.0.1:2379" in argv
    assert any(a.startswith("--kubelet-client-certificate=") for a in argv)
    for argv in (flags.etcd(layout, ports), flags.scheduler(layout, ports)):
        urls = [a for a in argv if "://" in a or a.startswith("--bind-address")]
        assert urls and all("127.0.0.1" in a for a in urls), urls


def test_client_certificates_carry_the_user_and_groups_the_apiserver_reads(tmp_path: Path) -> None:
    _creds(tmp_path)
    issued = pki.issue_client_cert(tmp_path, "someone", "system:node:n1", ["system:nodes"])
    cert = x509.load_pem_x509_certificate(issued.cert.read_bytes())
    ca = x509.load_pem_x509_certificate((tmp_path / "ca.crt").read_bytes())
    assert cert.issuer == ca.subject
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "system:node:n1"
    assert cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "system:nodes"
    assert issued.key.stat().st_mode & 0o077 == 0


def test_the_token_file_makes_the_admin_a_master_and_the_node_a_node() -> None:
    lines = pki.token_file_lines("a-token", "n-token", "localkube").splitlines()
    assert lines == [
        'a-token,kubernetes-admin,kubernetes-admin,"system:masters"',
        'n-token,system:node:localkube,system:node:localkube,"system:nodes"',
    ]


def test_a_reset_keeps_the_control_planes_own_objects() -> None:
    keys = [
        "/registry/pods/default/p1",
        "/registry/ray.io/rayclusters/ns1/c1",
        "/registry/namespaces/ns1",
        "/registry/serviceaccounts/kube-system/deployment-controller",
        "/registry/leases/kube-node-lease/localkube",
        "/registry/serviceaccounts/default/default",
        "/registry/configmaps/default/kube-root-ca.crt",
        "/registry/serviceaccounts/ns1/default",
    ]
    assert etcdstate.disposable(keys) == [
        "/registry/pods/default/p1",
        "/registry/ray.io/rayclusters/ns1/c1",
        "/registry/namespaces/ns1",
        "/registry/serviceaccounts/ns1/default",
    ]


def test_missing_binaries_name_the_build_script(tmp_path: Path) -> None:
    (tmp_path / "etcd").write_text("")
    with pytest.raises(ControlPlaneError, match="tools/referees/build"):
        find_binaries(tmp_path)


def test_leftover_objects_with_finalizers_are_found_in_a_served_version() -> None:
    crd = {
        "spec": {
            "group": "ray.io",
            "names": {"plural": "rayjobs"},
            "versions": [
                {"name": "v1alpha1", "served": False, "storage": False},
                {"name": "v1", "served": True, "storage": True},
            ],
        }
    }
    collection = leftovers.collection_path(crd)
    assert collection == "/apis/ray.io/v1/rayjobs"
    items = [
        {"metadata": {"name": "held", "namespace": "ns1", "finalizers": ["ray.io/rayjob-finalizer"]}},
        {"metadata": {"name": "free", "namespace": "ns1", "finalizers": []}},
        {"metadata": {"name": "cluster-wide", "finalizers": ["x/y"]}},
    ]
    assert leftovers.finalized_paths(collection, items) == [
        "/apis/ray.io/v1/namespaces/ns1/rayjobs/held",
        "/apis/ray.io/v1/rayjobs/cluster-wide",
    ]
    assert leftovers.collection_path({"spec": {"versions": [{"name": "v1", "served": False}]}}) is None
