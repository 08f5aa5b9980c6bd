"""What the demo records as it plays: samples of the cluster over time and the walkthrough's steps
(pure data, shared by the live view and the picture)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Sample:
    t: float  # seconds since the demo started
    workers_running: int
    workers_total: int  # including pods not Running yet
    pending_cpus: float | None  # None while Ray's status is not available


@dataclass
class Step:
    title: str
    started: float
    ended: float | None = None
    outcome: str = ""

    def elapsed(self, now: float) -> float:
        return (self.ended if self.ended is not None else now) - self.started


@dataclass
class Timeline:
    samples: list[Sample] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)

    def begin(self, title: str, now: float) -> Step:
        step = Step(title, now)
        self.steps.append(step)
        return step

    def end(self, step: Step, now: float, outcome: str = "done") -> None:
        step.ended = now
        step.outcome = outcome
