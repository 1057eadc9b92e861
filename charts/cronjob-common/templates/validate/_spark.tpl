{{/* spark.kubernetes: two different driver ports, and the names the switch adds (ports, volume, ConfigMap) free; no NetworkPolicy, which would cut the driver off from its executors and the API server. Usage: {{ include "cronjob-common.validate.spark" . }} */}}
{{- define "cronjob-common.validate.spark" -}}
{{- $k8s := .Values.spark.kubernetes -}}
{{- if $k8s.enabled -}}
{{- if eq (int $k8s.driverPort) (int $k8s.blockManagerPort) -}}
{{- include "cronjob-common.lib.fail" (dict "key" "spark.kubernetes.blockManagerPort" "message" (printf "%v is also spark.kubernetes.driverPort; the driver needs two different ports" $k8s.blockManagerPort) "context" $) -}}
{{- end -}}
{{- range $name := list "spark-driver" "spark-blockmgr" -}}
{{- if hasKey $.Values.ports $name -}}
{{- include "cronjob-common.lib.fail" (dict "key" (printf "ports.%s" $name) "message" "is the name of a port spark.kubernetes.enabled adds; rename yours" "context" $) -}}
{{- end -}}
{{- end -}}
{{- if hasKey .Values.persistence "spark-executor-pod" -}}
{{- include "cronjob-common.lib.fail" (dict "key" "persistence.spark-executor-pod" "message" "is the name of the volume spark.kubernetes.enabled adds (the executors' pod template); rename yours" "context" $) -}}
{{- end -}}
{{- $template := include "cronjob-common.names.sparkExecutorPod" . -}}
{{- range $key, $cm := .Values.configMaps -}}
{{- if eq (include "cronjob-common.names.ownedObject" (dict "key" $key "name" $cm.name "context" $)) $template -}}
{{- include "cronjob-common.lib.fail" (dict "key" (printf "configMaps.%s" $key) "message" (printf "is named %s, the ConfigMap spark.kubernetes.enabled adds (the executors' pod template); rename yours" $template) "context" $) -}}
{{- end -}}
{{- end -}}
{{- if .Values.networkPolicy.enabled -}}
{{- include "cronjob-common.lib.fail" (dict "key" "networkPolicy.enabled" "message" "cannot be combined with spark.kubernetes.enabled yet: the policy denies the executors' connections to the driver and does not allow the API server; set it false" "context" $) -}}
{{- end -}}
{{- end -}}
{{- end -}}
