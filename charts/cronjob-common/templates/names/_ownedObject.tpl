{{/* Name of an object the chart owns beside the CronJob: its own name if given, else <fullname>-<key> cut to 63 characters. Usage: {{ include "cronjob-common.names.ownedObject" (dict "key" $key "name" $entry.name "context" $) }} */}}
{{- define "cronjob-common.names.ownedObject" -}}
{{- .name | default (printf "%s-%s" (include "cronjob-common.names.fullname" .context) .key | trunc 63 | trimSuffix "-") -}}
{{- end -}}
