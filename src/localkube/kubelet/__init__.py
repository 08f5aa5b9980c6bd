"""localkube's node: what a kubelet, the scheduler and kube-proxy do, for one machine, with host
processes instead of containers.

Entry point: `node.run_node(api_url, kubeconfig, data_dir, *, node_name, cpu, memory, pod_cidr, stop)`;
tests use `testing.running_cluster(data_dir)` (API server + node on a background thread).

Modules, API side:       node (wiring, Node object, lease), localkube.client (API client, informers),
                         binder + scheduler (placement), endpointsctl + endpoints (Endpoints and
                         EndpointSlices), proxy (Service IPs), dns (per-pod /etc/hosts), events.
Modules, pod side:       podworker (one pod's life), prober + probes, envvars, volumes, status (pure).
Modules, host side:      runtime (sandbox, container processes), launch (runs inside the sandbox:
                         namespaces, mounts, exec), network (pyroute2), cgroup (freezer), mounts,
                         logs (CRI log files), server (containerLogs and exec for the API server),
                         cleanup (leftovers), nodelock (one node per machine).
"""
