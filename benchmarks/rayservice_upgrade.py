"""RayService with real Ray Serve on localkube, measured under a steady request stream:

- apply -> Ready (serviceStatus Running) and apply -> the client pod's first answer through
  `fruit-serve-svc` (config/rayservice/ray-service.fruit.yaml: two apps, six deployments);
- in-place update: a `user_config` price patched -> the client is answered with the new price
  (median of --in-place runs);
- NewCluster upgrade: a worker env var patched -> the serve Service switched to the new cluster
  (median of --upgrades runs), and the requests sent from the patch until the old cluster is gone
  (rayClusterDeletionDelaySeconds 60): how many, how many failed, the rate;
- the serving head pod deleted -> answered again, and how many requests failed meanwhile.

The client pod sends one request every 0.1 s (3 s timeout) to the serve Service's ClusterIP.
Run as root: `.venv/bin/python benchmarks/rayservice_upgrade.py [--in-place 3] [--upgrades 2]`.
Prints one JSON object. It is the e2e test's scenario (tests/support/rayservice.py), repeated.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from support.rayservice import Figures, bring_up, in_place, kill_head, tear_down, upgrade
from support.walkthrough import localkube_with_node


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--in-place", type=int, default=3)
    parser.add_argument("--upgrades", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, localkube_with_node(Path(tmp)) as stack:
        kubectl = stack.kubectl
        kubectl.ok("wait", "--for=condition=Established", "crd/rayservices.ray.io", "--timeout=60s")
        fig = Figures()
        try:
            cluster = bring_up(kubectl, fig)
            updates = []
            for i in range(args.in_place):
                in_place(kubectl, fig, price=10 + i)
                updates.append(fig.in_place_update)
            switches, sent, failed, rates, slowest = [], 0, 0, [], 0.0
            for _ in range(args.upgrades):
                cluster = upgrade(kubectl, fig, cluster)
                switches.append(fig.upgrade_switch)
                sent += fig.upgrade_requests
                failed += fig.upgrade_failed
                rates.append(fig.upgrade_rate)
                slowest = max(slowest, fig.upgrade_slowest)
            kill_head(kubectl, fig, cluster)
            result = {
                "apply_to_ready_s": round(fig.apply_to_ready, 1),
                "apply_to_first_request_s": round(fig.apply_to_first_request, 1),
                "in_place_update_s_median": round(statistics.median(updates), 1),
                "in_place_update_s": [round(u, 1) for u in updates],
                "upgrade_switch_s_median": round(statistics.median(switches), 1),
                "upgrade_switch_s": [round(s, 1) for s in switches],
                "upgrade_requests": sent,
                "upgrade_failed": failed,
                "upgrade_rate_per_s": round(statistics.mean(rates), 1),
                "upgrade_slowest_answer_s": round(slowest, 2),
                "head_kill_recovery_s": round(fig.head_kill_recovery, 1),
                "head_kill_failed": fig.head_kill_failed,
                "notes": fig.notes,
            }
            print(json.dumps(result))
        finally:
            print(json.dumps({"last": asdict(fig)}), file=sys.stderr)
            tear_down(kubectl)
    return 0


if __name__ == "__main__":
    sys.exit(main())
