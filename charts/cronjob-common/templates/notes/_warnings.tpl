{{/* One line per opt-out from a safe default the values make, for NOTES.txt; "no warnings" when there is none. Usage: {{ include "cronjob-common.notes.warnings" . }} */}}
{{- define "cronjob-common.notes.warnings" -}}
{{- $warnings := list -}}
{{- $img := .Values.image -}}
{{- if and $img.allowLatest (not $img.digest) (or (not $img.tag) (eq (toString $img.tag) "latest")) -}}
{{- $warnings = append $warnings (printf "image %s: mutable tag (latest or none); a re-pushed image changes what runs. Pin image.tag or image.digest." (include "cronjob-common.container.image" .)) -}}
{{- end -}}
{{- if eq (toString .Values.securityDefaults.pod) "false" -}}
{{- $warnings = append $warnings (printf "securityDefaults.pod is false: pod securityContext is %s, without the secure defaults." (.Values.pod.securityContext | toJson)) -}}
{{- end -}}
{{- if eq (toString .Values.securityDefaults.container) "false" -}}
{{- $warnings = append $warnings (printf "securityDefaults.container is false: container securityContext is %s, without the secure defaults." (.Values.containerSecurityContext | toJson)) -}}
{{- end -}}
{{- range $name := keys .Values.persistence | sortAlpha -}}
{{- $v := get $.Values.persistence $name -}}
{{- if and (eq (toString $v.type) "hostPath") (hasKey $v "hostPathType") (eq (toString $v.hostPathType) "") -}}
{{- $warnings = append $warnings (printf "persistence.%s: hostPathType \"\" mounts %s without checking what is there (no type check, as Kubernetes defaults)." $name $v.path) -}}
{{- end -}}
{{- end -}}
{{- if $warnings -}}
WARNING ({{ len $warnings }}):
{{- range $warnings }}
- {{ . }}
{{- end }}
{{- else -}}
no warnings
{{- end }}
{{- end -}}
