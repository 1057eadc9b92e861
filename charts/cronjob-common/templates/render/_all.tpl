{{/* Render every object the values enable, as one YAML stream. Usage: {{ include "cronjob-common.render.all" . }} */}}
{{- define "cronjob-common.render.all" -}}
{{- $objects := list "cronjob" -}}
{{- if .Values.serviceAccount.create -}}{{- $objects = append $objects "serviceAccount" -}}{{- end -}}
{{- if .Values.rbac.create -}}{{- $objects = concat $objects (list "role" "roleBinding") -}}{{- end -}}
{{- if .Values.networkPolicy.enabled -}}{{- $objects = append $objects "networkPolicy" -}}{{- end -}}
{{- if .Values.metrics.prometheusRule.enabled -}}{{- $objects = append $objects "prometheusRule" -}}{{- end -}}
{{- if .Values.metrics.serviceMonitor.enabled -}}{{- $objects = append $objects "serviceMonitor" -}}{{- end -}}
{{- if .Values.metrics.podMonitor.enabled -}}{{- $objects = append $objects "podMonitor" -}}{{- end -}}
{{- if .Values.metrics.dashboard.enabled -}}{{- $objects = append $objects "dashboard" -}}{{- end -}}
{{- range $objects }}
---
{{ include (printf "cronjob-common.class.%s" .) $ }}
{{- end }}
{{- end -}}
