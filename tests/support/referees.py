"""Where a test that passes on localkube fails against the real Kubernetes control plane
(`--control-plane kubernetes`), and why. Each entry is either a localkube difference still to fix
(real Kubernetes is right) or a test that assumes localkube's timing; they run as expected
failures (xfail) there so the rest of the suite guards the real control plane, and the list is
the work that remains (docs/referees.md)."""

from __future__ import annotations

CRD_NOT_YET_SERVED = (
    "test uses a CRD's resource right after creating the CRD; kube-apiserver serves it only once "
    "Established (a moment later), localkube at once: the test must wait for Established"
)

# test node id (relative to the repository) or its prefix -> why it differs
KNOWN_DIFFERENCES: dict[str, str] = {
    "tests/integration/localkube/test_crds.py": CRD_NOT_YET_SERVED,
    "tests/integration/localkube/test_apply.py::test_server_side_apply_of_kuberay": CRD_NOT_YET_SERVED,
    "tests/integration/localkube/test_apply.py::test_an_apply_body_that_is_not_an_object": CRD_NOT_YET_SERVED,
    "tests/integration/localkube/test_kubectl.py::test_raycluster": CRD_NOT_YET_SERVED,
    "tests/integration/localkube/test_kubectl.py::test_deprecated_version_warns_on_reads": CRD_NOT_YET_SERVED,
    "tests/integration/localkube/test_kubectl_compat.py::test_get_rayclusters": CRD_NOT_YET_SERVED,
    "tests/integration/localkube/test_kubectl_compat.py::test_explain_worker_group_specs": CRD_NOT_YET_SERVED,
    "tests/integration/localkube/test_kubectl_compat.py::test_openapi_v2_in_json": CRD_NOT_YET_SERVED,
    "tests/integration/localkube/test_openapi.py::test_kubectl_create_validates": CRD_NOT_YET_SERVED,
    "tests/integration/localkube/test_apply.py::test_client_side_apply_of_kuberays_crd_fails": (
        "message: kube-apiserver v1.37 says 'Too long: may not be more than 262144 bytes', localkube "
        "'must have at most'"
    ),
    "tests/integration/localkube/test_kubectl_compat.py::test_protobuf_delete_options_are_read": (
        "message: kube-apiserver says 'Operation cannot be fulfilled ... the UID in the precondition', "
        "localkube 'Precondition failed: UID in precondition'"
    ),
    "tests/integration/localkube/test_crud.py::test_unauthenticated_is_401": (
        "kube-apiserver allows anonymous requests by default (system:anonymous, then 403); localkube "
        "answers 401"
    ),
    "tests/integration/localkube/test_crud.py::test_bootstrap_objects": (
        "the `kubernetes` Endpoints: kube-apiserver may not advertise a loopback address (the node's "
        "address instead); localkube writes 127.0.0.1"
    ),
    "tests/integration/localkube/test_crud.py::test_status_subresource_and_generation": (
        "kube-apiserver keeps metadata changes sent to the status subresource of a built-in kind "
        "that localkube drops"
    ),
    "tests/integration/localkube/test_auth.py": (
        "service-account tokens: kube-apiserver accepts tokens its test expects refused (deleted "
        "account, user name of the admin) - to investigate"
    ),
    "tests/integration/localkube/test_rbac.py": (
        "tokens and RBAC messages: forged/foreign-audience tokens, bound-pod tokens and the "
        "'rbac: role not found' reason differ - to investigate"
    ),
    "tests/integration/localkube/test_events.py::test_events_are_shared_between_the_two_apis": (
        "kube-apiserver rejects (400) an events.k8s.io Event localkube accepts - to investigate"
    ),
    "tests/integration/localkube/test_kubectl.py::test_kubectl_create_deployment_job_service_and_drain": (
        "kube-controller-manager runs the Job controller: the Job's pod exists; localkube has none yet"
    ),
    "tests/integration/localkube/test_pods.py::test_pods_of_a_deleted_node_are_collected": (
        "kube-controller-manager's pod GC waits before collecting pods of a deleted node; localkube "
        "collects at once"
    ),
    "tests/integration/localkube/test_proxy.py": (
        "the test's stand-in kubelet speaks HTTP; kube-apiserver reaches kubelets over HTTPS only"
    ),
    "tests/integration/localkube/test_watch.py::test_label_selected_watch_turns_relabel_into_deleted": (
        "to investigate: the DELETED event of a relabelled object names another object"
    ),
    "tests/integration/localkube/test_watch.py::test_bookmarks_and_timeout": (
        "kube-apiserver sends watch bookmarks about once a minute; localkube sooner"
    ),
}


def known_difference(nodeid: str) -> str | None:
    for prefix, why in KNOWN_DIFFERENCES.items():
        if nodeid.startswith(prefix):
            return why
    return None
