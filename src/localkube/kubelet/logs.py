"""Container logs in the CRI file format the real kubelet reads: `TIMESTAMP STREAM P|F TEXT` per line.

One file per container start (`<restartCount>.log`), so `--previous` is the file before the newest.
Parsing and selection (tailLines, sinceSeconds, limitBytes, timestamps) are pure functions.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from pathlib import Path


def now_rfc3339nano() -> str:
    t = dt.datetime.now(dt.UTC)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond:06d}000Z"


@dataclass(frozen=True)
class LogLine:
    timestamp: str
    stream: str
    partial: bool
    text: bytes  # without the newline


def format_line(stream: str, chunk: bytes, timestamp: str | None = None) -> bytes:
    """One CRI record for a chunk that ends with a newline (full) or not (partial)."""
    partial = not chunk.endswith(b"\n")
    body = chunk if partial else chunk[:-1]
    ts = timestamp or now_rfc3339nano()
    return f"{ts} {stream} {'P' if partial else 'F'} ".encode() + body + b"\n"


def parse_line(raw: bytes) -> LogLine | None:
    parts = raw.rstrip(b"\n").split(b" ", 3)
    if len(parts) < 3:
        return None
    text = parts[3] if len(parts) == 4 else b""
    return LogLine(parts[0].decode(), parts[1].decode(), parts[2] == b"P", text)


def parse_ts(ts: str) -> dt.datetime:
    # Python parses at most microseconds: drop the nanosecond digits.
    base, _, frac = ts.rstrip("Z").partition(".")
    return dt.datetime.fromisoformat(f"{base}.{(frac + '000000')[:6]}+00:00")


def render(line: LogLine, timestamps: bool) -> bytes:
    out = line.text if line.partial else line.text + b"\n"
    if timestamps:
        out = line.timestamp.encode() + b" " + out
    return out


def select(
    lines: list[LogLine],
    *,
    tail_lines: int | None = None,
    since: dt.datetime | None = None,
) -> list[LogLine]:
    if since is not None:
        lines = [ln for ln in lines if parse_ts(ln.timestamp) >= since]
    if tail_lines is not None:
        # Count whole lines: a partial record belongs to the full one after it.
        full_seen = 0
        start = len(lines)
        for i in range(len(lines) - 1, -1, -1):
            if not lines[i].partial:
                if full_seen == tail_lines:
                    break
                full_seen += 1
            start = i
        lines = lines[start:] if tail_lines > 0 else []
    return lines


def read_lines(path: Path) -> list[LogLine]:
    if not path.exists():
        return []
    out = []
    with path.open("rb") as f:
        for raw in f:
            parsed = parse_line(raw)
            if parsed is not None:
                out.append(parsed)
    return out


def log_dir(pod_dir: Path, container: str) -> Path:
    return pod_dir / "logs" / container


def log_path(pod_dir: Path, container: str, restart: int) -> Path:
    return log_dir(pod_dir, container) / f"{restart}.log"


def latest_restart(pod_dir: Path, container: str) -> int | None:
    d = log_dir(pod_dir, container)
    if not d.is_dir():
        return None
    nums = [int(p.stem) for p in d.glob("*.log") if p.stem.isdigit()]
    return max(nums) if nums else None


async def copy_stream(reader: asyncio.StreamReader, stream: str, path: Path) -> None:
    """Append the stream to the log file as CRI records until EOF."""
    with path.open("ab", buffering=0) as f:
        while True:
            try:
                chunk = await reader.readuntil(b"\n")
            except asyncio.IncompleteReadError as e:
                if e.partial:
                    f.write(format_line(stream, e.partial))
                return
            except asyncio.LimitOverrunError as e:
                chunk = await reader.readexactly(e.consumed)
            f.write(format_line(stream, chunk))
