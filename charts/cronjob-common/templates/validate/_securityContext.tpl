{{/* Security contexts: the combinations the API server rejects (privileged or CAP_SYS_ADMIN without privilege escalation, a Localhost seccomp profile without its file) or the kubelet refuses to start (runAsNonRoot with uid 0), for the main container, init containers and sidecars. Usage: {{ include "cronjob-common.validate.securityContext" . }} */}}
{{- define "cronjob-common.validate.securityContext" -}}
{{- $pod := .Values.pod.securityContext | default dict -}}
{{- $containers := dict "containerSecurityContext" .Values.containerSecurityContext -}}
{{- range $section := list "initContainers" "sidecars" -}}
{{- range $name, $c := get $.Values $section -}}
{{- $_ := set $containers (printf "%s.%s.securityContext" $section $name) ($c.securityContext | default $.Values.containerSecurityContext) -}}
{{- end -}}
{{- end -}}
{{- $seccomp := dict "pod.securityContext" $pod -}}
{{- range $key, $ctx := $containers -}}
{{- $ctx = $ctx | default dict -}}
{{- $_ := set $seccomp $key $ctx -}}
{{- $noEscalation := eq (toString $ctx.allowPrivilegeEscalation) "false" -}}
{{- if and $noEscalation $ctx.privileged -}}
{{- include "cronjob-common.lib.fail" (dict "key" (printf "%s.allowPrivilegeEscalation" $key) "message" "is false while privileged is true; Kubernetes rejects the pair: drop privileged, or set allowPrivilegeEscalation true" "context" $) -}}
{{- end -}}
{{- $added := dig "capabilities" "add" list $ctx -}}
{{- if and $noEscalation (or (has "SYS_ADMIN" $added) (has "CAP_SYS_ADMIN" $added)) -}}
{{- include "cronjob-common.lib.fail" (dict "key" (printf "%s.allowPrivilegeEscalation" $key) "message" "is false while capabilities.add has SYS_ADMIN; Kubernetes rejects the pair: drop SYS_ADMIN, or set allowPrivilegeEscalation true" "context" $) -}}
{{- end -}}
{{- $nonRoot := hasKey $ctx "runAsNonRoot" | ternary $ctx.runAsNonRoot $pod.runAsNonRoot -}}
{{- $uid := hasKey $ctx "runAsUser" | ternary $ctx.runAsUser $pod.runAsUser -}}
{{- if and $nonRoot (not (kindIs "invalid" $uid)) (eq (int64 $uid) 0) -}}
{{- include "cronjob-common.lib.fail" (dict "key" (printf "%s.runAsUser" (hasKey $ctx "runAsUser" | ternary $key "pod.securityContext")) "message" "is 0 (root) while runAsNonRoot is true; the kubelet refuses to start the container: use a non-zero uid, or set runAsNonRoot false (securityDefaults explains the opt-out)" "context" $) -}}
{{- end -}}
{{- end -}}
{{- range $key, $ctx := $seccomp -}}
{{- with $ctx.seccompProfile -}}
{{- if and (eq (toString .type) "Localhost") (not .localhostProfile) -}}
{{- include "cronjob-common.lib.fail" (dict "key" (printf "%s.seccompProfile.localhostProfile" $key) "message" "is required with type Localhost (the profile file under the kubelet's seccomp directory)" "context" $) -}}
{{- end -}}
{{- if and .localhostProfile (ne (toString .type) "Localhost") -}}
{{- include "cronjob-common.lib.fail" (dict "key" (printf "%s.seccompProfile.localhostProfile" $key) "message" (printf "is only allowed with type Localhost (type is %q)" (toString .type)) "context" $) -}}
{{- end -}}
{{- if not (has (toString .type) (list "RuntimeDefault" "Unconfined" "Localhost")) -}}
{{- include "cronjob-common.lib.fail" (dict "key" (printf "%s.seccompProfile.type" $key) "message" (printf "%q is not allowed; use RuntimeDefault, Unconfined or Localhost" (toString .type)) "context" $) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
