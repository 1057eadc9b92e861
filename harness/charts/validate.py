"""Offline validation of rendered objects: Kubernetes 1.34 schemas (strict) and the CRD schemas.

Core kinds use kubernetes-validate's bundled 1.34 schemas in strict mode (unknown fields are errors).
Custom resources use their CRD's openAPIV3Schema made strict the same way: wherever a schema lists
properties and does not preserve unknown fields, other fields are rejected, which is what the API
server's pruning would silently drop.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from importlib import resources
from typing import Any

import jsonschema
from referencing import Registry, Resource

from harness.crds import crd_schemas

KUBE_VERSION = "1.34"
# kubernetes-validate ships one strict JSON schema per kind and version; we load them once and keep the
# compiled validators (its own validate() re-reads the multi-megabyte definitions file on every call).
_SCHEMA_DIR = resources.files("kubernetes_validate") / "kubernetes-json-schema" / f"v{KUBE_VERSION}.0-local-strict"


def _strict(schema: Any) -> Any:
    if isinstance(schema, dict):
        out = {k: _strict(v) for k, v in schema.items()}
        if ("properties" in out and "additionalProperties" not in out
                and not out.get("x-kubernetes-preserve-unknown-fields")):
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [_strict(v) for v in schema]
    return schema


@cache
def _crd_validators() -> dict[tuple[str, str], jsonschema.Draft7Validator]:
    validators = {}
    for key, schema in crd_schemas().items():
        strict = _strict(copy.deepcopy(schema))
        # metadata is validated by the API server, not by the CRD schema.
        strict.setdefault("properties", {})["metadata"] = {"type": "object"}
        validators[key] = jsonschema.Draft7Validator(strict)
    return validators


@cache
def _registry() -> Registry:
    definitions = json.loads((_SCHEMA_DIR / "_definitions.json").read_text())
    return Resource.from_contents(definitions) @ Registry()


@cache
def _core_validator(api_version: str, kind: str) -> jsonschema.Draft202012Validator | None:
    group_version = api_version.split("/")
    group = group_version[0].split(".")[0] if len(group_version) == 2 else ""
    suffix = f"{group}-{group_version[-1]}" if group else group_version[-1]
    path = _SCHEMA_DIR / f"{kind.lower()}-{suffix}.json"
    if not path.is_file():
        return None
    schema = json.loads(path.read_text())
    return jsonschema.Draft202012Validator(schema, registry=_registry())


def _name(obj: dict[str, Any]) -> str:
    return f"{obj.get('kind')}/{obj.get('metadata', {}).get('name')}"


def validate_object(obj: dict[str, Any]) -> list[str]:
    """Return the problems of one object (empty when it is valid)."""
    key = (str(obj.get("apiVersion")), str(obj.get("kind")))
    validator: jsonschema.protocols.Validator | None = _crd_validators().get(key) or _core_validator(*key)
    if validator is None:
        return [f"{_name(obj)}: no schema for {key[0]} {key[1]} in Kubernetes {KUBE_VERSION} or the known CRDs"]
    return [
        f"{_name(obj)}: {'.'.join(map(str, err.absolute_path)) or '(root)'}: {err.message}"
        for err in sorted(validator.iter_errors(obj), key=lambda e: list(map(str, e.absolute_path)))
    ]


def validate_objects(objects: list[dict[str, Any]]) -> list[str]:
    """Problems of all objects, each prefixed with the object's kind/name."""
    return [problem for obj in objects for problem in validate_object(obj)]
