"""The `kuberay` command line."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    print("kuberay: not built yet", file=sys.stderr)
    return 2
