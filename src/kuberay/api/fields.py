"""What this operator does with every field a RayCluster can carry: no field is silently ignored.

Every path of our CRD's schema and of KubeRay's (`spec.workerGroupSpecs[].replicas`) is in exactly
one of three tables:

- USED: a builder or the status reads or writes it; the value names the test showing its effect.
  Paths holding a Kubernetes type that is used whole (a Service, ResourceRequirements, env vars)
  stop there: their inside is Kubernetes', not ours.
- PASSED_THROUGH: copied untouched into what we create (the pod templates), so every field
  Kubernetes knows works as Kubernetes defines it.
- REFUSED: validation names it (Warning event InvalidRayClusterSpec, status.state failed); the
  value is the reason. A refused object refuses everything inside it.

The same holds for the KubeRay annotations a RayCluster may carry and for KubeRay's operator
settings (environment variables and flags). tests/unit/kuberay/api/test_fields.py walks both CRDs
and fails on any path without a decision.
"""

from __future__ import annotations

_TEMPLATE = "a PodTemplateSpec: copied into every pod, KubeRay's additions layered on top"

USED: dict[str, str] = {
    "apiVersion": "test_sample_head_pod_is_kuberays",
    "kind": "test_sample_head_pod_is_kuberays",
    "metadata": "test_sample_head_pod_is_kuberays",
    "spec.authOptions.mode": "test_token_auth_without_secret_name_creates_the_secret_the_pods_read",
    "spec.authOptions.secretName": "test_token_auth_with_the_users_secret_creates_none",
    "spec.authOptions.enableK8sTokenAuth": "test_kubernetes_token_auth_uses_a_projected_token",
    "spec.autoscalerOptions.args": "test_every_autoscaler_option_is_applied",
    "spec.autoscalerOptions.command": "test_every_autoscaler_option_is_applied",
    "spec.autoscalerOptions.env": "test_every_autoscaler_option_is_applied",
    "spec.autoscalerOptions.envFrom": "test_every_autoscaler_option_is_applied",
    "spec.autoscalerOptions.idleTimeoutSeconds": "test_every_autoscaler_option_is_applied",
    "spec.autoscalerOptions.image": "test_every_autoscaler_option_is_applied",
    "spec.autoscalerOptions.imagePullPolicy": "test_every_autoscaler_option_is_applied",
    "spec.autoscalerOptions.resources": "test_every_autoscaler_option_is_applied",
    "spec.autoscalerOptions.securityContext": "test_every_autoscaler_option_is_applied",
    "spec.autoscalerOptions.upscalingMode": "test_every_autoscaler_option_is_applied",
    "spec.autoscalerOptions.version": "test_autoscaler_v2_sample_sets_v2_and_never_restart",
    "spec.autoscalerOptions.volumeMounts": "test_every_autoscaler_option_is_applied",
    "spec.enableInTreeAutoscaling": "test_autoscaling_adds_sidecar_and_rbac_owned_by_the_cluster",
    "spec.gcsFaultToleranceOptions.backend": "test_gcs_backend_redis_is_used_and_rocksdb_refused",
    "spec.gcsFaultToleranceOptions.externalStorageNamespace": (
        "test_external_storage_namespace_from_options_or_the_legacy_annotation"
    ),
    "spec.gcsFaultToleranceOptions.redisAddress": "test_gcs_fault_tolerance_with_redis",
    "spec.gcsFaultToleranceOptions.redisPassword.value": "test_gcs_fault_tolerance_with_redis",
    "spec.gcsFaultToleranceOptions.redisPassword.valueFrom": "test_gcs_fault_tolerance_with_redis",
    "spec.gcsFaultToleranceOptions.redisUsername.value": "test_gcs_fault_tolerance_with_redis",
    "spec.gcsFaultToleranceOptions.redisUsername.valueFrom": "test_gcs_fault_tolerance_with_redis",
    "spec.headGroupSpec.enableIngress": "test_enable_ingress_creates_the_dashboard_ingress",
    "spec.headGroupSpec.headService": "test_user_head_service_is_the_base",
    "spec.headGroupSpec.ingressOptions.host": "test_dashboard_ingress",
    "spec.headGroupSpec.ingressOptions.path": "test_dashboard_ingress",
    "spec.headGroupSpec.ingressOptions.pathType": "test_dashboard_ingress",
    "spec.headGroupSpec.ingressOptions.tls": "test_ingress_options_tls_reaches_the_ingress",
    "spec.headGroupSpec.labels": "test_group_resources_and_labels_fields",
    "spec.headGroupSpec.rayStartParams": "test_ray_start_params_given_by_the_user_win",
    "spec.headGroupSpec.resources": "test_group_resources_and_labels_fields",
    "spec.headGroupSpec.serviceType": "test_cluster_ip_service_option_and_service_type",
    "spec.headServiceAnnotations": "test_head_service_annotations",
    "spec.managedBy": "test_managed_by_is_immutable",
    "spec.rayVersion": "test_newer_ray_gets_http_probes_and_user_probes_are_kept",
    "spec.suspend": "test_suspend_deletes_all_pods_and_resume_brings_them_back",
    "spec.upgradeStrategy.type": "test_recreate_replaces_every_pod_once_when_a_template_changes",
    "spec.workerGroupSpecs[].groupName": "test_worker_group_by_index_or_name",
    "spec.workerGroupSpecs[].idleTimeoutSeconds": "test_idle_timeout_per_group_needs_v2",
    "spec.workerGroupSpecs[].labels": "test_group_resources_and_labels_fields",
    "spec.workerGroupSpecs[].maxReplicas": "test_replicas_are_clamped_to_min_and_max",
    "spec.workerGroupSpecs[].minReplicas": "test_replicas_are_clamped_to_min_and_max",
    "spec.workerGroupSpecs[].numOfHosts": "test_multi_host_group_gets_the_headless_worker_service",
    "spec.workerGroupSpecs[].priority": "test_defaults_are_kuberays",
    "spec.workerGroupSpecs[].rayStartParams": "test_ray_start_params_given_by_the_user_win",
    "spec.workerGroupSpecs[].replicas": "test_scale_up_and_down_without_autoscaler",
    "spec.workerGroupSpecs[].resources": "test_group_resources_and_labels_fields",
    "spec.workerGroupSpecs[].scaleStrategy.workersToDelete": (
        "test_workers_to_delete_removes_exactly_those_pods"
    ),
    "spec.workerGroupSpecs[].suspend": "test_suspended_group_deletes_only_its_pods",
    # The status is the operator's to write.
    "status.availableWorkerReplicas": "test_ready_cluster_status_is_kuberays",
    "status.conditions": "test_suspend_goes_suspending_then_suspended_then_back",
    "status.desiredCPU": "test_ready_cluster_status_is_kuberays",
    "status.desiredGPU": "test_ready_cluster_status_is_kuberays",
    "status.desiredMemory": "test_ready_cluster_status_is_kuberays",
    "status.desiredTPU": "test_ready_cluster_status_is_kuberays",
    "status.desiredWorkerReplicas": "test_ready_cluster_status_is_kuberays",
    "status.endpoints": "test_ready_cluster_status_is_kuberays",
    "status.head.podIP": "test_ready_cluster_status_is_kuberays",
    "status.head.podName": "test_ready_cluster_status_is_kuberays",
    "status.head.serviceIP": "test_cluster_ip_service_reports_its_own_ip",
    "status.head.serviceName": "test_ready_cluster_status_is_kuberays",
    "status.lastUpdateTime": "test_a_change_moves_only_the_timestamps_of_what_changed",
    "status.maxWorkerReplicas": "test_ready_cluster_status_is_kuberays",
    "status.minWorkerReplicas": "test_ready_cluster_status_is_kuberays",
    "status.observedGeneration": "test_ready_cluster_status_is_kuberays",
    "status.readyWorkerReplicas": "test_ready_cluster_status_is_kuberays",
    "status.reason": "test_validation_problems_fail_the_cluster_with_the_reason",
    "status.state": "test_ready_cluster_status_is_kuberays",
    "status.stateTransitionTimes": "test_a_change_moves_only_the_timestamps_of_what_changed",
    # Annotations KubeRay reads on a RayCluster.
    "metadata.annotations[ray.io/enable-serve-service]": (
        "test_enable_serve_service_annotation_creates_the_serve_service"
    ),
    "metadata.annotations[ray.io/disable-provisioned-head-restart]": (
        "test_disable_provisioned_head_restart_keeps_a_lost_head_gone"
    ),
    "metadata.annotations[ray.io/ft-enabled]": "test_gcs_fault_tolerance_conflicts",
    "metadata.annotations[ray.io/gcs-ft-deletion-timeout]": (
        "test_a_stuck_cleanup_is_given_up_after_the_deletion_timeout"
    ),
    "metadata.annotations[ray.io/external-storage-namespace]": (
        "test_external_storage_namespace_from_options_or_the_legacy_annotation"
    ),
    "metadata.annotations[ray.io/overwrite-container-cmd]": (
        "test_overwrite_container_cmd_annotation_keeps_command_but_exports_generated_one"
    ),
    "metadata.annotations[kubernetes.io/ingress.class]": "test_enable_ingress_creates_the_dashboard_ingress",
}

