{{/* Chart name or nameOverride, cut to 63 characters. Usage: {{ include "cronjob-common.names.name" . }} */}}
{{- define "cronjob-common.names.name" -}}
{{- .Values.nameOverride | default .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
