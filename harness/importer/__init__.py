"""`harness import`: turn an existing CronJob manifest (or a crontab line and its script) into a job chart.

The import keeps behaviour: every field the library can express is carried over with the source's value
(library defaults that differ from Kubernetes' are set explicitly to Kubernetes' values); what it cannot
carry is listed in the chart README, never dropped silently (`notes.Note`).
"""
