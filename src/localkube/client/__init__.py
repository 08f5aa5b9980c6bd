"""The API client that localkube's own components (kubelet, Deployment/ReplicaSet controllers) use:
a small asyncio HTTPS client with kubeconfig loading and watch streams (apiclient.py), and the
list-then-watch cache with write-through that they keep their view of the cluster in
(informer.py)."""