PASSED_THROUGH: dict[str, str] = {
    "spec.headGroupSpec.template": _TEMPLATE,
    "spec.workerGroupSpecs[].template": _TEMPLATE,
}

REFUSED: dict[str, str] = {
    "spec.networkPolicy": "KubeRay's RayClusterNetworkPolicy feature gate is not provided",
    "spec.tlsOptions": "KubeRay's RayClusterMTLS feature gate (cert-manager mTLS) is not provided",
    "spec.historyServerOptions": "KubeRay's RayClusterHistoryServer feature gate is not provided",
    "spec.gcsFaultToleranceOptions.storage": "the embedded RocksDB GCS backend is not provided",
}

# KubeRay's operator settings (environment variables and flags) -> what they do here.
SETTINGS_USED: dict[str, str] = {
    "ENABLE_INIT_CONTAINER_INJECTION": "test_environment_variables_reach_the_built_objects",
    "ENABLE_PROBES_INJECTION": "test_environment_variables_reach_the_built_objects",
    "ENABLE_LOGIN_SHELL": "test_environment_variables_reach_the_built_objects",
    "ENABLE_RAY_HEAD_CLUSTER_IP_SERVICE": "test_environment_variables_reach_the_built_objects",
    "ENABLE_DETERMINISTIC_HEAD_POD_NAME": "test_environment_variables_reach_the_built_objects",
    "CLUSTER_DOMAIN": "test_environment_variables_reach_the_built_objects",
    "ENABLE_RANDOM_POD_DELETE": "test_random_pod_delete_lets_extra_pods_go_under_autoscaling",
    "ENABLE_GCS_FT_REDIS_CLEANUP": "test_which_clusters_get_the_finalizer",
    "RAYCLUSTER_DEFAULT_REQUEUE_SECONDS_ENV": "test_a_reconciled_cluster_is_looked_at_again_writing_nothing",
    "USE_INGRESS_ON_OPENSHIFT": "test_webhooks_and_openshift_routes_are_refused_saying_why",
    "--watch-namespace": "test_kuberay_flags_are_understood",
    "--reconcile-concurrency": "test_kuberay_flags_are_understood",
    "--enable-leader-election": "test_kuberay_flags_are_understood",
    "--leader-election-namespace": "test_kuberay_flags_are_understood",
    "--metrics-addr": "test_kuberay_flags_are_understood",
    "--health-probe-bind-address": "test_kuberay_flags_are_understood",
}
SETTINGS_REFUSED: dict[str, str] = {
    "ENABLE_WEBHOOKS": (
        "no admission webhooks are served; validation happens at reconcile (only =true is refused)"
    ),
    "--batch-scheduler": "no gang-scheduler integration (volcano, yunikorn, kai-scheduler)",
    "--enable-batch-scheduler": "no gang-scheduler integration (volcano)",
    # The rest of KubeRay's flags: accepted by the parser, so the operator can say why it stops.
    "--config": "KubeRay's structured config file is not read; pass the settings as flags",
    "--feature-gates": "no KubeRay feature gates exist here; the gated fields are refused per cluster",
    "--use-kubernetes-proxy": "the operator never calls the Ray head (RayJob/RayService only in KubeRay)",
    "--log-file-path": "logs go to stderr only (kubectl logs); remove the flag",
    "--log-file-encoder": "logs go to stderr only, as text; remove the flag",
    "--log-stdout-encoder": "logs are text; use --log-level for verbosity",
    "--qps": "no client-side rate limit is applied; remove the flag",
    "--burst": "no client-side rate limit is applied; remove the flag",
    "--forced-cluster-upgrade": "deprecated in KubeRay and without effect there; remove the flag",
    "--enable-metrics": "metrics are always served on --metrics-addr; remove the flag",
}


