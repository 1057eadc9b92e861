{{/* Mounts of /tmp, of every enabled persistence entry that has a mountPath (sorted by name; readOnly unset means true for secret and configMap volumes), and of the executors' pod template with spark.kubernetes.enabled. Usage: {{ include "cronjob-common.container.volumeMounts" . }} */}}
{{- define "cronjob-common.container.volumeMounts" -}}
{{- if .Values.tmpVolume.enabled }}
- name: tmp
  mountPath: /tmp
{{- end }}
{{- range $name := keys .Values.persistence | sortAlpha }}
{{- $v := get $.Values.persistence $name }}
{{- if and (ne (toString $v.enabled) "false") $v.mountPath }}
- name: {{ $name }}
  mountPath: {{ $v.mountPath }}
  {{- with $v.subPath }}
  subPath: {{ . }}
  {{- end }}
  {{- if hasKey $v "readOnly" | ternary $v.readOnly (has $v.type (list "secret" "configMap")) }}
  readOnly: true
  {{- end }}
  {{- with $v.mountPropagation }}
  mountPropagation: {{ . }}
  {{- end }}
{{- end }}
{{- end }}
{{- if .Values.spark.kubernetes.enabled }}
- name: spark-executor-pod
  mountPath: {{ include "cronjob-common.container.sparkExecutorPodDir" . }}
  readOnly: true
{{- end }}
{{- end -}}
