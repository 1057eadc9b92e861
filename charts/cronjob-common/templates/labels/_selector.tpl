{{/* Labels that select this job's pods (stable across upgrades). Usage: {{ include "cronjob-common.labels.selector" . }} */}}
{{- define "cronjob-common.labels.selector" -}}
app.kubernetes.io/name: {{ include "cronjob-common.names.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}
