{{/* The dashboard's panels as a list of {title, type, unit, expr}; tests evaluate every expr against Prometheus. Usage: {{ include "cronjob-common.monitoring.dashboardPanels" . | fromYamlArray }} */}}
{{- define "cronjob-common.monitoring.dashboardPanels" -}}
{{- $ns := .Release.Namespace -}}
{{- $cj := include "cronjob-common.names.fullname" . -}}
{{- $sel := printf "namespace=%q, cronjob=%q" $ns $cj -}}
{{- $owner := printf "max by (namespace, job_name) (kube_job_owner{namespace=%q, owner_kind=\"CronJob\", owner_name=%q})" $ns $cj -}}
- title: Time since last success
  type: stat
  unit: s
  expr: time() - max(kube_cronjob_status_last_successful_time{ {{- $sel -}} })
- title: Run duration
  type: timeseries
  unit: s
  expr: max by (job_name) ((kube_job_status_completion_time{namespace={{ $ns | quote }}} - kube_job_status_start_time{namespace={{ $ns | quote }}}) * on (namespace, job_name) group_left () {{ $owner }})
- title: Failed runs
  type: timeseries
  unit: short
  expr: count(max by (namespace, job_name) (kube_job_failed{namespace={{ $ns | quote }}, condition="true"} == 1) * on (namespace, job_name) group_left () {{ $owner }}) or vector(0)
- title: Active runs
  type: timeseries
  unit: short
  expr: max(kube_cronjob_status_active{ {{- $sel -}} })
- title: Time since last Pushgateway push
  type: stat
  unit: s
  expr: time() - max(push_time_seconds{job={{ include "cronjob-common.names.pushgatewayJob" . | quote }}})
{{- end -}}
