{{/* The Deployment's, ServiceAccount's and RBAC objects' name. */}}
{{- define "kuberay-operator.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "kuberay-operator.selectorLabels" -}}
app.kubernetes.io/name: kuberay-operator
app.kubernetes.io/instance: {{ include "kuberay-operator.fullname" . }}
{{- end -}}

{{- define "kuberay-operator.labels" -}}
{{ include "kuberay-operator.selectorLabels" . }}
app.kubernetes.io/component: kuberay-operator
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "kuberay-operator.subject" -}}
subjects:
  - kind: ServiceAccount
    name: {{ include "kuberay-operator.fullname" . }}
    namespace: {{ .Release.Namespace }}
{{- end -}}

{{/* Namespaced rules; keep equal to kuberay.install._OPERATOR_RULES (a test compares them). */}}
{{- define "kuberay-operator.namespacedRules" -}}
- apiGroups: [""]
  resources: [pods]
  verbs: [create, delete, get, list, patch, watch]
# held only so the operator may grant it to the autoscaler (in-place pod resize)
- apiGroups: [""]
  resources: [pods/resize]
  verbs: [patch]
- apiGroups: [""]
  resources: [services]
  verbs: [create, delete, get, list, patch, watch]
- apiGroups: [""]
  resources: [serviceaccounts]
  verbs: [create, get, list, watch]
# authOptions.mode token: the operator creates the Secret holding the token
- apiGroups: [""]
  resources: [secrets]
  verbs: [create, get, list, watch]
# headGroupSpec.enableIngress: the head's dashboard Ingress
- apiGroups: [networking.k8s.io]
  resources: [ingresses]
  verbs: [create, get, list, update, watch]
- apiGroups: [""]
  resources: [events]
  verbs: [create, patch]
- apiGroups: [events.k8s.io]
  resources: [events]
  verbs: [create, patch]
- apiGroups: [rbac.authorization.k8s.io]
  resources: [rolebindings, roles]
  verbs: [create, get, list, watch]
- apiGroups: [ray.io]
  resources: [rayclusters]
  verbs: [get, list, patch, watch]
- apiGroups: [ray.io]
  resources: [rayclusters/status]
  verbs: [get, patch, update]
# RayJob: its clusters (created and deleted), its finalizer, its submitter Jobs
- apiGroups: [ray.io]
  resources: [rayclusters]
  verbs: [create, delete, update]
- apiGroups: [ray.io]
  resources: [rayjobs]
  verbs: [delete, get, list, patch, update, watch]
- apiGroups: [ray.io]
  resources: [rayjobs/status]
  verbs: [get, patch, update]
- apiGroups: [ray.io]
  resources: [rayjobs/finalizers]
  verbs: [update]
# RayService: its serving clusters (the RayJob rule above creates and deletes them), its status
- apiGroups: [ray.io]
  resources: [rayservices]
  verbs: [get, list, patch, watch]
- apiGroups: [ray.io]
  resources: [rayservices/status]
  verbs: [get, patch, update]
- apiGroups: [batch]
  resources: [jobs]
  verbs: [create, delete, get, list, patch, watch]
{{- end -}}

{{- define "kuberay-operator.crdRule" -}}
- apiGroups: [apiextensions.k8s.io]
  resources: [customresourcedefinitions]
  verbs: [get, list, watch]
{{- end -}}
