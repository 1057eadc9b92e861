{{/* The default alerts of a cron job, as a map name -> {expr, summary, description}; thresholds come from the values. Usage: {{ include "cronjob-common.monitoring.defaultAlerts" . | fromYaml }} */}}
{{- define "cronjob-common.monitoring.defaultAlerts" -}}
{{- $ns := .Release.Namespace -}}
{{- $cj := include "cronjob-common.names.fullname" . -}}
{{- $alerts := .Values.metrics.prometheusRule.alerts -}}
{{- $period := include "cronjob-common.monitoring.periodSeconds" . | int64 -}}
{{- $sel := printf "namespace=%q, cronjob=%q" $ns $cj -}}
{{- $owner := printf "max by (namespace, job_name, owner_name) (kube_job_owner{namespace=%q, owner_kind=\"CronJob\", owner_name=%q})" $ns $cj -}}
{{- $maxDuration := $alerts.CronJobRunningTooLong.maxDurationSeconds | default .Values.job.activeDeadlineSeconds | default $period | int64 -}}
{{- $window := $alerts.CronJobNoRecentSuccess.windowSeconds | default (mul $period $alerts.CronJobNoRecentSuccess.periods) | int64 -}}
{{- $stale := mul $period .Values.metrics.pushgateway.staleAfterPeriods | int64 -}}
CronJobFailed:
  expr: |-
    max by (namespace, job_name) (kube_job_status_failed{namespace={{ $ns | quote }}} > 0)
      * on (namespace, job_name) group_left (owner_name) {{ $owner }}
  summary: "Cron job {{ $ns }}/{{ $cj }}: run {{`{{ $labels.job_name }}`}} failed"
  description: "Job {{`{{ $labels.namespace }}/{{ $labels.job_name }}`}} created by CronJob {{ $cj }} has failed pods. Read its pod logs (kubectl -n {{ $ns }} logs job/{{`{{ $labels.job_name }}`}}), fix the cause, re-run it (kubectl -n {{ $ns }} create job --from=cronjob/{{ $cj }} {{ $cj }}-rerun) and delete the failed Job."
CronJobRunningTooLong:
  expr: |-
    (time() - max by (namespace, job_name) (kube_job_status_start_time{namespace={{ $ns | quote }}})
      * on (namespace, job_name) group_left (owner_name) {{ $owner }}) > {{ $maxDuration }}
    and on (namespace, job_name) (kube_job_status_active{namespace={{ $ns | quote }}} > 0)
  summary: "Cron job {{ $ns }}/{{ $cj }}: run {{`{{ $labels.job_name }}`}} has been running longer than {{ include "cronjob-common.monitoring.duration" $maxDuration }}"
  description: "Job {{`{{ $labels.job_name }}`}} has been active for {{`{{ $value | humanizeDuration }}`}}, over the limit of {{ include "cronjob-common.monitoring.duration" $maxDuration }}. With concurrencyPolicy {{ .Values.cronjob.concurrencyPolicy }} the next runs may be skipped; check whether it is stuck on an input or a sink."
CronJobNoRecentSuccess:
  expr: |-
    (
      time() - max by (namespace, cronjob) (kube_cronjob_status_last_successful_time{ {{- $sel -}} }) > {{ $window }}
    or
      time() - max by (namespace, cronjob) (kube_cronjob_created{ {{- $sel -}} }) > {{ $window }}
        unless on (namespace, cronjob) kube_cronjob_status_last_successful_time{ {{- $sel -}} }
    )
    unless on (namespace, cronjob) (kube_cronjob_spec_suspend{ {{- $sel -}} } == 1)
  summary: "Cron job {{ $ns }}/{{ $cj }} has not succeeded for more than {{ include "cronjob-common.monitoring.duration" $window }}"
  description: "No successful run of {{ $cj }} (schedule {{ .Values.cronjob.schedule | replace "\"" "" }}) within {{ include "cronjob-common.monitoring.duration" $window }}, or never since it was created. Its output is stale: check the failed runs and the scheduler events (kubectl -n {{ $ns }} describe cronjob {{ $cj }})."
CronJobSuspended:
  expr: |-
    max by (namespace, cronjob) (kube_cronjob_spec_suspend{ {{- $sel -}} }) == 1
  summary: "Cron job {{ $ns }}/{{ $cj }} is suspended"
  description: "CronJob {{ $cj }} has been suspended, so no runs are scheduled. Resume it (set cronjob.suspend false in its values) or disable this alert if the suspension is intended."
CronJobPushStale:
  expr: |-
    time() - max by (job) (push_time_seconds{job={{ include "cronjob-common.names.pushgatewayJob" . | quote }}}) > {{ $stale }}
  summary: "Cron job {{ $ns }}/{{ $cj }}: last Pushgateway push is older than {{ include "cronjob-common.monitoring.duration" $stale }}"
  description: "The job has not pushed its start/end metrics to the Pushgateway for {{`{{ $value | humanizeDuration }}`}}: it is not running, or cannot reach {{ .Values.metrics.pushgateway.url }}."
{{- end -}}
