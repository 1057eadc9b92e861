{{/* Render a value that may contain template expressions (labels, annotations, args). Usage: {{ include "cronjob-common.tplvalues.render" (dict "value" .Values.x "context" $) }} */}}
{{- define "cronjob-common.tplvalues.render" -}}
{{- $value := typeIs "string" .value | ternary .value (.value | toYaml) -}}
{{- if contains "{{" $value -}}
{{- tpl $value .context -}}
{{- else -}}
{{- $value -}}
{{- end -}}
{{- end -}}
