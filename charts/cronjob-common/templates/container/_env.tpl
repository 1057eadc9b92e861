{{/* env list: the Pushgateway and Spark-on-Kubernetes wiring, then extraEnvVars in their order, then the env map sorted by name (a string is a value, an object a valueFrom source). Usage: {{ include "cronjob-common.container.env" . }} */}}
{{- define "cronjob-common.container.env" -}}
{{- $env := list -}}
{{- $pg := .Values.metrics.pushgateway -}}
{{- if $pg.enabled -}}
{{- $env = append $env (dict "name" "PUSHGATEWAY_URL" "value" $pg.url) -}}
{{- $env = append $env (dict "name" "PUSHGATEWAY_JOB" "value" (include "cronjob-common.names.pushgatewayJob" .)) -}}
{{- $env = append $env (dict "name" "PUSHGATEWAY_INSTANCE" "value" ($pg.instance | default .Values.environment)) -}}
{{- $env = append $env (dict "name" "METRICS_ENV" "value" .Values.environment) -}}
{{- end -}}
{{- $env = concat $env (include "cronjob-common.container.sparkKubernetesEnv" . | fromYamlArray) -}}
{{- range .Values.extraEnvVars -}}
{{- $entry := deepCopy . -}}
{{- if hasKey $entry "value" -}}
{{- $_ := set $entry "value" (include "cronjob-common.tplvalues.render" (dict "value" (toString $entry.value) "context" $)) -}}
{{- end -}}
{{- $env = append $env $entry -}}
{{- end -}}
{{- range $name := keys .Values.env | sortAlpha -}}
{{- $value := get $.Values.env $name -}}
{{- if kindIs "map" $value -}}
{{- if hasKey $value "value" -}}
{{- $env = append $env (dict "name" $name "value" (include "cronjob-common.tplvalues.render" (dict "value" (toString $value.value) "context" $))) -}}
{{- else -}}
{{- $env = append $env (dict "name" $name "valueFrom" $value) -}}
{{- end -}}
{{- else -}}
{{- $env = append $env (dict "name" $name "value" (include "cronjob-common.tplvalues.render" (dict "value" (toString $value) "context" $))) -}}
{{- end -}}
{{- end -}}
{{- if $env -}}{{- toYaml $env -}}{{- end -}}
{{- end -}}

{{/* What jobkit needs to run executors as pods (jobkit/spark.py), when spark.kubernetes.enabled: the pod's IP for the driver to bind and advertise, its fixed ports, and the executor pods' namespace, owner, image, CPU request and pod template. Usage: {{ include "cronjob-common.container.sparkKubernetesEnv" . }} */}}
{{- define "cronjob-common.container.sparkKubernetesEnv" -}}
{{- $k8s := .Values.spark.kubernetes -}}
{{- $env := list -}}
{{- if $k8s.enabled -}}
{{- $env = append $env (dict "name" "SPARK_LOCAL_IP" "valueFrom" (dict "fieldRef" (dict "fieldPath" "status.podIP"))) -}}
{{- $env = append $env (dict "name" "SPARK_DRIVER_PORT" "value" (toString ($k8s.driverPort | int64))) -}}
{{- $env = append $env (dict "name" "SPARK_BLOCKMANAGER_PORT" "value" (toString ($k8s.blockManagerPort | int64))) -}}
{{- $env = append $env (dict "name" "SPARK_KUBERNETES_NAMESPACE" "valueFrom" (dict "fieldRef" (dict "fieldPath" "metadata.namespace"))) -}}
{{- $env = append $env (dict "name" "SPARK_KUBERNETES_DRIVER_POD" "valueFrom" (dict "fieldRef" (dict "fieldPath" "metadata.name"))) -}}
{{- $env = append $env (dict "name" "SPARK_KUBERNETES_IMAGE" "value" (include "cronjob-common.container.image" .)) -}}
{{- $env = append $env (dict "name" "SPARK_KUBERNETES_IMAGE_PULL_POLICY" "value" .Values.image.pullPolicy) -}}
{{- with .Values.pod.imagePullSecrets -}}
{{- $env = append $env (dict "name" "SPARK_KUBERNETES_IMAGE_PULL_SECRETS" "value" (join "," .)) -}}
{{- end -}}
{{- $env = append $env (dict "name" "SPARK_KUBERNETES_EXECUTOR_REQUEST_CORES" "value" (toString $k8s.executorRequestCores)) -}}
{{- $env = append $env (dict "name" "SPARK_KUBERNETES_EXECUTOR_POD_TEMPLATE" "value" (printf "%s/pod.yaml" (include "cronjob-common.container.sparkExecutorPodDir" .))) -}}
{{- end -}}
{{- toYaml $env -}}
{{- end -}}

{{/* Where the driver's container mounts the executors' pod template. Usage: {{ include "cronjob-common.container.sparkExecutorPodDir" . }} */}}
{{- define "cronjob-common.container.sparkExecutorPodDir" -}}
/etc/cronjob-common/spark-executor
{{- end -}}
