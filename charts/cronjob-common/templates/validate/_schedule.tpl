{{/* cronjob.schedule: a macro, or 5 fields whose values lie in each field's range. Usage: {{ include "cronjob-common.validate.schedule" . }} */}}
{{- define "cronjob-common.validate.schedule" -}}
{{- $schedule := .Values.cronjob.schedule | toString | trim -}}
{{- $macros := list "@yearly" "@annually" "@monthly" "@weekly" "@daily" "@midnight" "@hourly" -}}
{{- $help := "use 5 fields (minute 0-59, hour 0-23, day-of-month 1-31, month 1-12 or JAN-DEC, day-of-week 0-7 or SUN-SAT; each *, a value, a range a-b, a step */n or a-b/n, or a comma list) or one of @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly" -}}
{{- if not (has $schedule $macros) -}}
{{- $fields := regexSplit "\\s+" $schedule -1 -}}
{{- if ne (len $fields) 5 -}}
{{- include "cronjob-common.lib.fail" (dict "key" "cronjob.schedule" "message" (printf "%q has %d fields; %s" $schedule (len $fields) $help) "context" $) -}}
{{- end -}}
{{- $names := list "minute" "hour" "day-of-month" "month" "day-of-week" -}}
{{- $bounds := list (list 0 59) (list 0 23) (list 1 31) (list 1 12) (list 0 7) -}}
{{- range $i, $field := $fields -}}
{{- $lo := index (index $bounds $i) 0 -}}{{- $hi := index (index $bounds $i) 1 -}}
{{- $atom := "(\\*|[0-9]+(-[0-9]+)?)(/[0-9]+)?" -}}
{{- if eq $i 3 -}}{{- $atom = "(\\*|([0-9]+|JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)(-([0-9]+|JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC))?)(/[0-9]+)?" -}}{{- end -}}
{{- if eq $i 4 -}}{{- $atom = "(\\*|([0-9]+|SUN|MON|TUE|WED|THU|FRI|SAT)(-([0-9]+|SUN|MON|TUE|WED|THU|FRI|SAT))?)(/[0-9]+)?" -}}{{- end -}}
{{- if not (regexMatch (printf "^%s(,%s)*$" $atom $atom) (upper $field)) -}}
{{- include "cronjob-common.lib.fail" (dict "key" "cronjob.schedule" "message" (printf "%q: %s field %q is not valid; %s" $schedule (index $names $i) $field $help) "context" $) -}}
{{- end -}}
{{- range $n := regexFindAll "[0-9]+" (regexReplaceAll "/[0-9]+" $field "") -1 -}}
{{- if or (lt (atoi $n) $lo) (gt (atoi $n) $hi) -}}
{{- include "cronjob-common.lib.fail" (dict "key" "cronjob.schedule" "message" (printf "%q: %s value %s is outside %d-%d; %s" $schedule (index $names $i) $n $lo $hi $help) "context" $) -}}
{{- end -}}
{{- end -}}
{{- range $step := regexFindAll "/[0-9]+" $field -1 -}}
{{- if eq (atoi (trimPrefix "/" $step)) 0 -}}
{{- include "cronjob-common.lib.fail" (dict "key" "cronjob.schedule" "message" (printf "%q: %s step %s must be at least 1" $schedule (index $names $i) $step) "context" $) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
