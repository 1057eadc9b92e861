"""`harness diff`: what a change between two git revisions does to the objects Argo CD renders per Application.

For each revision: a temporary detached work tree of it (``git worktree add --detach``, removed afterwards), that
revision's ApplicationSet expanded over that tree by the offline model (applicationset.py), so an Application
whose values file the change adds or removes shows as wholly added or removed, and each Application's chart
rendered as Argo CD's repo-server renders a Helm source (v3.2, ``helmTemplate`` in
reposerver/repository/repository.go and ``Cmd.template`` in util/helm/cmd.go)::

    helm template <chart path> --name-template <helm.releaseName, else the Application's name>
        --namespace <helm.namespace, else the destination namespace> --kube-version <the cluster's>
        --values <each valueFile, in order> --include-crds (unless helm.skipCrds)

The Kubernetes version is the one the project targets (harness/charts/render.py); the repo-server's
``--api-versions`` (the live cluster's) is left out: no chart here reads ``.Capabilities.APIVersions``. Helm source
settings the model does not implement (parameters, inline values, ...) are refused, never ignored.

Objects are matched by (apiVersion, kind, namespace, name), an object without a namespace standing in the
Application's destination namespace, where Argo CD puts it. The Application object itself is compared too: an
ApplicationSet change (sync options, labels) shows as a modified Application.
"""

from __future__ import annotations

import difflib
import re
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

from harness.charts.render import RenderError, render_chart
from harness.delivery.applicationset import (
    APPLICATIONSET,
    GeneratedApplication,
    generated_applications,
    resolve_value_file,
)
from harness.delivery.gitrepo import git
from harness.errors import HarnessError
from harness.paths import REPO_ROOT

ENVIRONMENT_LABEL = "cronharness.io/environment"
# The chart source's helm settings this renderer implements; any other one would change the rendering.
MODELLED_HELM_KEYS = frozenset({"releaseName", "valueFiles", "namespace", "skipCrds"})

Change = Literal["added", "removed", "modified"]
ObjectKey = tuple[str, str, str, str]  # apiVersion, kind, namespace, name
RenderedApplications = dict[str, dict[ObjectKey, dict[str, Any]]]


@dataclass(frozen=True)
class ObjectChange:
    """One object a change adds, removes or modifies in an Application.

    Attributes:
        change: added, removed or modified.
        key: (apiVersion, kind, namespace, name).
        diff: the unified diff of the object's YAML (sorted keys), modified objects only.
    """

    change: Change
    key: ObjectKey
    diff: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        """``<apiVersion> <kind> <namespace>/<name>``."""
        api_version, kind, namespace, name = self.key
        return f"{api_version} {kind} {namespace}/{name}" if namespace else f"{api_version} {kind} {name}"


@dataclass(frozen=True)
class ApplicationChange:
    """An Application whose rendered objects differ between the revisions.

    Attributes:
        name: the Application's name.
        change: added (its values file is new), removed (gone) or modified.
        objects: the objects that differ, sorted by key.
    """

    name: str
    change: Change
    objects: tuple[ObjectChange, ...]

    def counts(self) -> str:
        """``2 modified, 1 added`` (for an added or removed Application: ``added, 5 objects``)."""
        if self.change != "modified":
            return f"{self.change}, {_plural(len(self.objects), 'object')}"
        tally = {c: sum(o.change == c for o in self.objects) for c in ("modified", "added", "removed")}
        return ", ".join(f"{n} {c}" for c, n in tally.items() if n)


@dataclass(frozen=True)
class DiffResult:
    """What the range does to the environments' Applications.

    Attributes:
        base, head: the revisions as given (``HEAD~3``) and ``base_commit``/``head_commit`` as resolved.
        environments: the environments compared (empty: every one).
        applications: the Applications that changed, by name.
    """

    base: str
    head: str
    base_commit: str
    head_commit: str
    environments: tuple[str, ...]
    applications: tuple[ApplicationChange, ...]

    @property
    def range(self) -> str:
        """``<base commit>..<head commit>``, abbreviated."""
        return f"{self.base_commit[:12]}..{self.head_commit[:12]}"

    def summary(self) -> str:
        """One line: what changed, or that nothing did."""
        where = ", ".join(self.environments) or "every environment"
        if not self.applications:
            return f"no change to the rendered objects of {where} ({self.base}..{self.head}, {self.range})"
        listed = ", ".join(f"{a.name} ({a.counts()})" for a in self.applications)
        return f"{_plural(len(self.applications), 'application')} changed: {listed}"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'s' if count != 1 else ''}"


def parse_range(revisions: str) -> tuple[str, str, bool]:
    """``base..head`` (or ``base...head``, from their merge base) as git reads it; an empty side is ``HEAD``.

    Returns:
        (base, head, from the merge base).

    Raises:
        HarnessError: when ``revisions`` is not a range.
    """
    match = re.fullmatch(r"(.*?)(\.\.\.?)(.*)", revisions)
    if match is None or ".." in match.group(3):
        raise HarnessError(f"{revisions!r} is not a range: give <base>..<head>, e.g. main..HEAD")
    base, dots, head = match.groups()
    return base or "HEAD", head or "HEAD", dots == "..."


