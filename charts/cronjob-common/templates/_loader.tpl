{{/* Entry point: the one line a job chart's templates/job.yaml includes. Usage: {{ include "cronjob-common.loader.all" . }} */}}
{{- define "cronjob-common.loader.all" -}}
{{- include "cronjob-common.lib.init" . -}}
{{- include "cronjob-common.validate.all" . -}}
{{- include "cronjob-common.render.all" . -}}
{{- end -}}
