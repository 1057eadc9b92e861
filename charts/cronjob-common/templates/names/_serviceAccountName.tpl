{{/* ServiceAccount the pods run as. Usage: {{ include "cronjob-common.names.serviceAccountName" . }} */}}
{{- define "cronjob-common.names.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- .Values.serviceAccount.name | default (include "cronjob-common.names.fullname" .) -}}
{{- else -}}
{{- .Values.serviceAccount.name | default "default" -}}
{{- end -}}
{{- end -}}
