{{/* serviceAccount and rbac agree: a Role or ClusterRole is only bound to a ServiceAccount made for this job. Usage: {{ include "cronjob-common.validate.access" . }} */}}
{{- define "cronjob-common.validate.access" -}}
{{- if and .Values.rbac.create (not .Values.serviceAccount.create) -}}
{{- include "cronjob-common.lib.fail" (dict "key" "rbac.create" "message" "needs serviceAccount.create true: binding a Role to a shared ServiceAccount would grant it to other workloads" "context" $) -}}
{{- end -}}
{{- if and .Values.spark.kubernetes.enabled (not .Values.serviceAccount.create) -}}
{{- include "cronjob-common.lib.fail" (dict "key" "spark.kubernetes.enabled" "message" "needs serviceAccount.create true: the Role to manage executor pods is bound to the job's own ServiceAccount, not a shared one" "context" $) -}}
{{- end -}}
{{- if and .Values.rbac.create (not .Values.rbac.rules) -}}
{{- include "cronjob-common.lib.fail" (dict "key" "rbac.rules" "message" "is empty while rbac.create is true; list the rules the job needs or set rbac.create false" "context" $) -}}
{{- end -}}
{{- if and .Values.rbac.create (not .Values.serviceAccount.automountServiceAccountToken) -}}
{{- include "cronjob-common.lib.fail" (dict "key" "serviceAccount.automountServiceAccountToken" "message" "is false while rbac.create is true: the job could not use its Role; set it true" "context" $) -}}
{{- end -}}
{{- range .Values.rbac.clusterRoles -}}
{{- if not (regexMatch "^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$" (toString .)) -}}
{{- include "cronjob-common.lib.fail" (dict "key" "rbac.clusterRoles" "message" (printf "%q cannot name the RoleBinding <fullname>-<role>; bind a ClusterRole named with lower-case letters, digits, - and ." (toString .)) "context" $) -}}
{{- end -}}
{{- end -}}
{{- if and .Values.rbac.clusterRoles (not .Values.serviceAccount.create) -}}
{{- include "cronjob-common.lib.fail" (dict "key" "rbac.clusterRoles" "message" "needs serviceAccount.create true: binding a ClusterRole to a shared ServiceAccount would grant it to other workloads" "context" $) -}}
{{- end -}}
{{- if and .Values.rbac.clusterRoles (not .Values.serviceAccount.automountServiceAccountToken) -}}
{{- include "cronjob-common.lib.fail" (dict "key" "serviceAccount.automountServiceAccountToken" "message" "is false while rbac.clusterRoles binds roles: the job could not use them; set it true" "context" $) -}}
{{- end -}}
{{- end -}}
