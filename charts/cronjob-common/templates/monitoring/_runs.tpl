{{/* This CronJob's runs as a PromQL vector of 1s labelled namespace, job_name, owner_name and run: "manual" for a Job annotated cronjob.kubernetes.io/instantiate=manual (kubectl create job --from=cronjob/..., the harness's trigger), else "scheduled". The annotation is read from kube_job_annotations, which kube-state-metrics exports only with --metric-annotations-allowlist=jobs=[cronjob.kubernetes.io/instantiate]; without it every run counts as scheduled, so alerts still reach the scheduled runs' receivers. Usage: {{ include "cronjob-common.monitoring.runs" . | nindent 6 }} */}}
{{- define "cronjob-common.monitoring.runs" -}}
{{- $ns := .Release.Namespace | quote -}}
{{- $owner := printf "max by (namespace, job_name, owner_name) (kube_job_owner{namespace=%s, owner_kind=\"CronJob\", owner_name=%q})" $ns (include "cronjob-common.names.fullname" .) -}}
(
  label_replace({{ $owner }} * on (namespace, job_name) group_left () max by (namespace, job_name) (kube_job_annotations{namespace={{ $ns }}, annotation_cronjob_kubernetes_io_instantiate="manual"}), "run", "manual", "", "")
  or ignoring (run)
  label_replace({{ $owner }}, "run", "scheduled", "", "")
)
{{- end -}}
