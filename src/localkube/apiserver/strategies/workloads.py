"""Strategy records of apps/v1 and batch/v1 kinds (pkg/registry/{apps,batch}/<kind>/strategy.go)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from localkube.apiserver import defaults, metadata
from localkube.apiserver.printers.apps import (
    DAEMON_SET_PRINTER,
    DEPLOYMENT_PRINTER,
    REPLICA_SET_PRINTER,
    STATEFUL_SET_PRINTER,
)
from localkube.apiserver.printers.batch import CRON_JOB_PRINTER, JOB_PRINTER
from localkube.apiserver.strategies.immutable import NULL, Fixed, unchanged
from localkube.apiserver.strategy import DeletePolicy, Obj, Printer, Strategy


def _template_owner(
    default: Callable[[Obj], None], printer: Printer | None = None, *fixed: Fixed
) -> Strategy:
    """The strategy the workloads with a pod template share: generation, their defaults, the
    template's validation, the fields fixed at create, strategic merge through the template."""
    return Strategy(
        generation=True,
        default=default,
        validate=metadata.validate_template_owner,
        validate_update=unchanged(*fixed) if fixed else None,
        printer=printer,
        patch_root="Workload",
    )


_SELECTOR = Fixed("spec.selector")


# a Deployment's status write may not relabel it (kube-apiserver v1.37; a ReplicaSet's may)
DEPLOYMENT = dataclasses.replace(
    _template_owner(defaults.deployment, DEPLOYMENT_PRINTER, _SELECTOR), status_resets=("labels",)
)
REPLICA_SET = _template_owner(defaults.replicaset, REPLICA_SET_PRINTER, _SELECTOR)
# ValidateStatefulSetUpdate's list; apps/v1 is not under declarative validation: values shown
STATEFUL_SET = _template_owner(
    defaults.statefulset,
    STATEFUL_SET_PRINTER,
    _SELECTOR,
    Fixed("spec.volumeClaimTemplates"),
    Fixed("spec.serviceName"),
    Fixed("spec.podManagementPolicy"),
)
DAEMON_SET = dataclasses.replace(
    _template_owner(defaults.daemonset, DAEMON_SET_PRINTER, _SELECTOR),
    prepare_update=defaults.daemonset_template_generation,
)
JOB = dataclasses.replace(
    _template_owner(defaults.job, JOB_PRINTER, Fixed("spec.template", shown=NULL)),
    mutate=defaults.job_selector,
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
