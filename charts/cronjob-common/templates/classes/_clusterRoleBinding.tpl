{{/* A RoleBinding in the release namespace granting a ClusterRole (rbac.clusterRoles, e.g. edit) to the job's ServiceAccount. Usage: {{ include "cronjob-common.class.clusterRoleBinding" (dict "key" "edit" "context" $) }} */}}
{{- define "cronjob-common.class.clusterRoleBinding" -}}
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  {{- include "cronjob-common.labels.metadata" (dict "name" (include "cronjob-common.names.ownedObject" (dict "key" .key "context" .context)) "context" .context) | nindent 2 }}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: {{ .key }}
subjects:
  - kind: ServiceAccount
    name: {{ include "cronjob-common.names.serviceAccountName" .context }}
    namespace: {{ .context.Release.Namespace }}
{{- end -}}
