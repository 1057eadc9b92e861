{{/* Role with the job's rules. Usage: {{ include "cronjob-common.class.role" . }} */}}
{{- define "cronjob-common.class.role" -}}
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  {{- include "cronjob-common.labels.metadata" (dict "context" $) | nindent 2 }}
rules:
  {{- toYaml .Values.rbac.rules | nindent 2 }}
{{- end -}}
