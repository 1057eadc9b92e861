{{/* Binds the job's Role to its ServiceAccount. Usage: {{ include "cronjob-common.class.roleBinding" . }} */}}
{{- define "cronjob-common.class.roleBinding" -}}
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  {{- include "cronjob-common.labels.metadata" (dict "context" $) | nindent 2 }}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: {{ include "cronjob-common.names.fullname" . }}
subjects:
  - kind: ServiceAccount
    name: {{ include "cronjob-common.names.serviceAccountName" . }}
    namespace: {{ .Release.Namespace }}
{{- end -}}
