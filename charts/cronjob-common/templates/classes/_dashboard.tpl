{{/* Grafana dashboard for this cron job, in a ConfigMap the Grafana sidecar picks up by label. Usage: {{ include "cronjob-common.class.dashboard" . }} */}}
{{- define "cronjob-common.class.dashboard" -}}
{{- $db := .Values.metrics.dashboard -}}
{{- $cj := include "cronjob-common.names.fullname" . -}}
{{- $panels := list -}}
{{- range $i, $p := include "cronjob-common.monitoring.dashboardPanels" . | fromYamlArray -}}
{{- $panels = append $panels (dict
  "id" (add1 $i) "title" $p.title "type" $p.type
  "datasource" (dict "type" "prometheus" "uid" "${datasource}")
  "gridPos" (dict "h" 8 "w" 12 "x" (mul 12 (mod $i 2)) "y" (mul 8 (div $i 2)))
  "fieldConfig" (dict "defaults" (dict "unit" $p.unit) "overrides" list)
  "targets" (list (dict "refId" "A" "expr" $p.expr "legendFormat" "{{job_name}}"))) -}}
{{- end -}}
{{- $dashboard := dict
  "uid" (printf "cronjob-%s" (sha256sum (printf "%s/%s" .Release.Namespace $cj) | trunc 12))
  "title" (printf "Cron job %s/%s" .Release.Namespace $cj)
  "tags" (list "cronjob" .Values.environment)
  "timezone" "utc" "schemaVersion" 39 "refresh" "1m"
  "time" (dict "from" "now-7d" "to" "now")
  "templating" (dict "list" (list (dict "name" "datasource" "type" "datasource" "query" "prometheus")))
  "panels" $panels -}}
apiVersion: v1
kind: ConfigMap
metadata:
  {{- include "cronjob-common.labels.metadata" (dict "name" (printf "%s-dashboard" $cj | trunc 63 | trimSuffix "-") "labels" $db.labels "annotations" (dict "grafana_folder" $db.folder) "context" $) | nindent 2 }}
data:
  {{ $cj }}.json: |-
    {{- toPrettyJson $dashboard | nindent 4 }}
{{- end -}}
