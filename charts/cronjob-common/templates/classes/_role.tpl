{{/* Role with the job's rules (rbac.rules when rbac.create) and, with spark.kubernetes.enabled, what a Spark driver needs to run its executors as pods. Usage: {{ include "cronjob-common.class.role" . }} */}}
{{- define "cronjob-common.class.role" -}}
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  {{- include "cronjob-common.labels.metadata" (dict "context" $) | nindent 2 }}
rules:
  {{- toYaml (include "cronjob-common.class.roleRules" . | fromYamlArray) | nindent 2 }}
{{- end -}}

{{/* The Role's rules as a YAML list. Spark's driver creates, watches and deletes its executor pods and their ConfigMap of settings, and lists (and on stop deletes) the claims executors were given. Usage: {{ include "cronjob-common.class.roleRules" . }} */}}
{{- define "cronjob-common.class.roleRules" -}}
{{- $rules := list -}}
{{- if .Values.rbac.create -}}{{- $rules = concat $rules .Values.rbac.rules -}}{{- end -}}
{{- if .Values.spark.kubernetes.enabled -}}
{{- $manage := list "create" "get" "list" "watch" "delete" "deletecollection" -}}
{{- $rules = append $rules (dict "apiGroups" (list "") "resources" (list "pods" "configmaps") "verbs" $manage) -}}
{{- $rules = append $rules (dict "apiGroups" (list "") "resources" (list "persistentvolumeclaims") "verbs" (list "list" "deletecollection")) -}}
{{- end -}}
{{- toYaml $rules -}}
{{- end -}}
