{{/* Pushgateway grouping key `job` of this cron job. Usage: {{ include "cronjob-common.names.pushgatewayJob" . }} */}}
{{- define "cronjob-common.names.pushgatewayJob" -}}
{{- .Values.metrics.pushgateway.job | default (include "cronjob-common.names.fullname" .) -}}
{{- end -}}
