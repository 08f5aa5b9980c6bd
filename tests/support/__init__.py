"""Helpers shared by the tests: waiting for the cluster to converge, starting the operator, clients
with a bearer token, and the harnesses of the integration and e2e suites. pytest puts `tests/` on
the import path (pyproject), so tests import these as `support.<module>`."""
