{{/* Merge the library defaults (its values.yaml, seen by the job as .Values.cronjob-common) under the job's values, once; with securityDefaults.pod/container false the job's security context replaces the secure defaults instead of merging over them. Usage: {{ include "cronjob-common.lib.init" . }} */}}
{{- define "cronjob-common.lib.init" -}}
{{- /* Once per chart: the merged values no longer hold the library's key (NOTES.txt and job.yaml both call it). */ -}}
{{- if hasKey .Values "cronjob-common" -}}
{{- $defaults := deepCopy (index .Values "cronjob-common" | default dict) -}}
{{- $user := deepCopy (omit .Values "cronjob-common") -}}
{{- $opted := $user.securityDefaults | default dict -}}
{{- if eq (toString $opted.pod) "false" -}}
{{- $_ := unset $defaults.pod "securityContext" -}}
{{- end -}}
{{- if eq (toString $opted.container) "false" -}}
{{- $_ := unset $defaults "containerSecurityContext" -}}
{{- end -}}
{{- include "cronjob-common.lib.deepMerge" (list $defaults $user) -}}
{{- if not (hasKey $defaults.pod "securityContext") -}}{{- $_ := set $defaults.pod "securityContext" dict -}}{{- end -}}
{{- if not (hasKey $defaults "containerSecurityContext") -}}{{- $_ := set $defaults "containerSecurityContext" dict -}}{{- end -}}
{{- $_ := set . "Values" $defaults -}}
{{- end -}}
{{- end -}}
