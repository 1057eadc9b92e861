"""Kubernetes API access for the harness (official client, one kubeconfig per cluster)."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import urllib3
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

from harness.errors import HarnessError

#: what a request to the API server raises: an answer with an error status, or no answer at all
API_ERRORS = (ApiException, urllib3.exceptions.HTTPError)
#: seconds one API request may take in a wait's probe: a hung API server ends the request, not the wait
PROBE_REQUEST_TIMEOUT = 10.0


def unavailable(exc: BaseException) -> str | None:
    """Why the API server could not answer, when ``exc`` says it was unreachable or not serving (a restart,
    an overload), which waiting out fixes; None for an answer (404, 403, 422, ...) that a retry would repeat."""
    if isinstance(exc, urllib3.exceptions.HTTPError):  # refused, reset, timed out
        return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    if isinstance(exc, ApiException) and (exc.status in (0, 429) or (exc.status or 0) >= 500):
        return f"HTTP {exc.status} {exc.reason}"
    return None


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
    def apps(self) -> client.AppsV1Api:
        return client.AppsV1Api(self.api_client)

    @cached_property
    def batch(self) -> client.BatchV1Api:
        return client.BatchV1Api(self.api_client)

    @cached_property
    def custom(self) -> client.CustomObjectsApi:
        return client.CustomObjectsApi(self.api_client)

    def plain(self, obj: Any) -> Any:
        """An API object as plain JSON data (camelCase keys), easier to read than the Optional-typed models."""
        return self.api_client.sanitize_for_serialization(obj)  # type: ignore[no-untyped-call]

    def enforce_pod_security(self, namespace: str, level: str = "restricted") -> None:
        """Make the API server refuse pods in ``namespace`` that break Pod Security Standard ``level``."""
        self.core.patch_namespace(namespace, {"metadata": {"labels": {"pod-security.kubernetes.io/enforce": level}}})

    def put_config_map(self, namespace: str, name: str, data: Mapping[str, str]) -> None:
        """Create ConfigMap ``name`` in ``namespace`` holding ``data``, or replace what it holds."""
        body = client.V1ConfigMap(metadata=client.V1ObjectMeta(name=name, namespace=namespace), data=dict(data))
        self._put(body, self.core.create_namespaced_config_map, self.core.replace_namespaced_config_map)

    def put_secret(self, namespace: str, name: str, data: Mapping[str, bytes]) -> None:
        """Create Secret ``name`` in ``namespace`` holding ``data``, or replace what it holds."""
        encoded: dict[str, bytes | str] = {key: base64.b64encode(value).decode() for key, value in data.items()}
        body = client.V1Secret(metadata=client.V1ObjectMeta(name=name, namespace=namespace), data=encoded)
        self._put(body, self.core.create_namespaced_secret, self.core.replace_namespaced_secret)

    @staticmethod
    def _put(body: Any, create: Callable[..., Any], replace: Callable[..., Any]) -> None:
        """``create`` the namespaced object ``body``, or ``replace`` the one of its name that exists."""
        try:
            create(body.metadata.namespace, body)
        except ApiException as exc:
            if exc.status != 409:
                raise
            replace(body.metadata.name, body.metadata.namespace, body)

    def service_proxy(self, namespace: str, service: str, port: str, path: str,
                      params: Mapping[str, str] | None = None, timeout: float = 30) -> Any:
        """GET ``path`` of a Service's port through the API server's service proxy; return the JSON answer.

        How the host reaches a server inside the cluster without a route to pod addresses (the network rule).

        Args:
            namespace: the Service's namespace.
            service: the Service's name.
            port: the Service port's name.
            path: the path on the server, without the leading ``/``.
            params: query parameters.
            timeout: seconds for the whole request.

        Raises:
            HarnessError: when the API server or the service answers with an error status (with its body),
                or the answer is not JSON.
        """
        serialized = self.api_client.param_serialize(
            method="GET",
            resource_path=f"/api/v1/namespaces/{namespace}/services/{service}:{port}/proxy/{path}",
            query_params=list((params or {}).items()),
            header_params={"Accept": "application/json"},
            auth_settings=["BearerToken"],
        )
        where = f"{path} of service {namespace}/{service}:{port}"
        try:
            reply = self.api_client.call_api(*serialized, _request_timeout=timeout)
            data: bytes = reply.read()  # type: ignore[no-untyped-call]
        except (OSError, ApiException, urllib3.exceptions.HTTPError) as exc:
            raise HarnessError(f"GET {where} through the API server failed: {exc}") from exc
        body = data.decode(errors="replace")
        if not 200 <= reply.status < 300:
            raise HarnessError(f"GET {where} through the API server answered {reply.status}: {body.strip()[:500]}")
        try:
            return json.loads(body)
        except ValueError as exc:
            raise HarnessError(f"GET {where} answered something that is not JSON: {body.strip()[:200]}") from exc
