{{/* cronjob.timeZone: empty or a name from the IANA time zone database. Usage: {{ include "cronjob-common.validate.timeZone" . }} */}}
{{- define "cronjob-common.validate.timeZone" -}}
{{- $tz := .Values.cronjob.timeZone -}}
{{- if and $tz (not (has $tz (include "cronjob-common.data.timezones" . | splitList "\n"))) -}}
{{- include "cronjob-common.lib.fail" (dict "key" "cronjob.timeZone" "message" (printf "%q is not an IANA time zone name; use a name such as UTC, Etc/UTC or Europe/Zurich (see the tz database), or leave it empty for the controller's zone" $tz) "context" $) -}}
{{- end -}}
{{- end -}}
