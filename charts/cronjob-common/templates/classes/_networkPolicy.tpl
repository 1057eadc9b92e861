{{/* NetworkPolicy: no ingress; egress only to DNS (optional) and the listed destinations. Usage: {{ include "cronjob-common.class.networkPolicy" . }} */}}
{{- define "cronjob-common.class.networkPolicy" -}}
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  {{- include "cronjob-common.labels.metadata" (dict "context" $) | nindent 2 }}
spec:
  podSelector:
    matchLabels:
      {{- include "cronjob-common.labels.selector" . | nindent 6 }}
  policyTypes: [Ingress, Egress]
  ingress: []
  egress:
    {{- if .Values.networkPolicy.allowDNS }}
    - to:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: kube-system
      ports:
        - {port: 53, protocol: UDP}
        - {port: 53, protocol: TCP}
    {{- end }}
    {{- with .Values.networkPolicy.egress }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
{{- end -}}
