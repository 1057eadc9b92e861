{{/* env list: the Pushgateway wiring, then extraEnvVars in their order, then the env map sorted by name (a string is a value, an object a valueFrom source). Usage: {{ include "cronjob-common.container.env" . }} */}}
{{- define "cronjob-common.container.env" -}}
{{- $env := list -}}
{{- $pg := .Values.metrics.pushgateway -}}
{{- if $pg.enabled -}}
{{- $env = append $env (dict "name" "PUSHGATEWAY_URL" "value" $pg.url) -}}
{{- $env = append $env (dict "name" "PUSHGATEWAY_JOB" "value" (include "cronjob-common.names.pushgatewayJob" .)) -}}
{{- $env = append $env (dict "name" "PUSHGATEWAY_INSTANCE" "value" ($pg.instance | default .Values.environment)) -}}
{{- $env = append $env (dict "name" "METRICS_ENV" "value" .Values.environment) -}}
{{- end -}}
{{- range .Values.extraEnvVars -}}
{{- $entry := deepCopy . -}}
{{- if hasKey $entry "value" -}}
{{- $_ := set $entry "value" (include "cronjob-common.tplvalues.render" (dict "value" (toString $entry.value) "context" $)) -}}
{{- end -}}
{{- $env = append $env $entry -}}
{{- end -}}
{{- range $name := keys .Values.env | sortAlpha -}}
{{- $value := get $.Values.env $name -}}
{{- if kindIs "map" $value -}}
{{- if hasKey $value "value" -}}
{{- $env = append $env (dict "name" $name "value" (include "cronjob-common.tplvalues.render" (dict "value" (toString $value.value) "context" $))) -}}
{{- else -}}
{{- $env = append $env (dict "name" $name "valueFrom" $value) -}}
{{- end -}}
{{- else -}}
{{- $env = append $env (dict "name" $name "value" (include "cronjob-common.tplvalues.render" (dict "value" (toString $value) "context" $))) -}}
{{- end -}}
{{- end -}}
{{- if $env -}}{{- toYaml $env -}}{{- end -}}
{{- end -}}
