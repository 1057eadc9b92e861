{{/* A ConfigMap the chart owns (configMaps.<key>), e.g. the job's script. Usage: {{ include "cronjob-common.class.configMap" (dict "key" $key "context" $) }} */}}
{{- define "cronjob-common.class.configMap" -}}
{{- $cm := get .context.Values.configMaps .key -}}
apiVersion: v1
kind: ConfigMap
metadata:
  {{- include "cronjob-common.labels.metadata" (dict "name" (include "cronjob-common.names.ownedObject" (dict "key" .key "name" $cm.name "context" .context)) "labels" $cm.labels "annotations" $cm.annotations "context" .context) | nindent 2 }}
{{- with $cm.data }}
data:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $cm.binaryData }}
binaryData:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}
