"""The demo's picture: worker pods and Ray's pending CPU demand over time, steps marked."""

from __future__ import annotations

from pathlib import Path

from kuberay.demo.timeline import Timeline


def marker(title: str) -> str | None:
    """A short label for the steps that change Ray's demand (actors made and ended), else None."""
    words = title.split()
    if "terminate_detached_actor.py" in title and words:
        return f"{words[-1]} terminated"
    if "detached_actor.py" in title and words:
        return f"{words[-1]} created"
    return None


def write_png(timeline: Timeline, path: Path, idle_timeout: int) -> Path:
    import matplotlib

    matplotlib.use("Agg")  # no display needed
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    fig, ax = plt.subplots(figsize=(10, 5), dpi=110)
    t = [s.t for s in timeline.samples]
    ax.step(
        t,
        [s.workers_total for s in timeline.samples],
        where="post",
        label="worker pods (all)",
        color="#9ecae1",
    )
    ax.step(
        t,
        [s.workers_running for s in timeline.samples],
        where="post",
        label="worker pods Running",
        color="#08519c",
    )
    demand = [(s.t, s.pending_cpus) for s in timeline.samples if s.pending_cpus is not None]
    if demand:
        ax.step(
            [d[0] for d in demand],
            [d[1] for d in demand],
            where="post",
            label="Ray pending demand (CPUs)",
            color="#e6550d",
            linestyle="--",
        )
    top = max([s.workers_total for s in timeline.samples] + [d[1] or 0 for d in demand] + [2])
    for step in timeline.steps:
        label = marker(step.title)
        if label:
            ax.axvline(step.started, color="#999999", linewidth=0.6)
            ax.text(
                step.started, top + 0.3, label, rotation=90, fontsize=8, va="bottom", ha="right", color="#555"
            )
    ax.set_ylim(0, top + 3.5)
    ax.set_xlabel("seconds since `kuberay demo` started")
    ax.set_ylabel("count")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(f"RayCluster raycluster-autoscaler on localkube (idleTimeoutSeconds={idle_timeout})")
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
