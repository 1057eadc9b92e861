{{/* resources: the required requests and memory limit, and no request above its limit (the API server rejects it). Usage: {{ include "cronjob-common.validate.resources" . }} */}}
{{- define "cronjob-common.validate.resources" -}}
{{- $res := .Values.resources -}}
{{- if or (not (dig "requests" "cpu" "" $res)) (not (dig "requests" "memory" "" $res)) (not (dig "limits" "memory" "" $res)) -}}
{{- include "cronjob-common.lib.fail" (dict "key" "resources" "message" "needs requests.cpu, requests.memory and limits.memory (no unbounded pods), e.g. {requests: {cpu: 500m, memory: 1Gi}, limits: {memory: 2Gi}}" "context" $) -}}
{{- end -}}
{{- range $resource, $limit := $res.limits | default dict -}}
{{- $request := dig "requests" $resource "" $res -}}
{{- if and $request (gt (include "cronjob-common.lib.quantity" $request | float64) (include "cronjob-common.lib.quantity" $limit | float64)) -}}
{{- include "cronjob-common.lib.fail" (dict "key" (printf "resources.requests.%s" $resource) "message" (printf "%v is more than resources.limits.%s %v; Kubernetes rejects a request above its limit: lower the request or raise the limit" $request $resource $limit) "context" $) -}}
{{- end -}}
{{- end -}}
{{- end -}}
