"""Printers of the networking.k8s.io and discovery.k8s.io kinds: Ingress, IngressClass, NetworkPolicy,
EndpointSlice, ServiceCIDR, IPAddress.
The columns and cells are kube-apiserver v1.37.2's (pkg/printers/internalversion/printers.go).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from localkube.apiserver import column_docs as docs
from localkube.apiserver.strategy import Printer, Row
from localkube.apiserver.tables import (
    AGE_COLUMN,
    NAME_COLUMN,
    Cells,
    age_of,
    as_list,
    as_map,
    column,
    group_resource,
    meta_of,
    name_of,
    selector_text,
)

_DEFAULT_INGRESS_CLASS = "ingressclass.kubernetes.io/is-default-class"


def _ingress_row(obj: dict[str, Any], now: datetime) -> Row:
    spec = as_map(obj.get("spec"))
    rules = as_list(spec.get("rules"))
    # formatHosts: the first 3 hosts given; "more" once a rule follows them
    hosts: list[str] = []
    more = False
    for rule in rules:
        more = more or len(hosts) == 3
        if not more and as_map(rule).get("host"):
            hosts.append(str(as_map(rule)["host"]))
    hosts_text = ",".join(hosts) or "*"
    if more:
        hosts_text += f" + {len(rules) - 3} more..."
    ingress = as_list(as_map(as_map(obj.get("status")).get("loadBalancer")).get("ingress"))
    addresses = {str(as_map(i).get("ip") or as_map(i).get("hostname") or "") for i in ingress} - {""}
    cells: Cells = [
        name_of(obj),
        spec["ingressClassName"] if spec.get("ingressClassName") is not None else "<none>",
        hosts_text,
        ",".join(sorted(addresses)),
        "80, 443" if as_list(spec.get("tls")) else "80",
        age_of(obj, now),
    ]
    return cells, []


INGRESS_PRINTER = Printer(
    [
        NAME_COLUMN,
        column(
            "Class",
            desc="The name of the IngressClass resource that should be used for additional configuration",
        ),
        column("Hosts", desc="Hosts that incoming requests are matched against before the ingress rule"),
        column("Address", desc="Address is a list containing ingress points for the load-balancer"),
        column("Ports", desc="Ports of TLS configurations that open"),
        AGE_COLUMN,
    ],
    _ingress_row,
)


def _ingress_class_row(obj: dict[str, Any], now: datetime) -> Row:
    spec = as_map(obj.get("spec"))
    name = name_of(obj)
    if as_map(meta_of(obj).get("annotations")).get(_DEFAULT_INGRESS_CLASS) == "true":
        name += " (default)"
    parameters = "<none>"
    params = spec.get("parameters")
    if isinstance(params, Mapping):
        parameters = str(params.get("kind", ""))
        if params.get("apiGroup") is not None:
            parameters += f".{params['apiGroup']}"
        parameters += f"/{params.get('name', '')}"
    return [name, spec.get("controller", ""), parameters, age_of(obj, now)], []


INGRESS_CLASS_PRINTER = Printer(
    [
        NAME_COLUMN,
        column("Controller", desc="Controller that is responsible for handling this class"),
        column("Parameters", desc="A reference to a resource with additional parameters"),
        AGE_COLUMN,
    ],
    _ingress_class_row,
)


def _network_policy_row(obj: dict[str, Any], now: datetime) -> Row:
    # podSelector is not a pointer: a missing one is the empty selector
    selector = as_map(obj.get("spec")).get("podSelector") or {}
    return [name_of(obj), selector_text(selector), age_of(obj, now)], []


NETWORK_POLICY_PRINTER = Printer(
    [NAME_COLUMN, column("Pod-Selector", desc=docs.NETWORK_POLICY_SPEC_POD_SELECTOR), AGE_COLUMN],
    _network_policy_row,
)


def _first_three(items: list[str]) -> str:
    """listWithMoreString: the first 3, `+ N more...`, `<unset>` for none."""
    text = ",".join(items[:3])
    if len(items) > 3:
        return f"{text} + {len(items) - 3} more..."
    return text or "<unset>"


def _endpoint_slice_row(obj: dict[str, Any], now: datetime) -> Row:
    ports = []
    for port in as_list(obj.get("ports")):
        port = as_map(port)
        if port.get("port") is not None:
            ports.append(str(port["port"]))
        elif port.get("name") is not None:
            ports.append(str(port["name"]))
        else:
            ports.append("*")
    addresses = [str(a) for ep in as_list(obj.get("endpoints")) for a in as_list(as_map(ep).get("addresses"))]
    cells: Cells = [
        name_of(obj),
        obj.get("addressType", ""),
        _first_three(ports),
        _first_three(addresses),
        age_of(obj, now),
    ]
    return cells, []


ENDPOINT_SLICE_PRINTER = Printer(
    [
        NAME_COLUMN,
        column("AddressType", desc=docs.ENDPOINT_SLICE_ADDRESS_TYPE),
        column("Ports", desc=docs.ENDPOINT_SLICE_PORTS),
        column("Endpoints", desc=docs.ENDPOINT_SLICE_ENDPOINTS),
        AGE_COLUMN,
    ],
    _endpoint_slice_row,
)


def _service_cidr_row(obj: dict[str, Any], now: datetime) -> Row:
    cidrs = ",".join(str(c) for c in as_list(as_map(obj.get("spec")).get("cidrs")))
    return [name_of(obj), cidrs, age_of(obj, now)], []


SERVICE_CIDR_PRINTER = Printer(
    [NAME_COLUMN, column("CIDRs", desc=docs.SERVICE_CIDR_SPEC_CIDRS), AGE_COLUMN], _service_cidr_row
)


def _parent_ref(ref: Any) -> str:
    """The address's owner as `resource.group[/namespace]/name`, lower-cased; `<none>` without one."""
    if not isinstance(ref, Mapping):
        return "<none>"
    namespace = ref.get("namespace") or ""
    owner = group_resource(ref).lower() + (f"/{namespace}" if namespace else "")
    return f"{owner}/{ref.get('name') or ''}"


def _ip_address_row(obj: dict[str, Any], now: datetime) -> Row:
    return [name_of(obj), _parent_ref(as_map(obj.get("spec")).get("parentRef")), age_of(obj, now)], []


# kube's row carries an age cell its columns do not name (kubectl shows the two named ones)
IP_ADDRESS_PRINTER = Printer(
    [NAME_COLUMN, column("ParentRef", desc=docs.IP_ADDRESS_SPEC_PARENT_REF)], _ip_address_row
)
