{{/* Fail rendering with a message naming the job, the release, the key and what is allowed. Usage: {{ include "cronjob-common.lib.fail" (dict "key" "cronjob.schedule" "message" "..." "context" $) }} */}}
{{- define "cronjob-common.lib.fail" -}}
{{- fail (printf "\n[job %s, release %s] %s: %s" .context.Chart.Name .context.Release.Name .key .message) -}}
{{- end -}}
