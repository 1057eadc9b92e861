"""Kubernetes' own defaults of the fields the library always renders: the import sets them explicitly where
the source leaves them out, and the comparison counts such an added field as a default made explicit."""

from __future__ import annotations

from typing import Any

KUBERNETES_DEFAULTS: dict[str, Any] = {
    "concurrencyPolicy": "Allow", "suspend": False, "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 1,
    "backoffLimit": 6, "parallelism": 1, "completions": 1, "terminationGracePeriodSeconds": 30,
    "dnsPolicy": "ClusterFirst", "protocol": "TCP", "serviceAccountName": "default",
    "automountServiceAccountToken": True, "defaultMode": 0o644, "type": "",
}
# imagePullPolicy's default depends on the tag (Always for latest or none, else IfNotPresent).
DERIVED_DEFAULTS = ("imagePullPolicy",)
