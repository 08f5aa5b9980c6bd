"""The Ray dashboard's job REST API, as KubeRay's dashboard client uses it: submit
(`POST /api/jobs/`), status (`GET /api/jobs/<submission id>`) and stop (`POST .../stop`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aiohttp

from kuberay.build.rayjob.plan import JobInfo

_TIMEOUT = aiohttp.ClientTimeout(total=5)


class DashboardError(Exception):
    pass


@dataclass(frozen=True)
class Answer:
    info: JobInfo | None = None
    missing: bool = False  # 404: no job with that submission id
    error: str | None = None


class Dashboard:
    """One pooled HTTP session for every head the operator talks to."""

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None
        self.requests = 0  # counted so tests and benchmarks see what steady state costs

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=_TIMEOUT)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def job(self, base: str, job_id: str) -> Answer:
        self.requests += 1
        try:
            async with self._http().get(f"{base}/api/jobs/{job_id}") as resp:
                if resp.status == 404:
                    return Answer(missing=True)
                body: Any = await resp.json(content_type=None)
                if resp.status != 200 or not isinstance(body, dict):
                    return Answer(error=f"GetJobInfo fail: {resp.status} {str(body)[:200]}")
                return Answer(info=JobInfo.from_api(body))
        except (aiohttp.ClientError, TimeoutError, ValueError) as err:
            return Answer(error=f"{type(err).__name__}: {err}")

    async def submit(self, base: str, body: dict[str, Any]) -> None:
        self.requests += 1
        try:
            async with self._http().post(f"{base}/api/jobs/", json=body) as resp:
                text = await resp.text()
                if 200 <= resp.status < 300:
                    return
                if resp.status == 500 and "Please use a different submission_id" in text:
                    return  # already submitted by an earlier attempt
                raise DashboardError(f"SubmitJob fail: {resp.status} {text[:300]}")
        except (aiohttp.ClientError, TimeoutError) as err:
            raise DashboardError(f"{type(err).__name__}: {err}") from err

    async def stop(self, base: str, job_id: str) -> None:
        self.requests += 1
        try:
            async with self._http().post(f"{base}/api/jobs/{job_id}/stop") as resp:
                if resp.status not in (200, 404):
                    raise DashboardError(f"StopJob fail: {resp.status} {(await resp.text())[:300]}")
        except (aiohttp.ClientError, TimeoutError) as err:
            raise DashboardError(f"{type(err).__name__}: {err}") from err
