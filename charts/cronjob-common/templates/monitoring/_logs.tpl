{{/* The `logs` annotation of an alert: commands that show the logs of the alert's run (run: true, the alert has a job_name label) or of the CronJob's recent runs. `harness logs` reads the logs kept after the pods are gone (docs/runbooks.md). Usage: {{ include "cronjob-common.monitoring.logs" (dict "run" true "context" $) }} */}}
{{- define "cronjob-common.monitoring.logs" -}}
{{- $ctx := .context -}}
{{- $ns := $ctx.Release.Namespace -}}
{{- $cj := include "cronjob-common.names.fullname" $ctx -}}
{{- if .run -}}
kubectl -n {{ $ns }} logs job/{{`{{ $labels.job_name }}`}} --all-containers --timestamps; once its pods are gone: harness logs {{ $cj }} --run {{`{{ $labels.job_name }}`}}
{{- else -}}
{{- $selector := include "cronjob-common.labels.selector" $ctx | fromYaml -}}
{{- $pairs := list -}}
{{- range $key := keys $selector | sortAlpha -}}{{- $pairs = append $pairs (printf "%s=%s" $key (get $selector $key)) -}}{{- end -}}
kubectl -n {{ $ns }} logs -l {{ join "," $pairs }} --all-containers --prefix --timestamps; once the pods are gone: harness logs {{ $cj }}
{{- end -}}
{{- end -}}
