{{/* Pod and Job settings that depend on each other, and pod-level names Kubernetes checks. Usage: {{ include "cronjob-common.validate.pod" . }} */}}
{{- define "cronjob-common.validate.pod" -}}
{{- range $key, $value := dict "container.name" .Values.container.name "pod.hostname" .Values.pod.hostname "pod.subdomain" .Values.pod.subdomain -}}
{{- if and (or $value (eq $key "container.name")) (or (gt (len $value) 63) (not (regexMatch "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$" $value))) -}}
{{- include "cronjob-common.lib.fail" (dict "key" $key "message" (printf "%q is not a DNS label; use at most 63 lower-case letters, digits and -, starting and ending with a letter or digit" $value) "context" $) -}}
{{- end -}}
{{- end -}}
{{- range $hook, $handler := .Values.container.lifecycle -}}
{{- if ne (len (pick $handler "exec" "httpGet" "tcpSocket" "sleep")) 1 -}}
{{- include "cronjob-common.lib.fail" (dict "key" (printf "container.lifecycle.%s" $hook) "message" "needs exactly one handler: exec, httpGet, tcpSocket or sleep" "context" $) -}}
{{- end -}}
{{- end -}}
{{- if and .Values.job.podFailurePolicy (ne .Values.pod.restartPolicy "Never") -}}
{{- include "cronjob-common.lib.fail" (dict "key" "job.podFailurePolicy" "message" (printf "needs pod.restartPolicy Never (it is %s); Kubernetes rejects it otherwise" .Values.pod.restartPolicy) "context" $) -}}
{{- end -}}
{{- if gt (int .Values.job.parallelism) (int .Values.job.completions) -}}
{{- include "cronjob-common.lib.fail" (dict "key" "job.parallelism" "message" (printf "%v is more than job.completions %v; the extra pods would never be needed" .Values.job.parallelism .Values.job.completions) "context" $) -}}
{{- end -}}
{{- if and .Values.networkPolicy.enabled .Values.pod.hostNetwork -}}
{{- include "cronjob-common.lib.fail" (dict "key" "networkPolicy.enabled" "message" "has no effect on pods with pod.hostNetwork true (they use the node's network); disable one of the two" "context" $) -}}
{{- end -}}
{{- range $name, $c := merge (dict) .Values.initContainers .Values.sidecars -}}
{{- if hasKey $.Values.initContainers $name | and (hasKey $.Values.sidecars $name) -}}
{{- include "cronjob-common.lib.fail" (dict "key" (printf "sidecars.%s" $name) "message" "has the same name as an init container; container names must be unique" "context" $) -}}
{{- end -}}
{{- if eq $name $.Values.container.name -}}
{{- include "cronjob-common.lib.fail" (dict "key" (printf "initContainers/sidecars.%s" $name) "message" (printf "%q is the job's own container (container.name); choose another name" $name) "context" $) -}}
{{- end -}}
{{- end -}}
{{- end -}}
