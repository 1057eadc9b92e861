{{/* Names used as map keys: ports (IANA service names) and volumes/containers (DNS labels). Usage: {{ include "cronjob-common.validate.names" . }} */}}
{{- define "cronjob-common.validate.names" -}}
{{- range $name, $_ := .Values.ports -}}
{{- if or (gt (len $name) 15) (not (regexMatch "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$" $name)) -}}
{{- include "cronjob-common.lib.fail" (dict "key" (printf "ports.%s" $name) "message" "is not a valid port name; use at most 15 lower-case letters, digits and -, starting and ending with a letter or digit" "context" $) -}}
{{- end -}}
{{- end -}}
{{- range $section := list "persistence" "initContainers" "sidecars" "configMaps" "services" -}}
{{- range $name, $_ := get $.Values $section -}}
{{- if or (gt (len $name) 63) (not (regexMatch "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$" $name)) -}}
{{- include "cronjob-common.lib.fail" (dict "key" (printf "%s.%s" $section $name) "message" "is not a valid name; use at most 63 lower-case letters, digits and -, starting and ending with a letter or digit" "context" $) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
