{{/* metadata block of a top-level object: name, namespace, labels, annotations. Usage: {{ include "cronjob-common.labels.metadata" (dict "name" $name "labels" .Values.x.labels "annotations" .Values.x.annotations "context" $) }} */}}
{{- define "cronjob-common.labels.metadata" -}}
name: {{ .name | default (include "cronjob-common.names.fullname" .context) }}
namespace: {{ .namespace | default .context.Release.Namespace }}
labels:
  {{- include "cronjob-common.labels.standard" (dict "extra" .labels "context" .context) | nindent 2 }}
{{- with include "cronjob-common.labels.annotations" (dict "extra" .annotations "context" .context) }}
annotations:
  {{- . | nindent 2 }}
{{- end }}
{{- end -}}
