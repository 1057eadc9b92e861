"""Expand an Argo CD ApplicationSet offline, the way its git files generator and goTemplate mode do.

What Argo CD does (applicationset/generators/git.go and the repo-server, v3): for each ``files`` entry it lists
the repository's files matching the pattern with ``git ls-files -- <pattern>`` (a pathspec whose ``*`` also
matches ``/``), removes those matched by ``exclude: true`` entries, sorts the paths, parses each file as YAML
(one object gives one parameter set; a list gives one per item), adds ``path`` (directory, ``basename``,
``filename``, their ``...Normalized`` forms, ``segments``), and renders the template's every string with those
parameters. An Application's namespace defaults to the ApplicationSet's.

Here the "repository" is a local git work tree; files not committed yet but not ignored are included, since
they are what the next commit gives Argo CD.
"""

from __future__ import annotations

import copy
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from harness.delivery.gotemplate import render_tree
from harness.errors import HarnessError
from harness.paths import REPO_ROOT

APPLICATIONSET = REPO_ROOT / "deploy" / "argocd" / "applicationset.yaml"
APPPROJECT = REPO_ROOT / "deploy" / "argocd" / "appproject.yaml"


@dataclass(frozen=True)
class GeneratedApplication:
    """One Application the ApplicationSet produces.

    Attributes:
        name: metadata.name.
        namespace: the destination namespace (where the job's objects go).
        value_files: the chart source's helm.valueFiles, in order.
        chart_path: the chart source's path in the repository.
        manifest: the whole Application object.
        helm: the chart source's ``helm`` block (empty when it has none).
    """

    name: str
    namespace: str
    value_files: tuple[str, ...]
    chart_path: str
    manifest: dict[str, Any]
    helm: dict[str, Any] = field(default_factory=dict)

    @property
    def release(self) -> str:
        """The Helm release name Argo CD renders with: ``helm.releaseName``, else the Application's name."""
        return str(self.helm.get("releaseName") or self.name)


def sanitize_name(name: str) -> str:
    """Argo CD's SanitizeName (the ``...Normalized`` parameters): lower case, DNS characters, trimmed."""
    name = re.sub(r"[^-a-z0-9.]", "-", name.lower())[:253]
    return name.strip("-.")


def git_files(repo: Path, pattern: str) -> list[str]:
    """Repository paths matching ``pattern`` as the repo-server's ``git ls-files -- <pattern>`` lists them.

    Args:
        repo: a git work tree.
        pattern: a git pathspec (``*`` also matches ``/``).

    Returns:
        Repository-relative paths of existing files, sorted.

    Raises:
        HarnessError: when ``repo`` is not a git work tree.
    """
    done = subprocess.run(
        ["git", "-C", str(repo), "ls-files", "--full-name", "-z", "--cached", "--others", "--exclude-standard",
         "--", pattern],
        capture_output=True, text=True, check=False,
    )
    if done.returncode != 0:
        raise HarnessError(f"cannot list files of {repo} (is it a git work tree?): {done.stderr.strip()}")
    return sorted({p for p in done.stdout.split("\0") if p and (repo / p).is_file()})


def _path_params(file_path: str) -> dict[str, Any]:
    directory = str(PurePosixPath(file_path).parent)
    filename = PurePosixPath(file_path).name
    basename = PurePosixPath(directory).name
    return {
        "path": directory,
        "basename": basename,
        "filename": filename,
        "basenameNormalized": sanitize_name(basename),
        "filenameNormalized": sanitize_name(filename),
        "segments": directory.split("/"),
    }


