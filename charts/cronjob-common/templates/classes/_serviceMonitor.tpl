{{/* ServiceMonitor for the Pushgateway that holds this job's pushed metrics (honorLabels keeps their job label). Usage: {{ include "cronjob-common.class.serviceMonitor" . }} */}}
{{- define "cronjob-common.class.serviceMonitor" -}}
{{- $sm := .Values.metrics.serviceMonitor -}}
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  {{- include "cronjob-common.labels.metadata" (dict "namespace" $sm.namespace "labels" $sm.labels "context" $) | nindent 2 }}
spec:
  selector:
    matchLabels:
      {{- toYaml $sm.selector | nindent 6 }}
  {{- with $sm.namespaceSelector }}
  namespaceSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  endpoints:
    - port: {{ $sm.port }}
      interval: {{ $sm.interval }}
      honorLabels: true
      metricRelabelings:
        - sourceLabels: [job]
          regex: {{ include "cronjob-common.names.pushgatewayJob" . | quote }}
          action: keep
{{- end -}}
