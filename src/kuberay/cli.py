"""The `kuberay` command line: one argparse subcommand per job (`crd` now; `operator`, `demo`,
`install` are added as further subcommands by registering them in `_SUBCOMMANDS`)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

import yaml

from kuberay.controller.main import add_operator_command
from kuberay.demo import add_demo_command
from kuberay.install import add_install_subcommand


def _cmd_crd(args: argparse.Namespace) -> int:
    from kuberay.api.crd import render_crd, render_crds

    crds = render_crds() if args.kind is None else [render_crd(args.kind)]
    sys.stdout.write(yaml.safe_dump_all(crds, sort_keys=False, default_flow_style=False))
    return 0


def _add_crd(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from kuberay.api.crd import KINDS

    p = sub.add_parser(
        "crd", help="print the ray.io/v1 CustomResourceDefinitions (RayCluster, RayJob, RayService) as YAML"
    )
    p.add_argument("--kind", choices=sorted(KINDS), help="print only this kind's CRD")
    p.set_defaults(func=_cmd_crd)


# Each entry adds one subcommand; its parser sets `func`, which returns the exit code.
_SUBCOMMANDS: list[Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]] = [
    _add_crd,
    add_operator_command,
    add_install_subcommand,
    add_demo_command,
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kuberay", description="A Python KubeRay operator for RayCluster.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in _SUBCOMMANDS:
        add(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help(sys.stderr)
        return 2
    result: int = func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
