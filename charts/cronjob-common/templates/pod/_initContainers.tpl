{{/* Init containers, then sidecars as native sidecars (restartPolicy Always), except those with enabled: false; image, resources, securityContext and volumeMounts default to the main container's. Usage: {{ include "cronjob-common.pod.initContainers" . }} */}}
{{- define "cronjob-common.pod.initContainers" -}}
{{- $out := list -}}
{{- range $kind, $set := dict "1-init" .Values.initContainers "2-sidecar" .Values.sidecars -}}
{{- range $name := keys $set | sortAlpha -}}
{{- $c := deepCopy (get $set $name) -}}
{{- if ne (toString $c.enabled) "false" -}}
{{- $_ := unset $c "enabled" -}}
{{- $_ := set $c "name" $name -}}
{{- if not $c.image -}}{{- $_ := set $c "image" (include "cronjob-common.container.image" $) -}}{{- end -}}
{{- if not $c.resources -}}{{- $_ := set $c "resources" $.Values.resources -}}{{- end -}}
{{- if not $c.securityContext -}}{{- $_ := set $c "securityContext" $.Values.containerSecurityContext -}}{{- end -}}
{{- if not $c.volumeMounts -}}{{- with include "cronjob-common.container.volumeMounts" $ | fromYamlArray -}}{{- $_ := set $c "volumeMounts" . -}}{{- end -}}{{- end -}}
{{- if eq $kind "2-sidecar" -}}{{- $_ := set $c "restartPolicy" "Always" -}}{{- end -}}
{{- $out = append $out $c -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if $out -}}{{- toYaml $out -}}{{- end -}}
{{- end -}}
