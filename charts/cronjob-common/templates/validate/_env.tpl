{{/* Environment: valid names, each given once across the Pushgateway wiring, extraEnvVars and env (Kubernetes keeps the last silently). Usage: {{ include "cronjob-common.validate.env" . }} */}}
{{- define "cronjob-common.validate.env" -}}
{{- $seen := dict -}}
{{- if .Values.metrics.pushgateway.enabled -}}
{{- range list "PUSHGATEWAY_URL" "PUSHGATEWAY_JOB" "PUSHGATEWAY_INSTANCE" "METRICS_ENV" -}}{{- $_ := set $seen . "metrics.pushgateway.enabled (the wiring sets it)" -}}{{- end -}}
{{- end -}}
{{- $given := list -}}
{{- range $i, $e := .Values.extraEnvVars -}}{{- $given = append $given (list (toString $e.name) (printf "extraEnvVars[%d]" $i)) -}}{{- end -}}
{{- range $name := keys .Values.env | sortAlpha -}}{{- $given = append $given (list $name (printf "env.%s" $name)) -}}{{- end -}}
{{- range $given -}}
{{- $name := index . 0 -}}{{- $key := index . 1 -}}
{{- if not (regexMatch "^[A-Za-z_][A-Za-z0-9_]*$" $name) -}}
{{- include "cronjob-common.lib.fail" (dict "key" $key "message" (printf "%q is not a valid environment variable name; use letters, digits and _, not starting with a digit" $name) "context" $) -}}
{{- end -}}
{{- if hasKey $seen $name -}}
{{- include "cronjob-common.lib.fail" (dict "key" $key "message" (printf "sets %s, which %s also sets; give each variable once (to keep your own PUSHGATEWAY_URL, set metrics.pushgateway.enabled false, or set metrics.pushgateway.url instead)" $name (get $seen $name)) "context" $) -}}
{{- end -}}
{{- $_ := set $seen $name $key -}}
{{- end -}}
{{- end -}}
