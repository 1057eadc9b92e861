{{/* Recursively merge map src into map dst in place; src wins, and unlike sprig's merge a src false/0/"" is kept. Usage: {{ include "cronjob-common.lib.deepMerge" (list $dst $src) }} */}}
{{- define "cronjob-common.lib.deepMerge" -}}
{{- $dst := index . 0 -}}
{{- range $key, $value := index . 1 -}}
{{- if and (kindIs "map" $value) (kindIs "map" (get $dst $key)) -}}
{{- include "cronjob-common.lib.deepMerge" (list (get $dst $key) $value) -}}
{{- else -}}
{{- $_ := set $dst $key $value -}}
{{- end -}}
{{- end -}}
{{- end -}}
