{{/* configMaps and services: valid, distinct object names, ConfigMap data keys, Service ports. Usage: {{ include "cronjob-common.validate.ownedObjects" . }} */}}
{{- define "cronjob-common.validate.ownedObjects" -}}
{{- range $section := list "configMaps" "services" -}}
{{- $names := dict -}}
{{- range $key, $obj := get $.Values $section -}}
{{- $name := include "cronjob-common.names.ownedObject" (dict "key" $key "name" $obj.name "context" $) -}}
{{- if or (gt (len $name) 63) (not (regexMatch "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$" $name)) -}}
{{- include "cronjob-common.lib.fail" (dict "key" (printf "%s.%s.name" $section $key) "message" (printf "%q is not a valid object name; use at most 63 lower-case letters, digits and -" $name) "context" $) -}}
{{- end -}}
{{- if hasKey $names $name -}}
{{- include "cronjob-common.lib.fail" (dict "key" (printf "%s.%s.name" $section $key) "message" (printf "%q is also the name of %s.%s; names must be unique" $name $section (get $names $name)) "context" $) -}}
{{- end -}}
{{- $_ := set $names $name $key -}}
{{- end -}}
{{- end -}}
{{- range $key, $cm := .Values.configMaps -}}
{{- range $file, $_ := merge dict ($cm.data | default dict) ($cm.binaryData | default dict) -}}
{{- if or (gt (len $file) 253) (not (regexMatch "^[-._a-zA-Z0-9]+$" $file)) -}}
{{- include "cronjob-common.lib.fail" (dict "key" (printf "configMaps.%s.data.%s" $key $file) "message" "is not a valid ConfigMap key; use letters, digits, -, _ and ." "context" $) -}}
{{- end -}}
{{- if and (hasKey ($cm.data | default dict) $file) (hasKey ($cm.binaryData | default dict) $file) -}}
{{- include "cronjob-common.lib.fail" (dict "key" (printf "configMaps.%s.binaryData.%s" $key $file) "message" "is also a key of data; a key may be in one of the two" "context" $) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- range $key, $svc := .Values.services -}}
{{- if not $svc.ports -}}
{{- include "cronjob-common.lib.fail" (dict "key" (printf "services.%s.ports" $key) "message" "is required: list the ports, e.g. [{name: driver, port: 31207, targetPort: 31207}]" "context" $) -}}
{{- end -}}
{{- range $i, $p := $svc.ports -}}
{{- if and $p.nodePort (not (has (toString ($svc.type | default "ClusterIP")) (list "NodePort" "LoadBalancer"))) -}}
{{- include "cronjob-common.lib.fail" (dict "key" (printf "services.%s.ports[%d].nodePort" $key $i) "message" (printf "needs type NodePort or LoadBalancer (type is %s)" ($svc.type | default "ClusterIP")) "context" $) -}}
{{- end -}}
{{- if and (gt (len $svc.ports) 1) (not $p.name) -}}
{{- include "cronjob-common.lib.fail" (dict "key" (printf "services.%s.ports[%d].name" $key $i) "message" "is required when a Service has several ports" "context" $) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
