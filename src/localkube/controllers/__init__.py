"""kube-controller-manager's Deployment, ReplicaSet and Job controllers, for localkube.

They are ordinary API clients (HTTPS, bearer token from the kubeconfig), started by `localkube up`
beside the API server: `await run_controllers(api_url, kubeconfig, stop)`.
"""

from localkube.controllers.runner import run_controllers

__all__ = ["run_controllers"]
