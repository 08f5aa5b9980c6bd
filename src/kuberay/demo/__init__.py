"""`kuberay demo`: the seed walkthrough (Ray's autoscaler growing and shrinking a RayCluster) played
live on localkube."""

from kuberay.demo.cli import add_demo_command

__all__ = ["add_demo_command"]
