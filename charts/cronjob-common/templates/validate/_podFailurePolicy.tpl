{{/* job.podFailurePolicy: the rule shapes and enums the API server enforces. Usage: {{ include "cronjob-common.validate.podFailurePolicy" . }} */}}
{{- define "cronjob-common.validate.podFailurePolicy" -}}
{{- with .Values.job.podFailurePolicy -}}
{{- if gt (len .rules) 20 -}}
{{- include "cronjob-common.lib.fail" (dict "key" "job.podFailurePolicy.rules" "message" (printf "has %d rules; Kubernetes allows at most 20" (len .rules)) "context" $) -}}
{{- end -}}
{{- range $i, $rule := .rules -}}
{{- $key := printf "job.podFailurePolicy.rules[%d]" $i -}}
{{- if not (has (toString $rule.action) (list "FailJob" "Ignore" "Count")) -}}
{{- include "cronjob-common.lib.fail" (dict "key" (printf "%s.action" $key) "message" (printf "%q is not allowed; use FailJob, Ignore or Count (FailIndex needs backoffLimitPerIndex, which this chart does not set)" (toString $rule.action)) "context" $) -}}
{{- end -}}
{{- if ne (len (pick $rule "onExitCodes" "onPodConditions")) 1 -}}
{{- include "cronjob-common.lib.fail" (dict "key" $key "message" "needs exactly one of onExitCodes and onPodConditions" "context" $) -}}
{{- end -}}
{{- with $rule.onExitCodes -}}
{{- if not (has (toString .operator) (list "In" "NotIn")) -}}
{{- include "cronjob-common.lib.fail" (dict "key" (printf "%s.onExitCodes.operator" $key) "message" (printf "%q is not allowed; use In or NotIn" (toString .operator)) "context" $) -}}
{{- end -}}
{{- if or (not .values) (gt (len .values) 255) (ne (len .values) (len (uniq .values))) -}}
{{- include "cronjob-common.lib.fail" (dict "key" (printf "%s.onExitCodes.values" $key) "message" "needs 1 to 255 distinct exit codes" "context" $) -}}
{{- end -}}
{{- if and (eq (toString .operator) "In") (has "0" (.values | default list | toStrings)) -}}
{{- include "cronjob-common.lib.fail" (dict "key" (printf "%s.onExitCodes.values" $key) "message" "must not contain 0 with operator In (0 is success); remove it" "context" $) -}}
{{- end -}}
{{- if and .containerName (ne .containerName $.Values.container.name) (not (hasKey $.Values.initContainers .containerName)) -}}
{{- include "cronjob-common.lib.fail" (dict "key" (printf "%s.onExitCodes.containerName" $key) "message" (printf "%q is not a container of the pod; use %q (container.name) or an init container's name" .containerName $.Values.container.name) "context" $) -}}
{{- end -}}
{{- end -}}
{{- range $j, $cond := $rule.onPodConditions | default list -}}
{{- if not $cond.type -}}
{{- include "cronjob-common.lib.fail" (dict "key" (printf "%s.onPodConditions[%d].type" $key $j) "message" "is required, e.g. DisruptionTarget" "context" $) -}}
{{- end -}}
{{- if and (hasKey $cond "status") (not (has (toString $cond.status) (list "True" "False" "Unknown"))) -}}
{{- include "cronjob-common.lib.fail" (dict "key" (printf "%s.onPodConditions[%d].status" $key $j) "message" (printf "%q is not allowed; use True, False or Unknown" (toString $cond.status)) "context" $) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
