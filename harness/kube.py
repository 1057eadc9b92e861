"""Kubernetes API access for the harness (official client, one kubeconfig per cluster)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from kubernetes import client, config


@dataclass(frozen=True)
class Kube:
    """Typed API groups for one kubeconfig."""

    kubeconfig: Path

    @cached_property
    def api_client(self) -> client.ApiClient:
        api: client.ApiClient = config.new_client_from_config(config_file=str(self.kubeconfig))  # type: ignore[no-untyped-call]
        return api

    @cached_property
    def core(self) -> client.CoreV1Api:
        return client.CoreV1Api(self.api_client)

    @cached_property
    def batch(self) -> client.BatchV1Api:
        return client.BatchV1Api(self.api_client)

    @cached_property
    def custom(self) -> client.CustomObjectsApi:
        return client.CustomObjectsApi(self.api_client)

    def plain(self, obj: Any) -> Any:
        """An API object as plain JSON data (camelCase keys), easier to read than the Optional-typed models."""
        return self.api_client.sanitize_for_serialization(obj)  # type: ignore[no-untyped-call]
