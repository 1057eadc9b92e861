{{/* Named container ports sorted by name (hostPort pairs for Spark driver and blockManager), then the driver's ports with spark.kubernetes.enabled. Usage: {{ include "cronjob-common.container.ports" . }} */}}
{{- define "cronjob-common.container.ports" -}}
{{- range $name := keys .Values.ports | sortAlpha }}
{{- $p := get $.Values.ports $name }}
- name: {{ $name }}
  containerPort: {{ $p.containerPort | int64 }}
  {{- with $p.hostPort }}
  hostPort: {{ . | int64 }}
  {{- end }}
  protocol: {{ $p.protocol | default "TCP" }}
{{- end }}
{{- with .Values.spark.kubernetes }}{{ if .enabled }}
- name: spark-driver
  containerPort: {{ .driverPort | int64 }}
  protocol: TCP
- name: spark-blockmgr
  containerPort: {{ .blockManagerPort | int64 }}
  protocol: TCP
{{- end }}{{ end }}
{{- end -}}
