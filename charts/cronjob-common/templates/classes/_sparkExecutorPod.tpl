{{/* The executors' pod template with spark.kubernetes.enabled: a ConfigMap holding the pod Spark starts each executor from, so executor pods get the job's security contexts, placement and log collection label (Spark adds the image, command, resources, pull secrets and its own settings, among them a writable emptyDir at the driver's SPARK_LOCAL_DIRS, /tmp in the spark base image). Usage: {{ include "cronjob-common.class.sparkExecutorPod" . }} */}}
{{- define "cronjob-common.class.sparkExecutorPod" -}}
apiVersion: v1
kind: ConfigMap
metadata:
  {{- include "cronjob-common.labels.metadata" (dict "name" (include "cronjob-common.names.sparkExecutorPod" .) "context" $) | nindent 2 }}
data:
  pod.yaml: |
    {{- include "cronjob-common.class.sparkExecutorPodSpec" . | nindent 4 }}
{{- end -}}

{{/* The executor pod itself (see cronjob-common.class.sparkExecutorPod). Usage: {{ include "cronjob-common.class.sparkExecutorPodSpec" . }} */}}
{{- define "cronjob-common.class.sparkExecutorPodSpec" -}}
{{- $pod := .Values.pod -}}
{{- $labels := $pod.labels | default dict -}}
{{- if (.Values.logs | default dict).collect -}}
{{- $labels = merge (dict "logs.cronharness.io/cronjob" (include "cronjob-common.names.fullname" .)) $labels -}}
{{- end -}}
apiVersion: v1
kind: Pod
{{- with $labels }}
metadata:
  labels:
    {{- include "cronjob-common.tplvalues.render" (dict "value" . "context" $) | nindent 4 }}
{{- end }}
spec:
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
  containers:
    - name: executor
      {{- with .Values.containerSecurityContext }}
      securityContext:
        {{- toYaml . | nindent 8 }}
      {{- end }}
{{- end -}}
