{{/* Every template-time check (what the values schema cannot express). Usage: {{ include "cronjob-common.validate.all" . }} */}}
{{- define "cronjob-common.validate.all" -}}
{{- include "cronjob-common.validate.names" . -}}
{{- include "cronjob-common.validate.env" . -}}
{{- include "cronjob-common.validate.labels" . -}}
{{- include "cronjob-common.validate.schedule" . -}}
{{- include "cronjob-common.validate.timeZone" . -}}
{{- include "cronjob-common.validate.image" . -}}
{{- include "cronjob-common.validate.pod" . -}}
{{- include "cronjob-common.validate.podFailurePolicy" . -}}
{{- include "cronjob-common.validate.resources" . -}}
{{- include "cronjob-common.validate.securityContext" . -}}
{{- include "cronjob-common.validate.ports" . -}}
{{- include "cronjob-common.validate.spark" . -}}
{{- include "cronjob-common.validate.persistence" . -}}
{{- include "cronjob-common.validate.access" . -}}
{{- include "cronjob-common.validate.ownedObjects" . -}}
{{- end -}}
