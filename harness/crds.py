"""The CustomResourceDefinitions our charts render objects of, from their projects' Go modules.

prometheus-operator (PrometheusRule, ServiceMonitor, PodMonitor, and the rest of its API, which the
operator in the test cluster serves: harness/monitoring) and Argo CD (Application, ApplicationSet,
AppProject) publish their CRD manifests inside their Go modules; the Go module proxy is the registry we
may use, so we read them from the module cache rather than downloading release files. They serve two
purposes: offline schema validation of rendered charts and installation into a cluster for server-side
validation.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from harness.errors import HarnessError
from harness.paths import cache_root
from harness.toolchain.versions import pinned

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[misc,valid-type]
    """YAML 1.1 reads a plain ``=`` as the "value" type, which no safe loader constructs; in the CRDs it is a
    string (AlertmanagerConfig's matchType enum)."""


_Loader.add_constructor("tag:yaml.org,2002:value", _BaseLoader.construct_yaml_str)

# module path, pin name, CRD files inside the module
_SOURCES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "github.com/prometheus-operator/prometheus-operator",
        "prometheus-operator",
        tuple(
            f"example/prometheus-operator-crd/monitoring.coreos.com_{kind}.yaml"
            # Every kind the operator watches: it waits for the informers of the ones it finds.
            for kind in ("prometheusrules", "servicemonitors", "podmonitors", "prometheuses", "alertmanagers",
                         "alertmanagerconfigs", "probes", "scrapeconfigs", "prometheusagents", "thanosrulers")
        ),
    ),
    (
        "github.com/argoproj/argo-cd/v3",
        "argo-cd",
        tuple(f"manifests/crds/{kind}-crd.yaml" for kind in ("application", "applicationset", "appproject")),
    ),
)


#: The CRDs whose objects the job charts render (PrometheusRule, ServiceMonitor, PodMonitor): what a cluster
#: needs before a job chart installs.
JOB_CHART_CRDS = tuple(f"{kind}.monitoring.coreos.com"
                       for kind in ("prometheusrules", "servicemonitors", "podmonitors"))


def module_dir(module: str, version: str) -> Path:
    """The unpacked Go module ``module@version`` (downloaded into the Go module cache on first use).

    Raises:
        HarnessError: when the Go module proxy does not serve it.
    """
    env = {**os.environ, "GOFLAGS": "-mod=mod", "GOTOOLCHAIN": "local"}
    done = subprocess.run(
        ["go", "mod", "download", "-json", f"{module}@{version}"],
        capture_output=True, text=True, env=env, check=False, cwd="/",
    )
    info = json.loads(done.stdout or "{}")
    if done.returncode != 0 or "Dir" not in info:
        raise HarnessError(
            f"cannot fetch CRDs from Go module {module}@{version}: {info.get('Error') or done.stderr.strip()}"
        )
    return Path(info["Dir"])


@cache
def crd_documents() -> list[dict[str, Any]]:
    """Every CRD manifest we validate against and install, parsed (served from the Go module cache).

    Raises:
        HarnessError: when a module cannot be fetched from the Go module proxy.
    """
    docs: list[dict[str, Any]] = []
    for module, pin, files in _SOURCES:
        version = pinned("go", pin)
        # Parsing the multi-megabyte CRD YAML takes seconds; keep it as JSON keyed by version.
        # The file list is part of the key: a cache made from fewer files is not reused.
        listed = hashlib.sha256("\0".join(files).encode()).hexdigest()[:8]
        parsed = cache_root() / "crds" / f"{module.replace('/', '_')}@{version}-{listed}.json"
        if not parsed.exists():
            root = module_dir(module, version)
            loaded = [d for rel in files for d in yaml.load_all((root / rel).read_text(), Loader=_Loader) if d]
            parsed.parent.mkdir(parents=True, exist_ok=True)
            parsed.write_text(json.dumps(loaded))
        docs.extend(json.loads(parsed.read_text()))
    return docs


def crd_schemas() -> dict[tuple[str, str], dict[str, Any]]:
    """Map (apiVersion, kind) -> the openAPIV3Schema of that served CRD version."""
    schemas: dict[tuple[str, str], dict[str, Any]] = {}
    for crd in crd_documents():
        spec = crd["spec"]
        for version in spec["versions"]:
            api_version = f"{spec['group']}/{version['name']}"
            schemas[(api_version, spec["names"]["kind"])] = version["schema"]["openAPIV3Schema"]
    return schemas
