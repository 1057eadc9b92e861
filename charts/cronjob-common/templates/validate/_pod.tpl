{{/* Pod and Job settings that depend on each other. Usage: {{ include "cronjob-common.validate.pod" . }} */}}
{{- define "cronjob-common.validate.pod" -}}
{{- if and .Values.job.podFailurePolicy (ne .Values.pod.restartPolicy "Never") -}}
{{- include "cronjob-common.lib.fail" (dict "key" "job.podFailurePolicy" "message" (printf "needs pod.restartPolicy Never (it is %s); Kubernetes rejects it otherwise" .Values.pod.restartPolicy) "context" $) -}}
{{- end -}}
{{- if gt (int .Values.job.parallelism) (int .Values.job.completions) -}}
{{- include "cronjob-common.lib.fail" (dict "key" "job.parallelism" "message" (printf "%v is more than job.completions %v; the extra pods would never be needed" .Values.job.parallelism .Values.job.completions) "context" $) -}}
{{- end -}}
{{- $mem := dig "limits" "memory" "" .Values.resources -}}
{{- if or (not (dig "requests" "cpu" "" .Values.resources)) (not (dig "requests" "memory" "" .Values.resources)) (not $mem) -}}
{{- include "cronjob-common.lib.fail" (dict "key" "resources" "message" "needs requests.cpu, requests.memory and limits.memory (no unbounded pods), e.g. {requests: {cpu: 500m, memory: 1Gi}, limits: {memory: 2Gi}}" "context" $) -}}
{{- end -}}
{{- if and .Values.networkPolicy.enabled .Values.pod.hostNetwork -}}
{{- include "cronjob-common.lib.fail" (dict "key" "networkPolicy.enabled" "message" "has no effect on pods with pod.hostNetwork true (they use the node's network); disable one of the two" "context" $) -}}
{{- end -}}
{{- range $name, $c := merge (dict) .Values.initContainers .Values.sidecars -}}
{{- if hasKey $.Values.initContainers $name | and (hasKey $.Values.sidecars $name) -}}
{{- include "cronjob-common.lib.fail" (dict "key" (printf "sidecars.%s" $name) "message" "has the same name as an init container; container names must be unique" "context" $) -}}
{{- end -}}
{{- if eq $name "main" -}}
{{- include "cronjob-common.lib.fail" (dict "key" (printf "initContainers/sidecars.%s" $name) "message" "\"main\" is the job's own container; choose another name" "context" $) -}}
{{- end -}}
{{- end -}}
{{- end -}}
