"""The real Kubernetes control plane, run from binaries built by tools/referees/build."""
