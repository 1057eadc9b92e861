{{/* Labels and annotation keys of every object: the syntax the API server enforces (key: optional DNS-subdomain prefix and a 63-character name; label value: at most 63 characters), checked after templating. Usage: {{ include "cronjob-common.validate.labels" . }} */}}
{{- define "cronjob-common.validate.labels" -}}
{{- $name := "^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$" -}}
{{- $prefix := "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$" -}}
{{- $sets := dict "global.labels" .Values.global.labels "commonLabels" .Values.commonLabels "cronjob.labels" .Values.cronjob.labels "job.labels" .Values.job.labels "pod.labels" .Values.pod.labels "commonAnnotations" .Values.commonAnnotations "cronjob.annotations" .Values.cronjob.annotations "job.annotations" .Values.job.annotations "pod.annotations" .Values.pod.annotations "serviceAccount.annotations" .Values.serviceAccount.annotations -}}
{{- range $section := list "configMaps" "services" -}}
{{- range $key, $obj := get $.Values $section -}}
{{- $_ := set $sets (printf "%s.%s.labels" $section $key) $obj.labels -}}
{{- $_ := set $sets (printf "%s.%s.annotations" $section $key) $obj.annotations -}}
{{- end -}}
{{- end -}}
{{- range $set, $map := $sets -}}
{{- range $key, $value := include "cronjob-common.tplvalues.render" (dict "value" ($map | default dict) "context" $) | fromYaml -}}
{{- $parts := splitn "/" 2 $key -}}
{{- $local := ternary $parts._1 $parts._0 (contains "/" $key) -}}
{{- if or (gt (len $local) 63) (not (regexMatch $name $local)) (and (contains "/" $key) (or (gt (len $parts._0) 253) (not (regexMatch $prefix $parts._0)))) -}}
{{- include "cronjob-common.lib.fail" (dict "key" (printf "%s.%s" $set $key) "message" "is not a valid key; use an optional DNS-subdomain prefix and /, then at most 63 letters, digits, -, _ and ., starting and ending with a letter or digit" "context" $) -}}
{{- end -}}
{{- if and (hasSuffix "labels" (lower $set)) (or (gt (len (toString $value)) 63) (not (regexMatch (printf "(%s)|^$" $name) (toString $value)))) -}}
{{- include "cronjob-common.lib.fail" (dict "key" (printf "%s.%s" $set $key) "message" (printf "%q is not a valid label value; use at most 63 letters, digits, -, _ and ., starting and ending with a letter or digit (or empty)" (toString $value)) "context" $) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
