{{/* The CronJob object. Usage: {{ include "cronjob-common.class.cronjob" . }} */}}
{{- define "cronjob-common.class.cronjob" -}}
{{- $cj := .Values.cronjob -}}
{{- $job := .Values.job -}}
apiVersion: batch/v1
kind: CronJob
metadata:
  {{- include "cronjob-common.labels.metadata" (dict "labels" $cj.labels "annotations" $cj.annotations "context" $) | nindent 2 }}
spec:
  schedule: {{ $cj.schedule | quote }}
  {{- with $cj.timeZone }}
  timeZone: {{ . | quote }}
  {{- end }}
  suspend: {{ $cj.suspend }}
  concurrencyPolicy: {{ $cj.concurrencyPolicy }}
  {{- if and (not (kindIs "invalid" $cj.startingDeadlineSeconds)) (ne (int $cj.startingDeadlineSeconds) 0) }}
  startingDeadlineSeconds: {{ $cj.startingDeadlineSeconds | int64 }}
  {{- end }}
  successfulJobsHistoryLimit: {{ $cj.successfulJobsHistoryLimit | int64 }}
  failedJobsHistoryLimit: {{ $cj.failedJobsHistoryLimit | int64 }}
  jobTemplate:
    metadata:
      labels:
        {{- include "cronjob-common.labels.standard" (dict "extra" $job.labels "context" $) | nindent 8 }}
      {{- with include "cronjob-common.labels.annotations" (dict "extra" $job.annotations "context" $) }}
      annotations:
        {{- . | nindent 8 }}
      {{- end }}
    spec:
      backoffLimit: {{ $job.backoffLimit | int64 }}
      parallelism: {{ $job.parallelism | int64 }}
      completions: {{ $job.completions | int64 }}
      {{- if not (kindIs "invalid" $job.activeDeadlineSeconds) }}
      activeDeadlineSeconds: {{ $job.activeDeadlineSeconds | int64 }}
      {{- end }}
      {{- if not (kindIs "invalid" $job.ttlSecondsAfterFinished) }}
      ttlSecondsAfterFinished: {{ $job.ttlSecondsAfterFinished | int64 }}
      {{- end }}
      {{- with $job.podFailurePolicy }}
      podFailurePolicy:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      template:
        {{- include "cronjob-common.pod.template" . | nindent 8 }}
{{- end -}}
