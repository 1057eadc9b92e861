{{/* image: a repository, and a tag (or the chart appVersion) or a sha256 digest; `latest` or no tag only with image.allowLatest. Usage: {{ include "cronjob-common.validate.image" . }} */}}
{{- define "cronjob-common.validate.image" -}}
{{- $img := .Values.image -}}
{{- if not $img.repository -}}
{{- include "cronjob-common.lib.fail" (dict "key" "image.repository" "message" "is required (e.g. cmsmonitoring/rucio-daily)" "context" $) -}}
{{- end -}}
{{- if and $img.digest (not (regexMatch "^sha256:[a-f0-9]{64}$" $img.digest)) -}}
{{- include "cronjob-common.lib.fail" (dict "key" "image.digest" "message" (printf "%q is not a digest; use sha256: followed by 64 hex characters" $img.digest) "context" $) -}}
{{- end -}}
{{- if not (or $img.tag $img.digest .Chart.AppVersion $img.allowLatest) -}}
{{- include "cronjob-common.lib.fail" (dict "key" "image.tag" "message" "is empty and the chart has no appVersion; set image.tag or image.digest (never rely on latest; image.allowLatest true accepts an untagged image)" "context" $) -}}
{{- end -}}
{{- if and (eq (toString $img.tag) "latest") (not $img.allowLatest) -}}
{{- include "cronjob-common.lib.fail" (dict "key" "image.tag" "message" "\"latest\" is not allowed: runs must be reproducible; pin a version tag or a digest (image.allowLatest true accepts it, with a warning)" "context" $) -}}
{{- end -}}
{{- end -}}
