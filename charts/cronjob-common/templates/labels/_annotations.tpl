{{/* Common plus per-object annotations, templated; empty when there are none. Usage: {{ include "cronjob-common.labels.annotations" (dict "extra" .Values.cronjob.annotations "context" $) }} */}}
{{- define "cronjob-common.labels.annotations" -}}
{{- $ctx := .context -}}
{{- $annotations := dict -}}
{{- range $source := list $ctx.Values.commonAnnotations (.extra | default dict) -}}
{{- $annotations = mustMergeOverwrite $annotations (include "cronjob-common.tplvalues.render" (dict "value" $source "context" $ctx) | fromYaml) -}}
{{- end -}}
{{- if $annotations -}}{{- toYaml $annotations -}}{{- end -}}
{{- end -}}
