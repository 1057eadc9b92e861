{{/* persistence: each enabled volume has what its type needs and, when mounted, a unique absolute mountPath. Usage: {{ include "cronjob-common.validate.persistence" . }} */}}
{{- define "cronjob-common.validate.persistence" -}}
{{- $needs := dict "secret" "secretName" "configMap" "configMapName" "pvc" "claimName" "hostPath" "path" "emptyDir" "" -}}
{{- $mounts := dict -}}
{{- if .Values.tmpVolume.enabled -}}{{- $_ := set $mounts "/tmp" "tmpVolume" -}}{{- end -}}
{{- range $name, $v := .Values.persistence -}}
{{- if ne (toString $v.enabled) "false" -}}
{{- $key := printf "persistence.%s" $name -}}
{{- if eq $name "tmp" -}}
{{- include "cronjob-common.lib.fail" (dict "key" $key "message" "the name \"tmp\" is reserved for the /tmp volume (configure it with tmpVolume)" "context" $) -}}
{{- end -}}
{{- if not (hasKey $needs (toString $v.type)) -}}
{{- include "cronjob-common.lib.fail" (dict "key" (printf "%s.type" $key) "message" (printf "%q is not a volume type; allowed: secret, configMap, emptyDir, pvc, hostPath" (toString $v.type)) "context" $) -}}
{{- end -}}
{{- $field := get $needs $v.type -}}
{{- if and $field (not (get $v $field)) -}}
{{- include "cronjob-common.lib.fail" (dict "key" (printf "%s.%s" $key $field) "message" (printf "is required for type %s" $v.type) "context" $) -}}
{{- end -}}
{{- if and $v.mountPropagation (ne $v.type "hostPath") -}}
{{- include "cronjob-common.lib.fail" (dict "key" (printf "%s.mountPropagation" $key) "message" (printf "only applies to hostPath volumes (this one is %s)" $v.type) "context" $) -}}
{{- end -}}
{{- if and (not $v.mountPath) (or $v.subPath $v.mountPropagation (hasKey $v "readOnly")) -}}
{{- include "cronjob-common.lib.fail" (dict "key" (printf "%s.mountPath" $key) "message" "is empty (volume declared, not mounted) but subPath, mountPropagation or readOnly is set; give a mountPath or drop them" "context" $) -}}
{{- end -}}
{{- if and $v.mountPath (hasKey $mounts $v.mountPath) -}}
{{- include "cronjob-common.lib.fail" (dict "key" (printf "%s.mountPath" $key) "message" (printf "%s is also mounted by %s; mount paths must be unique" $v.mountPath (get $mounts $v.mountPath)) "context" $) -}}
{{- end -}}
{{- with $v.mountPath -}}{{- $_ := set $mounts . $key -}}{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
