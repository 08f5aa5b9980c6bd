"""Names and defaults of everything the node creates on the host; cleanup finds leftovers by them."""

from __future__ import annotations

BRIDGE = "lkbr0"
SERVICES_DUMMY = "lkservices"
NETNS_PREFIX = "lk-"
VETH_PREFIX = "lkv"
CGROUP_ROOT = "/sys/fs/cgroup/freezer/localkube"  # cgroup v1 (the freezer hierarchy tracks pods)
CGROUP_V2_ROOT = "/sys/fs/cgroup/localkube"  # cgroup v2 (one hierarchy)
NETNS_DIR = "/run/netns"
NODE_LOCK = "/run/localkube-node.lock"

DEFAULT_POD_CIDR = "10.244.0.0/16"
DEFAULT_SERVICE_IP = "10.96.0.1"
CLUSTER_DOMAIN = "cluster.local"


def short_uid(uid: str) -> str:
    """Ten hex characters of a pod uid: unique enough on one node, short enough for an ifname."""
    return uid.replace("-", "")[:10]


def netns_name(uid: str) -> str:
    return NETNS_PREFIX + short_uid(uid)


def veth_name(uid: str) -> str:
    # IFNAMSIZ is 16 including the NUL: "lkv" + 10 hex = 13.
    return VETH_PREFIX + short_uid(uid)
