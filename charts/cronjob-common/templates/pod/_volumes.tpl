{{/* Pod volumes: /tmp emptyDir, every enabled persistence entry by type, and the executors' pod template with spark.kubernetes.enabled. Usage: {{ include "cronjob-common.pod.volumes" . }} */}}
{{- define "cronjob-common.pod.volumes" -}}
{{- if .Values.tmpVolume.enabled }}
- name: tmp
  emptyDir:
    {{- with .Values.tmpVolume.medium }}
    medium: {{ . }}
    {{- end }}
    sizeLimit: {{ .Values.tmpVolume.sizeLimit }}
{{- end }}
{{- range $name := keys .Values.persistence | sortAlpha }}
{{- $v := get $.Values.persistence $name }}
{{- if ne (toString $v.enabled) "false" }}
- name: {{ $name }}
  {{- if eq $v.type "secret" }}
  secret:
    secretName: {{ $v.secretName }}
    defaultMode: {{ hasKey $v "defaultMode" | ternary $v.defaultMode 0400 | int64 }}
    {{- with $v.items }}
    items:
      {{- toYaml . | nindent 6 }}
    {{- end }}
  {{- else if eq $v.type "configMap" }}
  configMap:
    name: {{ $v.configMapName }}
    defaultMode: {{ hasKey $v "defaultMode" | ternary $v.defaultMode 0444 | int64 }}
    {{- with $v.items }}
    items:
      {{- toYaml . | nindent 6 }}
    {{- end }}
  {{- else if eq $v.type "emptyDir" }}
  emptyDir:
    {{- with $v.medium }}
    medium: {{ . }}
    {{- end }}
    {{- with $v.sizeLimit }}
    sizeLimit: {{ . }}
    {{- end }}
  {{- else if eq $v.type "pvc" }}
  persistentVolumeClaim:
    claimName: {{ $v.claimName }}
    {{- if hasKey $v "claimReadOnly" | ternary $v.claimReadOnly $v.readOnly }}
    readOnly: true
    {{- end }}
  {{- else if eq $v.type "hostPath" }}
  hostPath:
    path: {{ $v.path }}
    type: {{ hasKey $v "hostPathType" | ternary $v.hostPathType "Directory" | quote }}
  {{- end }}
{{- end }}
{{- end }}
{{- if .Values.spark.kubernetes.enabled }}
- name: spark-executor-pod
  configMap:
    name: {{ include "cronjob-common.names.sparkExecutorPod" . }}
    defaultMode: 0444
{{- end }}
{{- end -}}
