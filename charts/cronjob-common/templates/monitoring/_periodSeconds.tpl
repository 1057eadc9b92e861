{{/* Longest interval between two runs of cronjob.schedule, in seconds, as an upper bound from its coarsest restricted field (alert windows are multiples of it). Usage: {{ include "cronjob-common.monitoring.periodSeconds" . }} */}}
{{- define "cronjob-common.monitoring.periodSeconds" -}}
{{- $s := .Values.cronjob.schedule | toString | trim -}}
{{- $macros := dict "@yearly" 31622400 "@annually" 31622400 "@monthly" 2678400 "@weekly" 604800 "@daily" 86400 "@midnight" 86400 "@hourly" 3600 -}}
{{- if hasKey $macros $s -}}
{{- get $macros $s -}}
{{- else -}}
{{- $f := regexSplit "\\s+" $s -1 -}}
{{- $minute := index $f 0 -}}{{- $hour := index $f 1 -}}{{- $dom := index $f 2 -}}{{- $month := index $f 3 -}}{{- $dow := index $f 4 -}}
{{- if ne $month "*" -}}31622400
{{- else if ne $dom "*" -}}2678400
{{- else if ne $dow "*" -}}604800
{{- else if regexMatch "^\\*/[0-9]+$" $hour -}}{{- mul 3600 (atoi (trimPrefix "*/" $hour)) -}}
{{- else if ne $hour "*" -}}86400
{{- else if regexMatch "^\\*/[0-9]+$" $minute -}}{{- mul 60 (atoi (trimPrefix "*/" $minute)) -}}
{{- else if ne $minute "*" -}}3600
{{- else -}}60
{{- end -}}
{{- end -}}
{{- end -}}
