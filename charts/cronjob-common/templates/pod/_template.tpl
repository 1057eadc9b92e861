{{/* Pod template (metadata + spec) of the Job. Usage: {{ include "cronjob-common.pod.template" . }} */}}
{{- define "cronjob-common.pod.template" -}}
{{- $pod := .Values.pod -}}
{{- $labels := $pod.labels | default dict -}}
{{- if (.Values.logs | default dict).collect -}}
{{- /* The log collector keeps the lines of pods carrying this label, under the CronJob's name (docs/logs.md). */ -}}
{{- $labels = merge (dict "logs.cronharness.io/cronjob" (include "cronjob-common.names.fullname" .)) $labels -}}
{{- end -}}
metadata:
  labels:
    {{- include "cronjob-common.labels.standard" (dict "extra" $labels "context" $) | nindent 4 }}
  annotations:
    kubectl.kubernetes.io/default-container: {{ .Values.container.name }}
    {{- with include "cronjob-common.labels.annotations" (dict "extra" $pod.annotations "context" $) }}
    {{- . | nindent 4 }}
    {{- end }}
spec:
  restartPolicy: {{ $pod.restartPolicy }}
  terminationGracePeriodSeconds: {{ $pod.terminationGracePeriodSeconds | int64 }}
  serviceAccountName: {{ include "cronjob-common.names.serviceAccountName" . }}
  {{- /* A Spark driver on Kubernetes talks to the API server to start its executors. */}}
  automountServiceAccountToken: {{ or .Values.serviceAccount.automountServiceAccountToken .Values.spark.kubernetes.enabled }}
  {{- if $pod.hostNetwork }}
  hostNetwork: true
  {{- end }}
  {{- with $pod.hostname }}
  hostname: {{ . }}
  {{- end }}
  {{- with $pod.subdomain }}
  subdomain: {{ . }}
  {{- end }}
  dnsPolicy: {{ $pod.dnsPolicy | default ($pod.hostNetwork | ternary "ClusterFirstWithHostNet" "ClusterFirst") }}
  {{- with $pod.securityContext }}
  securityContext:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $pod.priorityClassName }}
  priorityClassName: {{ . }}
  {{- end }}
  {{- with $pod.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $pod.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $pod.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $pod.imagePullSecrets }}
  imagePullSecrets:
    {{- range . }}
    - name: {{ . }}
    {{- end }}
  {{- end }}
  {{- with include "cronjob-common.pod.initContainers" . }}
  initContainers:
    {{- . | nindent 4 }}
  {{- end }}
  containers:
    {{- list (include "cronjob-common.container.main" . | fromYaml) | toYaml | nindent 4 }}
  {{- with include "cronjob-common.pod.volumes" . | trim }}
  volumes:
    {{- . | nindent 4 }}
  {{- end }}
{{- end -}}
