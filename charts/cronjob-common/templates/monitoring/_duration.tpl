{{/* Seconds as a Prometheus duration string (e.g. 172800 -> 172800s). Usage: {{ include "cronjob-common.monitoring.duration" 3600 }} */}}
{{- define "cronjob-common.monitoring.duration" -}}
{{- printf "%ds" (int64 .) -}}
{{- end -}}
