{{/* Full name of the job's objects; cut to 52 characters because the CronJob controller appends an 11-character suffix to Job names (63 max). Usage: {{ include "cronjob-common.names.fullname" . }} */}}
{{- define "cronjob-common.names.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 52 | trimSuffix "-" -}}
{{- else -}}
{{- $name := include "cronjob-common.names.name" . -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 52 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 52 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}
