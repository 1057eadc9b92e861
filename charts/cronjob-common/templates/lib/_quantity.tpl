{{/* A Kubernetes quantity (500m, 2, 1.5Gi, 100M) as a float in base units, for comparing requests with limits. Usage: {{ include "cronjob-common.lib.quantity" "1Gi" | float64 }} */}}
{{- define "cronjob-common.lib.quantity" -}}
{{- $q := toString . -}}
{{- $suffix := regexFind "[A-Za-z]+$" $q -}}
{{- $factors := dict "" 1.0 "m" 0.001 "k" 1e3 "M" 1e6 "G" 1e9 "T" 1e12 "P" 1e15 "E" 1e18 "Ki" 1024.0 "Mi" 1048576.0 "Gi" 1073741824.0 "Ti" 1099511627776.0 "Pi" 1125899906842624.0 "Ei" 1152921504606846976.0 -}}
{{- mulf (trimSuffix $suffix $q | float64) (get $factors $suffix | default 1.0) -}}
{{- end -}}
