{{/* Image reference registry/repository:tag@digest, with global.imageRegistry taking precedence; with image.allowLatest an empty tag means no tag at all. Usage: {{ include "cronjob-common.container.image" . }} */}}
{{- define "cronjob-common.container.image" -}}
{{- $img := .Values.image -}}
{{- $registry := .Values.global.imageRegistry | default $img.registry -}}
{{- $ref := $img.repository -}}
{{- with $registry -}}{{- $ref = printf "%s/%s" . $ref -}}{{- end -}}
{{- if $img.digest -}}
{{- with $img.tag -}}{{- $ref = printf "%s:%s" $ref (toString .) -}}{{- end -}}
{{- printf "%s@%s" $ref $img.digest -}}
{{- else if and $img.allowLatest (not $img.tag) -}}
{{- $ref -}}
{{- else -}}
{{- printf "%s:%s" $ref (toString ($img.tag | default .Chart.AppVersion)) -}}
{{- end -}}
{{- end -}}