def git_files_params(generator: dict[str, Any], repo: Path) -> list[dict[str, Any]]:
    """The parameter sets of one git files generator (goTemplate mode), in Argo CD's order.

    Args:
        generator: the ``git`` entry of the ApplicationSet's generator.
        repo: the work tree standing for the generator's repoURL.

    Returns:
        One mapping per Application: the file's own keys plus ``path``.

    Raises:
        HarnessError: for generator features the model does not implement, or an unparsable file.
    """
    unsupported = set(generator) - {"repoURL", "revision", "files", "requeueAfterSeconds"}
    if unsupported or "files" not in generator:
        raise HarnessError(f"git generator: only `files` without {sorted(unsupported) or 'directories'} is modelled")
    included: set[str] = set()
    for entry in generator["files"]:
        if not entry.get("exclude"):
            included.update(git_files(repo, entry["path"]))
    for entry in generator["files"]:
        if entry.get("exclude"):
            included.difference_update(git_files(repo, entry["path"]))
    params: list[dict[str, Any]] = []
    for file_path in sorted(included):
        try:
            content = yaml.safe_load((repo / file_path).read_text())
        except yaml.YAMLError as exc:
            raise HarnessError(f"unable to process file {file_path!r}: {exc}") from exc
        objects = content if isinstance(content, list) else [content or {}]
        for found in objects:
            params.append({**found, "path": _path_params(file_path)})
    return params


def expand(appset: dict[str, Any], repo: Path = REPO_ROOT) -> list[dict[str, Any]]:
    """The Application objects ``appset`` generates from the files in ``repo``.

    Args:
        appset: the parsed ApplicationSet.
        repo: the work tree standing for the generators' repoURL.

    Returns:
        The Applications, in generation order.

    Raises:
        HarnessError: for ApplicationSet features outside the model (anything but git files generators in
            goTemplate mode without templatePatch) or a template error.
    """
    spec = appset["spec"]
    if not spec.get("goTemplate") or "templatePatch" in spec:
        raise HarnessError("the model expands goTemplate ApplicationSets without templatePatch only")
    if "missingkey=error" not in spec.get("goTemplateOptions", []):
        raise HarnessError("the model implements goTemplateOptions [missingkey=error] only")
    applications = []
    for generator in spec["generators"]:
        if set(generator) != {"git"}:
            raise HarnessError(f"the model expands git generators only, not {sorted(generator)}")
        for params in git_files_params(generator["git"], repo):
            rendered = render_tree(copy.deepcopy(spec["template"]), params)
            metadata = rendered["metadata"]
            metadata["namespace"] = metadata.get("namespace") or appset["metadata"]["namespace"]
            applications.append({"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
                                 "metadata": metadata, "spec": rendered["spec"]})
    return applications


def generated_applications(appset_file: Path = APPLICATIONSET, repo: Path = REPO_ROOT) -> list[GeneratedApplication]:
    """Expand ``appset_file`` against ``repo`` and summarise each Application.

    Args:
        appset_file: the ApplicationSet manifest.
        repo: the work tree standing for its repoURL.

    Returns:
        One summary per Application, in generation order.

    Raises:
        HarnessError: see :func:`expand`; also when an Application has no chart source (a source with ``path``).
    """
    out = []
    for app in expand(yaml.safe_load(appset_file.read_text()), repo):
        sources = app["spec"].get("sources") or [app["spec"]["source"]]
        charts = [s for s in sources if "path" in s]
        if len(charts) != 1:
            raise HarnessError(f"Application {app['metadata']['name']}: expected one chart source, got {charts}")
        out.append(GeneratedApplication(
            name=app["metadata"]["name"],
            namespace=app["spec"]["destination"]["namespace"],
            value_files=tuple(charts[0].get("helm", {}).get("valueFiles", [])),
            chart_path=charts[0]["path"],
            manifest=app,
            helm=charts[0].get("helm", {}),
        ))
    return out


def resolve_value_file(value_file: str, app: dict[str, Any], repo: Path = REPO_ROOT) -> Path:
    """The local file behind a ``$ref/...`` value file of a multi-source Application (the ref must be ours).

    Raises:
        HarnessError: when the reference names no source of the Application.
    """
    ref, _, rest = value_file.partition("/")
    refs = {f"${s['ref']}" for s in app["spec"].get("sources", []) if "ref" in s}
    if ref not in refs:
        raise HarnessError(f"Application {app['metadata']['name']}: value file {value_file!r} names no source ref "
                           f"({sorted(refs)})")
    return repo / rest
