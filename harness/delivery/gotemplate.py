"""The subset of Go's text/template that Argo CD ApplicationSet templates in this repository use.

Argo CD renders every string (and every string map key) of an ApplicationSet template with Go's
text/template, sprig functions and the ``missingkey=error`` option. This module evaluates the same
expressions in Python so tests can expand the ApplicationSet offline: actions ``{{ pipeline }}`` with the
``{{-``/``-}}`` trim markers, field chains (``.path.basename``), string and integer literals, function calls
and pipes. Anything else (``if``, ``range``, variables, other functions) raises :class:`TemplateError` rather
than being guessed at, so the model never silently differs from Argo CD.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from harness.errors import HarnessError


class TemplateError(HarnessError):
    """The template uses something outside the supported subset, or a field is missing (missingkey=error)."""


# Sprig's argument order: the piped (subject) value is the last argument.
FUNCTIONS: dict[str, Callable[..., Any]] = {
    "trimSuffix": lambda suffix, s: s.removesuffix(suffix),
    "trimPrefix": lambda prefix, s: s.removeprefix(prefix),
    "lower": lambda s: s.lower(),
    "upper": lambda s: s.upper(),
    "replace": lambda old, new, s: s.replace(old, new),
}

_ACTION = re.compile(r"\{\{(-\s)?(.*?)(\s-)?\}\}", re.DOTALL)
_TOKEN = re.compile(r'\s*(?:("(?:[^"\\]|\\.)*")|(-?\d+)|(\.[A-Za-z0-9_.]*)|([A-Za-z_][A-Za-z0-9_]*)|(\S+))')


def _field(data: Any, chain: str, template: str) -> Any:
    value = data
    for name in [part for part in chain.split(".") if part]:
        if not isinstance(value, Mapping) or name not in value:
            raise TemplateError(f"template {template!r}: map has no entry for key {name!r} (missingkey=error)")
        value = value[name]
    return value


def _command(tokens: list[tuple[str, str]], data: Any, piped: list[Any], template: str) -> Any:
    def operand(kind: str, text: str) -> Any:
        if kind == "string":
            return json.loads(text)
        if kind == "int":
            return int(text)
        if kind == "field":
            return _field(data, text, template)
        raise TemplateError(f"template {template!r}: {text!r} is not supported by the ApplicationSet model")

    kind, text = tokens[0]
    if kind == "ident":
        if text not in FUNCTIONS:
            raise TemplateError(f"template {template!r}: {text!r} is not supported by the ApplicationSet model "
                                f"(supported functions: {', '.join(sorted(FUNCTIONS))})")
        args = [operand(k, t) for k, t in tokens[1:]] + piped
        try:
            return FUNCTIONS[text](*args)
        except (TypeError, AttributeError) as exc:
            raise TemplateError(f"template {template!r}: wrong arguments to {text}: {exc}") from exc
    if len(tokens) != 1 or piped:
        raise TemplateError(f"template {template!r}: {text!r} cannot take arguments")
    return operand(kind, text)


def _tokens(expression: str, template: str) -> list[tuple[str, str]]:
    kinds = ("string", "int", "field", "ident", "other")
    out = []
    for match in _TOKEN.finditer(expression):
        kind = next(k for k, g in zip(kinds, match.groups(), strict=True) if g is not None)
        text = match.group(match.lastindex or 0)
        if kind == "other" and text != "|":
            raise TemplateError(f"template {template!r}: {text!r} is not supported by the ApplicationSet model")
        out.append((kind if text != "|" else "pipe", text))
    return out


def _evaluate(expression: str, data: Any, template: str) -> Any:
    tokens = _tokens(expression, template)
    commands: list[list[tuple[str, str]]] = [[]]
    for token in tokens:
        if token[0] == "pipe":
            commands.append([])
        else:
            commands[-1].append(token)
    if not all(commands):
        raise TemplateError(f"template {template!r}: empty command in {expression!r}")
    value: list[Any] = []
    for command in commands:
        value = [_command(command, data, value, template)]
    return value[0]


def _format(value: Any, template: str) -> str:
    # Go's fmt %v for the value kinds parameters can hold.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    if isinstance(value, list):
        return "[" + " ".join(_format(v, template) for v in value) + "]"
    raise TemplateError(f"template {template!r}: printing a {type(value).__name__} is not supported by the model")


def render(template: str, data: Mapping[str, Any]) -> str:
    """Render one template string as Argo CD's goTemplate mode (with ``missingkey=error``) would.

    Args:
        template: the string from the ApplicationSet template.
        data: the generator's parameters for one Application.

    Returns:
        The rendered string.

    Raises:
        TemplateError: for a missing key or a construct outside the supported subset.
    """
    out: list[str] = []
    position = 0
    for match in _ACTION.finditer(template):
        text = template[position:match.start()]
        out.append(text.rstrip() if match.group(1) else text)
        out.append(_format(_evaluate(match.group(2), data, template), template))
        position = match.end()
        if match.group(3):
            rest = template[position:]
            position += len(rest) - len(rest.lstrip())
    out.append(template[position:])
    return "".join(out)


def render_tree(node: Any, data: Mapping[str, Any]) -> Any:
    """Render every string and every string map key of a parsed YAML tree (what Argo CD templates).

    Args:
        node: the tree (the ApplicationSet's ``template``).
        data: the generator's parameters for one Application.

    Returns:
        A new tree with every string rendered.

    Raises:
        TemplateError: see :func:`render`.
    """
    if isinstance(node, str):
        return render(node, data)
    if isinstance(node, list):
        return [render_tree(item, data) for item in node]
    if isinstance(node, dict):
        return {render(k, data) if isinstance(k, str) else k: render_tree(v, data) for k, v in node.items()}
    return node
