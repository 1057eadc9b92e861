{{/* Environment: valid names, each given once across the Pushgateway and Spark wiring, extraEnvVars and env (Kubernetes keeps the last silently); SPARK_MASTER agrees with spark.kubernetes. Usage: {{ include "cronjob-common.validate.env" . }} */}}
{{- define "cronjob-common.validate.env" -}}
{{- $seen := dict -}}
{{- $hints := dict -}}
{{- if .Values.metrics.pushgateway.enabled -}}
{{- range list "PUSHGATEWAY_URL" "PUSHGATEWAY_JOB" "PUSHGATEWAY_INSTANCE" "METRICS_ENV" -}}
{{- $_ := set $seen . "metrics.pushgateway.enabled (the wiring sets it)" -}}
{{- $_ := set $hints . "to keep your own PUSHGATEWAY_URL, set metrics.pushgateway.enabled false, or set metrics.pushgateway.url instead" -}}
{{- end -}}
{{- end -}}
{{- range include "cronjob-common.container.sparkKubernetesEnv" . | fromYamlArray -}}
{{- $_ := set $seen .name "spark.kubernetes.enabled (the pod's IP, the driver ports and the executor settings)" -}}
{{- $_ := set $hints .name "remove it from the values layered here: the Kubernetes executors need these exact values; set the ports with spark.kubernetes.driverPort and blockManagerPort" -}}
{{- end -}}
{{- $given := list -}}
{{- range $i, $e := .Values.extraEnvVars -}}{{- $given = append $given (list (toString $e.name) (printf "extraEnvVars[%d]" $i)) -}}{{- end -}}
{{- range $name := keys .Values.env | sortAlpha -}}{{- $given = append $given (list $name (printf "env.%s" $name)) -}}{{- end -}}
{{- range $given -}}
{{- $name := index . 0 -}}{{- $key := index . 1 -}}
{{- if not (regexMatch "^[A-Za-z_][A-Za-z0-9_]*$" $name) -}}
{{- include "cronjob-common.lib.fail" (dict "key" $key "message" (printf "%q is not a valid environment variable name; use letters, digits and _, not starting with a digit" $name) "context" $) -}}
{{- end -}}
{{- if hasKey $seen $name -}}
{{- include "cronjob-common.lib.fail" (dict "key" $key "message" (printf "sets %s, which %s also sets; give each variable once%s" $name (get $seen $name) (ternary (printf " (%s)" (get $hints $name)) "" (hasKey $hints $name))) "context" $) -}}
{{- end -}}
{{- $_ := set $seen $name $key -}}
{{- end -}}
{{- $master := toString (get .Values.env "SPARK_MASTER" | default "") -}}
{{- if and .Values.spark.kubernetes.enabled (not (hasPrefix "k8s://" $master)) -}}
{{- include "cronjob-common.lib.fail" (dict "key" "env.SPARK_MASTER" "message" (printf "is %q while spark.kubernetes.enabled is true; set it to k8s://https://<API server>, e.g. k8s://https://kubernetes.default.svc from inside the cluster" $master) "context" $) -}}
{{- end -}}
{{- if and (hasPrefix "k8s://" $master) (not .Values.spark.kubernetes.enabled) -}}
{{- include "cronjob-common.lib.fail" (dict "key" "env.SPARK_MASTER" "message" (printf "is %q but spark.kubernetes.enabled is false; set it true: the driver needs the Role, the token and the settings it renders to start executor pods" $master) "context" $) -}}
{{- end -}}
{{- end -}}
