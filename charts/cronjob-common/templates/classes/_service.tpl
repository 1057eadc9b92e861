{{/* A Service the chart owns (services.<key>), e.g. Spark driver ports; selects the job's pods unless it has its own selector. Usage: {{ include "cronjob-common.class.service" (dict "key" $key "context" $) }} */}}
{{- define "cronjob-common.class.service" -}}
{{- $svc := get .context.Values.services .key -}}
{{- $spec := omit $svc "name" "labels" "annotations" -}}
{{- if not $spec.selector -}}{{- $_ := set $spec "selector" (include "cronjob-common.labels.selector" .context | fromYaml) -}}{{- end -}}
apiVersion: v1
kind: Service
metadata:
  {{- include "cronjob-common.labels.metadata" (dict "name" (include "cronjob-common.names.ownedObject" (dict "key" .key "name" $svc.name "context" .context)) "labels" $svc.labels "annotations" $svc.annotations "context" .context) | nindent 2 }}
spec:
  {{- toYaml $spec | nindent 2 }}
{{- end -}}
