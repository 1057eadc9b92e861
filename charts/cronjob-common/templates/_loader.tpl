{{/* Entry point: the one line a job chart's templates/job.yaml includes. Usage: {{ include "cronjob-common.loader.all" . }} */}}
{{- define "cronjob-common.loader.all" -}}
{{- include "cronjob-common.lib.init" . -}}
{{- include "cronjob-common.validate.all" . -}}
{{- include "cronjob-common.render.all" . -}}
{{- end -}}
{{/* NOTES.txt entry point: the warnings of what the values opt out of (mutable image tags, security defaults, unchecked host paths). Usage: {{ include "cronjob-common.loader.notes" . }} */}}
{{- define "cronjob-common.loader.notes" -}}
{{- include "cronjob-common.lib.init" . -}}
{{- include "cronjob-common.notes.warnings" . -}}
{{- end -}}
