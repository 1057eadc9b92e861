{{/* The default alerts of a cron job, as a map name -> {expr, summary, description, logs}; thresholds come from the values. Usage: {{ include "cronjob-common.monitoring.defaultAlerts" . | fromYaml }} */}}
{{- define "cronjob-common.monitoring.defaultAlerts" -}}
{{- $ns := .Release.Namespace -}}
{{- $cj := include "cronjob-common.names.fullname" . -}}
{{- $alerts := .Values.metrics.prometheusRule.alerts -}}
{{- $period := include "cronjob-common.monitoring.periodSeconds" . | int64 -}}
{{- $sel := printf "namespace=%q, cronjob=%q" $ns $cj -}}
{{- $runs := include "cronjob-common.monitoring.runs" . -}}
{{- $runLogs := include "cronjob-common.monitoring.logs" (dict "run" true "context" $) -}}
{{- $cronjobLogs := include "cronjob-common.monitoring.logs" (dict "run" false "context" $) -}}
{{- $maxDuration := $alerts.CronJobRunningTooLong.maxDurationSeconds | default .Values.job.activeDeadlineSeconds | default $period | int64 -}}
{{- $window := $alerts.CronJobNoRecentSuccess.windowSeconds | default (mul $period $alerts.CronJobNoRecentSuccess.periods) | int64 -}}
{{- $stale := mul $period .Values.metrics.pushgateway.staleAfterPeriods | int64 -}}
{{- /* null grace: the start deadline, after which the controller skips the run for good; without one, 300s */ -}}
{{- $grace := $alerts.CronJobMissedSchedule.graceSeconds -}}
{{- if kindIs "invalid" $grace -}}{{- $grace = .Values.cronjob.startingDeadlineSeconds -}}{{- end -}}
{{- if kindIs "invalid" $grace -}}{{- $grace = 300 -}}{{- end -}}
{{- $grace = $grace | int64 -}}
CronJobFailed:
  # The Job's Failed condition, not a failed pod: a run that succeeds on a retry is no failure. A run
  # counts until a later success (the CronJob's lastSuccessfulTime is after the run's start) or until
  # the Job is deleted.
  expr: |-
    max by (namespace, job_name) (kube_job_failed{namespace={{ $ns | quote }}, condition="true"} == 1)
      * on (namespace, job_name) group_left (owner_name, run)
      {{- $runs | nindent 6 }}
    unless on (namespace, job_name)
      max by (namespace, job_name) (kube_job_status_start_time{namespace={{ $ns | quote }}})
        < scalar(max(kube_cronjob_status_last_successful_time{ {{- $sel -}} }))
  summary: "Cron job {{ $ns }}/{{ $cj }}: {{`{{ $labels.run }}`}} run {{`{{ $labels.job_name }}`}} failed"
  description: "Job {{`{{ $labels.namespace }}/{{ $labels.job_name }}`}} ({{`{{ $labels.run }}`}} run of CronJob {{ $cj }}) failed: its retries (backoffLimit {{ .Values.job.backoffLimit }}) are used up or it hit a deadline or pod failure policy. Read its logs, fix the cause and re-run it (kubectl -n {{ $ns }} create job --from=cronjob/{{ $cj }} {{ $cj }}-rerun); the alert resolves when a later run succeeds or the failed Job is deleted."
  logs: {{ $runLogs | quote }}
CronJobRunningTooLong:
  expr: |-
    (time() - max by (namespace, job_name) (kube_job_status_start_time{namespace={{ $ns | quote }}})
      * on (namespace, job_name) group_left (owner_name, run)
      {{- $runs | nindent 6 }}
    ) > {{ $maxDuration }}
    and on (namespace, job_name) (kube_job_status_active{namespace={{ $ns | quote }}} > 0)
  summary: "Cron job {{ $ns }}/{{ $cj }}: run {{`{{ $labels.job_name }}`}} has been running longer than {{ include "cronjob-common.monitoring.duration" $maxDuration }}"
  description: "Job {{`{{ $labels.job_name }}`}} has been active for {{`{{ $value | humanizeDuration }}`}}, over the limit of {{ include "cronjob-common.monitoring.duration" $maxDuration }}. With concurrencyPolicy {{ .Values.cronjob.concurrencyPolicy }} the next runs may be skipped; check whether it is stuck on an input or a sink."
  logs: {{ $runLogs | quote }}
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
  logs: {{ $cronjobLogs | quote }}
CronJobMissedSchedule:
  # kube-state-metrics' next schedule time is the first due time after the last scheduled run (or after
  # the CronJob's creation): older than the grace means the controller did not start that run.
  expr: |-
    time() - max by (namespace, cronjob) (kube_cronjob_next_schedule_time{ {{- $sel -}} }) > {{ $grace }}
    unless on (namespace, cronjob) (kube_cronjob_spec_suspend{ {{- $sel -}} } == 1)
  summary: "Cron job {{ $ns }}/{{ $cj }}: a run due {{`{{ $value | humanizeDuration }}`}} ago has not started"
  description: "CronJob {{ $cj }} (schedule {{ .Values.cronjob.schedule | replace "\"" "" }}{{ with .Values.cronjob.timeZone }}, time zone {{ . }}{{ end }}) has not started the run that was due {{`{{ $value | humanizeDuration }}`}} ago (grace {{ include "cronjob-common.monitoring.duration" $grace }}). The previous run may still be active (concurrencyPolicy {{ .Values.cronjob.concurrencyPolicy }}), the start deadline may have passed, or the CronJob controller is not running: read the CronJob's events (kubectl -n {{ $ns }} describe cronjob {{ $cj }})."
  logs: {{ $cronjobLogs | quote }}
CronJobSuspended:
  expr: |-
    max by (namespace, cronjob) (kube_cronjob_spec_suspend{ {{- $sel -}} }) == 1
  summary: "Cron job {{ $ns }}/{{ $cj }} is suspended"
  description: "CronJob {{ $cj }} has been suspended, so no runs are scheduled. Resume it (set cronjob.suspend false in its values) or disable this alert if the suspension is intended."
  logs: {{ $cronjobLogs | quote }}
CronJobPushStale:
  expr: |-
    time() - max by (job) (push_time_seconds{job={{ include "cronjob-common.names.pushgatewayJob" . | quote }}}) > {{ $stale }}
  summary: "Cron job {{ $ns }}/{{ $cj }}: last Pushgateway push is older than {{ include "cronjob-common.monitoring.duration" $stale }}"
  description: "The job has not pushed its start/end metrics to the Pushgateway for {{`{{ $value | humanizeDuration }}`}}: it is not running, or cannot reach {{ .Values.metrics.pushgateway.url }}."
  logs: {{ $cronjobLogs | quote }}
{{- end -}}
