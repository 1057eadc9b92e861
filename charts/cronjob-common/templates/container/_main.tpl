{{/* The job's own container. Usage: {{ include "cronjob-common.container.main" . }} */}}
{{- define "cronjob-common.container.main" -}}
{{- $c := .Values.container -}}
name: {{ $c.name }}
image: {{ include "cronjob-common.container.image" . }}
imagePullPolicy: {{ .Values.image.pullPolicy }}
{{- with .Values.command }}
command:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.args }}
args:
  {{- include "cronjob-common.tplvalues.render" (dict "value" . "context" $) | nindent 2 }}
{{- end }}
{{- with $c.workingDir }}
workingDir: {{ . }}
{{- end }}
{{- with include "cronjob-common.container.env" . }}
env:
  {{- . | nindent 2 }}
{{- end }}
{{- with .Values.envFrom }}
envFrom:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with include "cronjob-common.container.ports" . | trim }}
ports:
  {{- . | nindent 2 }}
{{- end }}
{{- with $c.lifecycle }}
lifecycle:
  {{- toYaml . | nindent 2 }}
{{- end }}
resources:
  {{- toYaml .Values.resources | nindent 2 }}
{{- with .Values.containerSecurityContext }}
securityContext:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- if $c.stdin }}
stdin: true
{{- end }}
{{- if $c.tty }}
tty: true
{{- end }}
{{- with $c.terminationMessagePath }}
terminationMessagePath: {{ . }}
{{- end }}
{{- with $c.terminationMessagePolicy }}
terminationMessagePolicy: {{ . }}
{{- end }}
{{- with include "cronjob-common.container.volumeMounts" . | trim }}
volumeMounts:
  {{- . | nindent 2 }}
{{- end }}
{{- end -}}
