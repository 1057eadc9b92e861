{{/* ports: with hostNetwork a hostPort must equal its containerPort; host ports must be unique; the Spark driver's two ports differ and their names are free. Usage: {{ include "cronjob-common.validate.ports" . }} */}}
{{- define "cronjob-common.validate.ports" -}}
{{- $seen := dict -}}
{{- range $name, $port := .Values.ports -}}
{{- if and $.Values.pod.hostNetwork $port.hostPort (ne (int $port.hostPort) (int $port.containerPort)) -}}
{{- include "cronjob-common.lib.fail" (dict "key" (printf "ports.%s.hostPort" $name) "message" (printf "%v differs from containerPort %v; with pod.hostNetwork they must be equal" $port.hostPort $port.containerPort) "context" $) -}}
{{- end -}}
{{- with $port.hostPort -}}
{{- if hasKey $seen (toString .) -}}
{{- include "cronjob-common.lib.fail" (dict "key" (printf "ports.%s.hostPort" $name) "message" (printf "%v is also used by ports.%s; host ports must be unique" . (get $seen (toString .))) "context" $) -}}
{{- end -}}
{{- $_ := set $seen (toString .) $name -}}
{{- end -}}
{{- end -}}
{{- with .Values.spark.kubernetes -}}{{- if .enabled -}}
{{- if eq (int .driverPort) (int .blockManagerPort) -}}
{{- include "cronjob-common.lib.fail" (dict "key" "spark.kubernetes.blockManagerPort" "message" (printf "%v is also spark.kubernetes.driverPort; the driver needs two different ports" .blockManagerPort) "context" $) -}}
{{- end -}}
{{- range $name := list "spark-driver" "spark-blockmgr" -}}
{{- if hasKey $.Values.ports $name -}}
{{- include "cronjob-common.lib.fail" (dict "key" (printf "ports.%s" $name) "message" "is the name of a port spark.kubernetes.enabled adds; rename yours" "context" $) -}}
{{- end -}}
{{- end -}}
{{- end -}}{{- end -}}
{{- end -}}
