{{/* PodMonitor scraping the job's pods while they run. Usage: {{ include "cronjob-common.class.podMonitor" . }} */}}
{{- define "cronjob-common.class.podMonitor" -}}
{{- $pm := .Values.metrics.podMonitor -}}
apiVersion: monitoring.coreos.com/v1
kind: PodMonitor
metadata:
  {{- include "cronjob-common.labels.metadata" (dict "labels" $pm.labels "context" $) | nindent 2 }}
spec:
  selector:
    matchLabels:
      {{- include "cronjob-common.labels.selector" . | nindent 6 }}
  podMetricsEndpoints:
    - port: {{ $pm.port }}
      path: {{ $pm.path }}
      interval: {{ $pm.interval }}
{{- end -}}
