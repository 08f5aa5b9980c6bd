"""Strategy records of apps/v1 and batch/v1 kinds (pkg/registry/{apps,batch}/<kind>/strategy.go)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from localkube.apiserver import defaults, metadata
from localkube.apiserver.fielderrors import FieldError
from localkube.apiserver.printers.apps import (
    DAEMON_SET_PRINTER,
    DEPLOYMENT_PRINTER,
    REPLICA_SET_PRINTER,
    STATEFUL_SET_PRINTER,
)
from localkube.apiserver.printers.batch import CRON_JOB_PRINTER, JOB_PRINTER
from localkube.apiserver.strategy import DeletePolicy, Obj, Printer, Strategy


def _template_owner(default: Callable[[Obj], None], printer: Printer | None = None) -> Strategy:
    """The strategy the workloads with a pod template share: generation, their defaults, the
    template's validation, strategic merge through the template."""
    return Strategy(
        generation=True,
        default=default,
        validate=metadata.validate_template_owner,
        printer=printer,
        patch_root="Workload",
    )


# a Deployment's status write may not relabel it (kube-apiserver v1.37; a ReplicaSet's may)
DEPLOYMENT = dataclasses.replace(
    _template_owner(defaults.deployment, DEPLOYMENT_PRINTER), status_resets=("labels",)
)
REPLICA_SET = _template_owner(defaults.replicaset, REPLICA_SET_PRINTER)
STATEFUL_SET = _template_owner(defaults.statefulset, STATEFUL_SET_PRINTER)
DAEMON_SET = _template_owner(defaults.daemonset, DAEMON_SET_PRINTER)


def _job_update(old: Obj, new: Obj) -> list[FieldError]:
    if (old.get("spec") or {}).get("template") != (new.get("spec") or {}).get("template"):
        return [FieldError("spec.template", "FieldValueInvalid", "field is immutable", None)]
    return []


JOB = dataclasses.replace(
    _template_owner(defaults.job, JOB_PRINTER),
    mutate=defaults.job_selector,
    validate_update=_job_update,
    field_selectors=("status.successful",),
    field_label_error='field label "{label}" not supported for Job',
    # batch/v1's DefaultGarbageCollectionPolicy is OrphanDependents, and the server says so
    delete=DeletePolicy(
        "Orphan",
        "child pods are preserved by default when jobs are deleted; set "
        "propagationPolicy=Background to remove them or set propagationPolicy=Orphan to "
        "suppress this warning",
    ),
)
CRON_JOB = Strategy(
    generation=True, default=defaults.cron_job, patch_root="CronJob", printer=CRON_JOB_PRINTER
)
