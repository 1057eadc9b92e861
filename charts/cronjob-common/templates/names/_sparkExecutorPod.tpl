{{/* Name of the ConfigMap holding the executors' pod template (spark.kubernetes.enabled). Usage: {{ include "cronjob-common.names.sparkExecutorPod" . }} */}}
{{- define "cronjob-common.names.sparkExecutorPod" -}}
{{- include "cronjob-common.names.ownedObject" (dict "key" "spark-executor" "context" .) -}}
{{- end -}}
