"""Monitoring as production runs it, inside the test cluster: prometheus-operator and what it manages."""

#: what a test session that installed the stack marks (harness/sessions.py): the last session out removes it
SESSION_RESOURCE = "monitoring-operator"
#: the same for the log collector (harness/monitoring/logs.py)
LOGS_SESSION_RESOURCE = "log-collector"
