{{/* Mounts of /tmp and of every enabled persistence entry (sorted by name). Usage: {{ include "cronjob-common.container.volumeMounts" . }} */}}
{{- define "cronjob-common.container.volumeMounts" -}}
{{- if .Values.tmpVolume.enabled }}
- name: tmp
  mountPath: /tmp
{{- end }}
{{- range $name := keys .Values.persistence | sortAlpha }}
{{- $v := get $.Values.persistence $name }}
{{- if ne (toString $v.enabled) "false" }}
- name: {{ $name }}
  mountPath: {{ $v.mountPath }}
  {{- with $v.subPath }}
  subPath: {{ . }}
  {{- end }}
  {{- if or $v.readOnly (has $v.type (list "secret" "configMap")) }}
  readOnly: true
  {{- end }}
  {{- with $v.mountPropagation }}
  mountPropagation: {{ . }}
  {{- end }}
{{- end }}
{{- end }}
{{- end -}}
