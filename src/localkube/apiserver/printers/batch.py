"""Printers of the batch/v1 kinds: Job and CronJob.
The columns and cells are kube-apiserver v1.37.2's (pkg/printers/internalversion/printers.go).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kubeschema.timestamps import parse_time
from localkube.apiserver import column_docs as docs
from localkube.apiserver.printers.apps import containers_and_images, workload_row, workload_tail
from localkube.apiserver.strategy import Printer, Row
from localkube.apiserver.tables import (
    AGE_COLUMN,
    NAME_COLUMN,
    Cells,
    age_of,
    as_list,
    as_map,
    column,
    human_duration,
    meta_of,
    name_of,
    selector_text,
    since,
)


def _job_row(obj: dict[str, Any], now: datetime) -> Row:
    spec, status = as_map(obj.get("spec")), as_map(obj.get("status"))
    succeeded = int(status.get("succeeded", 0) or 0)
    if spec.get("completions") is not None:
        completions = f"{succeeded}/{spec['completions']}"
    elif int(spec.get("parallelism", 0) or 0) > 1:
        completions = f"{succeeded}/1 of {spec['parallelism']}"
    else:
        completions = f"{succeeded}/1"
    start, end = parse_time(status.get("startTime")), parse_time(status.get("completionTime"))
    duration = ""
    if start is not None:
        duration = human_duration(((end or now) - start).total_seconds())
    conds = {
        as_map(c).get("type") for c in as_list(status.get("conditions")) if as_map(c).get("status") == "True"
    }
    if "Complete" in conds:
        state = "Complete"
    elif "Failed" in conds:
        state = "Failed"
    elif meta_of(obj).get("deletionTimestamp"):
        state = "Terminating"
    elif "Suspended" in conds:
        state = "Suspended"
    elif "FailureTarget" in conds:
        state = "FailureTarget"
    elif "SuccessCriteriaMet" in conds:
        state = "SuccessCriteriaMet"
    else:
        state = "Running"
    return workload_row(obj, [state, completions, duration], now)


JOB_PRINTER = Printer(
    [
        NAME_COLUMN,
        column("Status", desc="Status of the job."),
        column("Completions", desc=docs.JOB_STATUS_SUCCEEDED),
        column("Duration", desc="Time required to complete the job."),
        AGE_COLUMN,
        *workload_tail(docs.JOB_SPEC_SELECTOR),
    ],
    _job_row,
)


def _bool_ptr(value: Any) -> str:
    """printBoolPtr: an optional boolean as `True`/`False`, `<unset>` when absent."""
    if value is None:
        return "<unset>"
    return "True" if value else "False"


def _cronjob_row(obj: dict[str, Any], now: datetime) -> Row:
    spec, status = as_map(obj.get("spec")), as_map(obj.get("status"))
    last = status.get("lastScheduleTime")
    job_template = as_map(spec.get("jobTemplate"))
    names, images = containers_and_images(job_template)
    cells: Cells = [
        name_of(obj),
        spec.get("schedule", ""),
        spec["timeZone"] if spec.get("timeZone") is not None else "<none>",
        _bool_ptr(spec.get("suspend")),
        len(as_list(status.get("active"))),
        since(last, now) if last is not None else "<none>",
        age_of(obj, now),
        names,
        images,
        selector_text(as_map(job_template.get("spec")).get("selector")),
    ]
    return cells, []


CRON_JOB_PRINTER = Printer(
    [
        NAME_COLUMN,
        column("Schedule", desc=docs.CRON_JOB_SPEC_SCHEDULE),
        column("Timezone", desc=docs.CRON_JOB_SPEC_TIME_ZONE),
        # a boolean column, as kube's, though the cell is the text True, False or <unset>
        column("Suspend", "boolean", desc=docs.CRON_JOB_SPEC_SUSPEND),
        column("Active", "integer", desc=docs.CRON_JOB_STATUS_ACTIVE),
        column("Last Schedule", desc=docs.CRON_JOB_STATUS_LAST_SCHEDULE_TIME),
        AGE_COLUMN,
        # SELECTOR documented by a Job's spec.selector, as kube's
        *workload_tail(docs.JOB_SPEC_SELECTOR),
    ],
    _cronjob_row,
)
