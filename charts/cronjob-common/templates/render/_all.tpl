{{/* Render every object the values enable, as one YAML stream. Usage: {{ include "cronjob-common.render.all" . }} */}}
{{- define "cronjob-common.render.all" -}}
{{- $objects := list (dict "class" "cronjob" "args" $) -}}
{{- if .Values.serviceAccount.create -}}{{- $objects = append $objects (dict "class" "serviceAccount" "args" $) -}}{{- end -}}
{{- if or .Values.rbac.create .Values.spark.kubernetes.enabled -}}{{- $objects = concat $objects (list (dict "class" "role" "args" $) (dict "class" "roleBinding" "args" $)) -}}{{- end -}}
{{- if .Values.spark.kubernetes.enabled -}}{{- $objects = append $objects (dict "class" "sparkExecutorPod" "args" $) -}}{{- end -}}
{{- range .Values.rbac.clusterRoles -}}{{- $objects = append $objects (dict "class" "clusterRoleBinding" "args" (dict "key" . "context" $)) -}}{{- end -}}
{{- range $key := keys .Values.configMaps | sortAlpha -}}{{- $objects = append $objects (dict "class" "configMap" "args" (dict "key" $key "context" $)) -}}{{- end -}}
{{- range $key := keys .Values.services | sortAlpha -}}{{- $objects = append $objects (dict "class" "service" "args" (dict "key" $key "context" $)) -}}{{- end -}}
{{- if .Values.networkPolicy.enabled -}}{{- $objects = append $objects (dict "class" "networkPolicy" "args" $) -}}{{- end -}}
{{- if .Values.metrics.prometheusRule.enabled -}}{{- $objects = append $objects (dict "class" "prometheusRule" "args" $) -}}{{- end -}}
{{- if .Values.metrics.serviceMonitor.enabled -}}{{- $objects = append $objects (dict "class" "serviceMonitor" "args" $) -}}{{- end -}}
{{- if .Values.metrics.podMonitor.enabled -}}{{- $objects = append $objects (dict "class" "podMonitor" "args" $) -}}{{- end -}}
{{- if .Values.metrics.dashboard.enabled -}}{{- $objects = append $objects (dict "class" "dashboard" "args" $) -}}{{- end -}}
{{- range $objects }}
---
{{ include (printf "cronjob-common.class.%s" .class) .args }}
{{- end }}
{{- end -}}