def resolve_commit(repo: Path, revision: str) -> str:
    """The full commit id ``revision`` names in ``repo``.

    Raises:
        HarnessError: when it names no commit there (a shallow clone may lack the base: fetch more history).
    """
    done = subprocess.run(["git", "-C", str(repo), "rev-parse", "--verify", "--quiet", "--end-of-options",
                           f"{revision}^{{commit}}"], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise HarnessError(f"bad revision {revision!r}: no such commit in {repo} (in a shallow clone, fetch the "
                           "history that holds it, e.g. GIT_DEPTH: 0 in GitLab)")
    return done.stdout.strip()


@contextmanager
def checkout(repo: Path, commit: str) -> Iterator[Path]:
    """A temporary detached work tree of ``commit``, removed (with its git bookkeeping) on exit.

    Raises:
        HarnessError: when git cannot make it.
    """
    with tempfile.TemporaryDirectory(prefix="harness-diff-") as parent:
        tree = Path(parent) / commit[:12]
        git(repo, "worktree", "add", "--detach", "--quiet", str(tree), commit)
        try:
            yield tree
        finally:
            # --force: the tree holds untracked build output (charts/*/charts/*.tgz from the dependency build).
            # Not `git worktree prune`, which would also drop the user's own worktrees that are merely unreachable.
            subprocess.run(["git", "-C", str(repo), "worktree", "remove", "--force", str(tree)],
                           capture_output=True, check=False)


def _value_file(tree: Path, app: GeneratedApplication, value_file: str) -> Path:
    # Argo CD: `$ref/...` is a file of the referenced source; anything else is relative to the chart's path.
    if value_file.startswith("$"):
        return resolve_value_file(value_file, app.manifest, tree)
    return tree / app.chart_path / value_file


def render_application(tree: Path, app: GeneratedApplication, revision: str) -> list[dict[str, Any]]:
    """The objects Argo CD renders for ``app`` from the work tree ``tree`` (the module docstring's command).

    Args:
        tree: a work tree of ``revision``.
        app: an Application generated from that tree.
        revision: how the user named the revision, for messages.

    Raises:
        HarnessError: for a helm setting outside the model, a path that is no chart, or a render error (one line
            naming the Application, the revision and the values files, with helm's message).
    """
    unmodelled = sorted(set(app.helm) - MODELLED_HELM_KEYS)
    if unmodelled:
        raise HarnessError(f"Application {app.name}: helm settings {unmodelled} are not modelled by harness diff")
    chart = tree / app.chart_path
    if not (chart / "Chart.yaml").is_file():
        raise HarnessError(f"Application {app.name} at {revision}: {app.chart_path} is not a Helm chart "
                           "(no Chart.yaml)")
    files = [_value_file(tree, app, v) for v in app.value_files]
    try:
        return render_chart(chart, values_files=files, release=app.release,
                            namespace=app.helm.get("namespace") or app.namespace,
                            include_crds=not app.helm.get("skipCrds", False))
    except RenderError as exc:
        # helm names files by their path in the temporary work tree: show repository paths instead.
        message = " ".join(line.strip() for line in str(exc).replace(f"{tree}/", "").splitlines() if line.strip())
        message = message.removeprefix("Error: ")
        shown = ", ".join(str(f.relative_to(tree)) if f.is_relative_to(tree) else str(f) for f in files)
        raise HarnessError(f"Application {app.name} at {revision}: helm template {app.chart_path} with values "
                           f"{shown or '(none)'} failed: {message}") from exc


def object_key(obj: dict[str, Any], namespace: str) -> ObjectKey:
    """(apiVersion, kind, namespace, name) of a rendered object; no namespace means the Application's."""
    metadata = obj.get("metadata") or {}
    return (str(obj.get("apiVersion", "")), str(obj.get("kind", "")), str(metadata.get("namespace") or namespace),
            str(metadata.get("name", "")))


def environment_of(app: GeneratedApplication) -> str:
    """The environment an Application belongs to: its ``cronharness.io/environment`` label (the deploy jobs
    select by it too); empty when it has none."""
    return str((app.manifest["metadata"].get("labels") or {}).get(ENVIRONMENT_LABEL, ""))


def rendered_applications(tree: Path, apps: Sequence[GeneratedApplication], revision: str) -> RenderedApplications:
    """Each of ``apps`` (generated from ``tree``) with its rendered objects by key.

    The Application object is among its own objects (under Argo CD's namespace).

    Raises:
        HarnessError: see :func:`render_application`; also when one Application renders an object twice.
    """
    out: RenderedApplications = {}
    for app in apps:
        objects: dict[ObjectKey, dict[str, Any]] = {object_key(app.manifest, ""): app.manifest}
        for obj in render_application(tree, app, revision):
            key = object_key(obj, app.namespace)
            if key in objects:
                raise HarnessError(f"Application {app.name} at {revision}: renders {' '.join(key)} twice")
            objects[key] = obj
        out[app.name] = objects
    return out


class _ReviewDumper(yaml.SafeDumper):
    """YAML for people: multi-line strings (scripts, dashboards, rule expressions) as literal blocks, so a diff
    shows the changed lines instead of one long quoted string."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)


_ReviewDumper.add_representer(str, _represent_str)


def to_yaml(obj: dict[str, Any]) -> str:
    """``obj`` as stable YAML: sorted keys, no line folding."""
    return yaml.dump(obj, Dumper=_ReviewDumper, sort_keys=True, default_flow_style=False, width=1 << 30,
                     allow_unicode=True)


def compare(base: RenderedApplications, head: RenderedApplications, base_label: str,
            head_label: str) -> list[ApplicationChange]:
    """The Applications whose objects differ between ``base`` and ``head``, by name.

    Args:
        base, head: :func:`rendered_applications` at each revision.
        base_label, head_label: the diff headers' file names (the abbreviated commits).
    """
    changes = []
    for name in sorted(base.keys() | head.keys()):
        before, after = base.get(name, {}), head.get(name, {})
        objects = []
        for key in sorted(before.keys() | after.keys()):
            if key not in before:
                objects.append(ObjectChange("added", key))
            elif key not in after:
                objects.append(ObjectChange("removed", key))
            elif before[key] != after[key]:
                lines = difflib.unified_diff(to_yaml(before[key]).splitlines(), to_yaml(after[key]).splitlines(),
                                             fromfile=base_label, tofile=head_label, lineterm="")
                objects.append(ObjectChange("modified", key, tuple(lines)))
        if objects:
            change: Change = "added" if name not in base else "removed" if name not in head else "modified"
            changes.append(ApplicationChange(name, change, tuple(objects)))
    return changes


def diff_revisions(repo: Path, revisions: str, environments: Sequence[str] = ()) -> DiffResult:
    """Render every Application of ``environments`` (every environment if empty) at both ends of ``revisions``
    and compare.

    Args:
        repo: the git repository (a work tree of it).
        revisions: ``base..head`` or ``base...head``.
        environments: values/<env> names; an Application belongs to the one its ``cronharness.io/environment``
            label names.

    Raises:
        HarnessError: for a bad range or revision, an environment with no Application at either revision, or a
            render error (naming the Application and its values files).
    """
    base, head, from_merge_base = parse_range(revisions)
    base_commit, head_commit = resolve_commit(repo, base), resolve_commit(repo, head)
    if from_merge_base:
        base_commit = git(repo, "merge-base", base_commit, head_commit)
    rendered: list[RenderedApplications] = []
    available: set[str] = set()
    for commit, label in ((base_commit, base), (head_commit, head)):
        with checkout(repo, commit) as tree:
            apps = generated_applications(tree / APPLICATIONSET.relative_to(REPO_ROOT), tree)
            available.update(environment_of(a) for a in apps)
            chosen = [a for a in apps if not environments or environment_of(a) in environments]
            rendered.append(rendered_applications(tree, chosen, label))
    missing = [env for env in environments if env not in available]
    if missing:
        raise HarnessError(f"no Application of environment {', '.join(missing)} at {base} or {head} "
                           f"(environments there: {', '.join(sorted(available - {''})) or 'none'})")
    applications = compare(rendered[0], rendered[1], base_commit[:12], head_commit[:12])
    return DiffResult(base, head, base_commit, head_commit, tuple(environments), tuple(applications))


def format_text(result: DiffResult) -> str:
    """The diff for a terminal or a job log: per Application a header, its objects (``+`` added, ``-`` removed,
    ``~`` modified, with the YAML diff indented), then the summary line."""
    lines = []
    for app in result.applications:
        lines.append(f"Application {app.name} ({app.counts()})")
        for obj in app.objects:
            lines.append(f"  {'+-~'[('added', 'removed', 'modified').index(obj.change)]} {obj.title}")
            lines.extend(f"      {line}" for line in obj.diff)
        lines.append("")
    lines.append(result.summary())
    return "\n".join(lines) + "\n"


def _fence(lines: Sequence[str]) -> str:
    """A code fence longer than any backtick run in the block (a dashboard or script may hold ``` itself)."""
    longest = max((len(run) for line in lines for run in re.findall(r"`+", line)), default=0)
    return "`" * max(3, longest + 1)


def format_markdown(result: DiffResult) -> str:
    """The diff as a merge-request note: a heading with the range, the summary, then per Application a heading,
    its objects as a list and each modified object's YAML diff in a fenced ``diff`` block."""
    where = ", ".join(result.environments) or "every environment"
    lines = [f"### harness diff: {where}, `{result.range}`", "", result.summary(), ""]
    for app in result.applications:
        lines += [f"#### {app.name} ({app.counts()})", ""]
        lines += [f"- {obj.change} `{obj.title}`" for obj in app.objects]
        lines.append("")
        for obj in app.objects:
            if obj.diff:
                fence = _fence(obj.diff)
                lines += [f"`{obj.title}`", "", f"{fence}diff", *obj.diff, fence, ""]
    return "\n".join(lines).rstrip("\n") + "\n"