# The RayService's own fields (its rayClusterConfig is the RayCluster spec above, schema and all).
_RS_E2E = "test_rayservice_serves_updates_in_place_upgrades_and_refuses_bad_input"
_RS_NEW = "test_a_new_rayservice_names_a_pending_cluster_then_creates_it"
_RS_SWITCH = "test_traffic_switches_only_when_the_pending_cluster_runs_every_application"
_RS_IGNORED = "deprecated in KubeRay, which ignores it; so does this operator"
_INCREMENTAL = "only NewClusterWithIncrementalUpgrade (Gateway API) sets it, and that type is refused"
RAYSERVICE_USED: dict[str, str] = {
    "apiVersion": _RS_NEW,
    "kind": _RS_NEW,
    "metadata": _RS_NEW,
    "spec.rayClusterConfig": "test_cluster_config_change_prepares_a_pending_cluster",
    "spec.rayClusterDeletionDelaySeconds": _RS_E2E,
    "spec.serveConfigV2": "test_serve_config_change_is_put_in_place_without_a_new_cluster",
    "spec.serveService": "test_user_serve_service_is_the_base_of_the_serve_service",
    "spec.upgradeStrategy.type": "test_upgrade_type_none_keeps_the_cluster",
    "spec.managedBy": "test_rayservice_managed_by_is_immutable",
    "spec.excludeHeadPodFromServeSvc": "test_exclude_head_pod_from_serve_svc_keeps_the_head_label_false",
    "spec.suspend": "test_suspend_deletes_clusters_and_services_then_resume_initializes",
    "status.conditions": _RS_NEW,
    "status.lastUpdateTime": "test_status_write_is_a_merge_patch_that_removes_what_went",
    "status.serviceStatus": "test_steady_state_changes_nothing_and_asks_for_no_put",
    "status.numServeEndpoints": "test_steady_state_changes_nothing_and_asks_for_no_put",
    "status.observedGeneration": _RS_NEW,
    "status.activeServiceStatus.applicationStatuses": "test_steady_state_changes_nothing_and_asks_for_no_put",
    "status.activeServiceStatus.rayClusterName": _RS_SWITCH,
    "status.activeServiceStatus.rayClusterStatus": "test_rayservice_status_carries_the_clusters_status",
    "status.pendingServiceStatus.applicationStatuses": _RS_SWITCH,
    "status.pendingServiceStatus.rayClusterName": "test_cluster_config_change_prepares_a_pending_cluster",
    "status.pendingServiceStatus.rayClusterStatus": "test_rayservice_status_carries_the_clusters_status",
}
# The KubeRay annotation a RayService may carry that is not provided (validation names it).
RAYSERVICE_ANNOTATIONS_REFUSED: dict[str, str] = {
    "metadata.annotations[ray.io/initializing-timeout]": "the initializing timeout is not provided",
}
RAYSERVICE_PASSED_THROUGH: dict[str, str] = {
    # KubeRay deprecated both and ignores them (kuberay#1685): accepted and ignored the same way.
    "spec.serviceUnhealthySecondThreshold": _RS_IGNORED,
    "spec.deploymentUnhealthySecondThreshold": _RS_IGNORED,
}
RAYSERVICE_REFUSED: dict[str, str] = {
    "spec.upgradeStrategy.clusterUpgradeOptions": "NewClusterWithIncrementalUpgrade needs the Gateway API",
    "status.activeServiceStatus.targetCapacity": _INCREMENTAL,
    "status.activeServiceStatus.trafficRoutedPercent": _INCREMENTAL,
    "status.activeServiceStatus.lastTrafficMigratedTime": _INCREMENTAL,
    "status.pendingServiceStatus.targetCapacity": _INCREMENTAL,
    "status.pendingServiceStatus.trafficRoutedPercent": _INCREMENTAL,
    "status.pendingServiceStatus.lastTrafficMigratedTime": _INCREMENTAL,
}
