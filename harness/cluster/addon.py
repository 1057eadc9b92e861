"""Pieces of the add-ons the harness runs in the clusters it starts (cluster DNS, storage provisioner)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping


def deployment(meta: Mapping[str, object], labels: Mapping[str, str], config: tuple[str, str],
               pod_spec: Mapping[str, object]) -> dict[str, object]:
    """A one-replica Deployment of ``pod_spec`` whose pods roll when ``config`` changes.

    Args:
        meta: the Deployment's metadata (name, namespace, labels).
        labels: the pods' labels (and the selector).
        config: ``(annotation, text)``: what the program reads once at start (a Corefile, a ConfigMap's data
            as text); its digest goes into the pod template under the annotation, so applying a changed
            one replaces the pod.
        pod_spec: the pods' spec.
    """
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": dict(meta),
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": dict(labels)},
            "template": {
                "metadata": {"labels": dict(labels), "annotations": {
                    config[0]: hashlib.sha256(config[1].encode()).hexdigest(),
                }},
                "spec": dict(pod_spec),
            },
        },
    }
