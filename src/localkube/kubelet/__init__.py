"""localkube's node: what a kubelet, the scheduler and kube-proxy do, for one machine, with host
processes instead of containers.

Entry point: `node.run_node(api_url, kubeconfig, data_dir, *, node_name, cpu, memory, pod_cidr, stop)`;
tests use `testing.running_cluster(data_dir)` (API server + node on a background thread).

Modules, API side:       node (wiring, Node object, lease), localkube.client (API client, informers),
                         binder + scheduler (placement), endpointsctl + endpoints (Endpoints and
                         EndpointSlices), proxy (Service IPs), dns (per-pod /etc/hosts), events.
Modules, pod side:       podworker (one pod's life), prober + probes, envvars, volumes, status,
                         security (securityContext), images (what runs without a command) (pure).
Modules, host side:      runtime (sandbox, container processes), launch (runs inside the sandbox:
                         the pod's init, PID/mount/UTS namespaces, pivot_root, capabilities, exec),
                         builtin_images (pause, nginx), network (pyroute2), cgroup (v1: freezer, cpu,
                         memory; or v2), mounts, logs (CRI log files), server (containerLogs and exec for
                         the API server, over TLS with client certificates of the cluster CA),
                         cleanup (leftovers), nodelock (one node per machine).
"""
