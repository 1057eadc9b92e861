{{/* Standard app.kubernetes.io labels plus global, common and per-object labels (per-object wins). Usage: {{ include "cronjob-common.labels.standard" (dict "extra" .Values.pod.labels "context" $) }} */}}
{{- define "cronjob-common.labels.standard" -}}
{{- $ctx := .context -}}
{{- $labels := dict
  "helm.sh/chart" (printf "%s-%s" $ctx.Chart.Name $ctx.Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-")
  "app.kubernetes.io/managed-by" $ctx.Release.Service
  "app.kubernetes.io/component" "cronjob"
  "app.kubernetes.io/part-of" "cms-monitoring"
  "environment" $ctx.Values.environment -}}
{{- with $ctx.Chart.AppVersion -}}{{- $_ := set $labels "app.kubernetes.io/version" (. | trunc 63 | trimSuffix "-") -}}{{- end -}}
{{- $labels = merge (include "cronjob-common.labels.selector" $ctx | fromYaml) $labels -}}
{{- range $source := list $ctx.Values.global.labels $ctx.Values.commonLabels (.extra | default dict) -}}
{{- $labels = mustMergeOverwrite $labels (include "cronjob-common.tplvalues.render" (dict "value" $source "context" $ctx) | fromYaml) -}}
{{- end -}}
{{- toYaml $labels -}}
{{- end -}}
