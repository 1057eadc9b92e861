{{/* PrometheusRule with the enabled default alerts and the additional rules. Usage: {{ include "cronjob-common.class.prometheusRule" . }} */}}
{{- define "cronjob-common.class.prometheusRule" -}}
{{- $pr := .Values.metrics.prometheusRule -}}
{{- $defaults := include "cronjob-common.monitoring.defaultAlerts" . | fromYaml -}}
{{- $cj := include "cronjob-common.names.fullname" . -}}
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  {{- include "cronjob-common.labels.metadata" (dict "labels" $pr.labels "context" $) | nindent 2 }}
spec:
  groups:
    - name: {{ printf "cronjob.%s.%s" .Release.Namespace $cj }}
      rules:
        {{- range $name := keys $pr.alerts | sortAlpha }}
        {{- $alert := get $pr.alerts $name }}
        {{- if $alert.enabled }}
        {{- $rule := get $defaults $name }}
        - alert: {{ $name }}
          expr: |-
            {{- $rule.expr | nindent 12 }}
          for: {{ $alert.for }}
          labels:
            {{- $labels := dict "severity" $alert.severity "cronjob" $cj "namespace" $.Release.Namespace }}
            {{- $labels = mustMergeOverwrite $labels (deepCopy $pr.alertLabels) (deepCopy ($alert.labels | default dict)) }}
            {{- toYaml $labels | nindent 12 }}
          annotations:
            {{- $annotations := dict "summary" $rule.summary "description" $rule.description "logs" $rule.logs "runbook_url" (printf "%s#%s" $pr.runbookBaseUrl (lower $name)) }}
            {{- $annotations = mustMergeOverwrite $annotations (deepCopy ($alert.annotations | default dict)) }}
            {{- toYaml $annotations | nindent 12 }}
        {{- end }}
        {{- end }}
        {{- with $pr.additionalRules }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
{{- end -}}
