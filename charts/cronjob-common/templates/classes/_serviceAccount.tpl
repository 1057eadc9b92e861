{{/* The job's ServiceAccount (no token automount unless asked). Usage: {{ include "cronjob-common.class.serviceAccount" . }} */}}
{{- define "cronjob-common.class.serviceAccount" -}}
apiVersion: v1
kind: ServiceAccount
metadata:
  {{- include "cronjob-common.labels.metadata" (dict "name" (include "cronjob-common.names.serviceAccountName" .) "annotations" .Values.serviceAccount.annotations "context" $) | nindent 2 }}
automountServiceAccountToken: {{ .Values.serviceAccount.automountServiceAccountToken }}
{{- end -}}
