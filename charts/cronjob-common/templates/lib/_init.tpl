{{/* Merge the library defaults (its values.yaml, seen by the job as .Values.cronjob-common) under the job's values. Usage: {{ include "cronjob-common.lib.init" . }} */}}
{{- define "cronjob-common.lib.init" -}}
{{- $defaults := deepCopy (index .Values "cronjob-common" | default dict) -}}
{{- $user := deepCopy (omit .Values "cronjob-common") -}}
{{- include "cronjob-common.lib.deepMerge" (list $defaults $user) -}}
{{- $_ := set . "Values" $defaults -}}
{{- end -}}
