{{/* ports: with hostNetwork a hostPort must equal its containerPort; host ports must be unique. Usage: {{ include "cronjob-common.validate.ports" . }} */}}
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
{{- end -}}
