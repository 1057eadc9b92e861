"""Job configuration from environment variables only, declared per job and validated up front.

A job declares its variables once (name, kind, default, required, choices, bounds, URL schemes, help);
:func:`load` reads them all and fails on the first bad one with a single line that names the variable,
says what is wrong and lists what is allowed, so job code keeps only the checks that are its own logic.
The job image contract allows no configuration files and no arguments other than ``--test`` (dry run:
read and compute, log what would be written, write nothing), which may also be switched on with
``DRY_RUN=1``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Literal, NoReturn
from urllib.parse import urlsplit

from jobkit.errors import ConfigError

Kind = Literal["str", "int", "float", "bool", "date", "list"]
Value = str | int | float | bool | date | tuple[str, ...]

TRUE = ("1", "true", "yes", "on")
FALSE = ("0", "false", "no", "off", "")
DRY_RUN_ARGS = ("--test", "--dry-run")
# What each kind accepts, as shown in error messages.
ALLOWED = {
    "str": "any text",
    "int": "an integer",
    "float": "a number",
    "bool": ", ".join(TRUE + FALSE[:-1]),
    "date": "a date YYYY-MM-DD",
    "list": "comma-separated values",
}
EXIT_CONFIG = 2
# The one scheme whose URLs name no host (file:///path).
HOSTLESS_SCHEME = "file"


@dataclass(frozen=True)
class Var:
    """One environment variable a job reads.

    Attributes:
        name: the variable's name, e.g. ``OUTPUT_DIR``.
        kind: how its text is parsed: str, int, float, bool, date (YYYY-MM-DD) or list (comma-separated).
        default: the value when the variable is unset or empty (already of the right kind).
        required: when true, an unset or empty variable is an error.
        choices: the allowed values (for ``list``: allowed items); empty means any.
        help: one line for the job's README and for error messages.
        minimum: the smallest allowed value of an ``int``/``float`` (None: no lower bound).
        maximum: the largest allowed value of an ``int``/``float`` (None: no upper bound).
        unit: what a bounded number counts, for the error message (``days`` -> "0 or more days").
        schemes: for a URL (``str``, or each item of a ``list``): the allowed schemes, each with the example
            the error message shows; such a URL must name a host unless its scheme is ``file``.
    """

    name: str
    kind: Kind = "str"
    default: Value | None = None
    required: bool = False
    choices: tuple[str, ...] = ()
    help: str = ""
    minimum: float | None = None
    maximum: float | None = None
    unit: str = ""
    schemes: tuple[tuple[str, str], ...] = ()

    def allowed(self) -> str:
        """What this variable accepts, for error messages."""
        if self.choices:
            return ", ".join(self.choices)
        if self.schemes:
            return ", ".join(example for _, example in self.schemes)
        unit = f" {self.unit}" if self.unit else ""
        if self.minimum is not None and self.maximum is not None:
            return f"a number from {self.minimum:g} to {self.maximum:g}{unit}"
        if self.minimum is not None:
            return f"{self.minimum:g} or more{unit}"
        if self.maximum is not None:
            return f"{self.maximum:g} or less{unit}"
        return ALLOWED[self.kind]

    def out_of_bounds(self, value: float) -> str:
        """How ``value`` breaks the bounds ("" when it keeps them; NaN keeps none)."""
        low, high = self.minimum, self.maximum
        if (low is None or value >= low) and (high is None or value <= high):
            return ""
        if low is not None and high is not None:
            return f"is outside [{low:g}, {high:g}]"
        if low is not None:
            return "is negative" if low == 0 else f"is less than {low:g}"
        return f"is more than {high:g}"

    def bad_url(self, url: str) -> bool:
        """True when ``url`` has a scheme outside :attr:`schemes`, or no host where one is needed."""
        try:
            parts = urlsplit(url)
            host = parts.hostname
        except ValueError:  # e.g. an unclosed [IPv6 address
            return True
        allowed = dict(self.schemes)
        return parts.scheme not in allowed or (parts.scheme != HOSTLESS_SCHEME and not host)


@dataclass(frozen=True)
class Config:
    """The validated configuration of one run.

    Attributes:
        values: every declared variable's value (None when unset, not required and without default).
        dry_run: true when ``--test``/``--dry-run`` was given or ``DRY_RUN`` is true.
        declared: the declarations, by name (so a typed getter can check the kind).
    """

    values: Mapping[str, Value | None]
    dry_run: bool = False
    declared: Mapping[str, Var] = field(default_factory=dict)

    def _get(self, name: str, kind: Kind) -> Value | None:
        var = self.declared.get(name)
        if var is None:
            raise KeyError(f"{name} is not a declared configuration variable")
        if var.kind != kind:
            raise TypeError(f"{name} is declared as {var.kind}, not {kind}")
        return self.values[name]

    def text(self, name: str) -> str:
        """The value of a ``str`` variable ("" when unset without default)."""
        value = self._get(name, "str")
        return value if isinstance(value, str) else ""

    def integer(self, name: str) -> int:
        """The value of an ``int`` variable.

        Raises:
            ConfigError: when it is unset and has no default.
        """
        value = self._get(name, "int")
        if not isinstance(value, int):
            raise ConfigError(f"{name} is not set; allowed: {ALLOWED['int']}")
        return value

    def number(self, name: str) -> float:
        """The value of a ``float`` variable.

        Raises:
            ConfigError: when it is unset and has no default.
        """
        value = self._get(name, "float")
        if not isinstance(value, int | float):
            raise ConfigError(f"{name} is not set; allowed: {ALLOWED['float']}")
        return float(value)

    def flag(self, name: str) -> bool:
        """The value of a ``bool`` variable (False when unset without default)."""
        return self._get(name, "bool") is True

    def day(self, name: str) -> date | None:
        """The value of a ``date`` variable (None when unset without default)."""
        value = self._get(name, "date")
        return value if isinstance(value, date) else None

    def items(self, name: str) -> tuple[str, ...]:
        """The value of a ``list`` variable (empty when unset without default)."""
        value = self._get(name, "list")
        return value if isinstance(value, tuple) else ()


def parse_value(var: Var, raw: str) -> Value:
    """Parse the text of ``var`` into its kind and check its choices.

    Args:
        var: the declaration.
        raw: the variable's text (already stripped, not empty).

    Returns:
        The parsed value.

    Raises:
        ConfigError: one line naming the variable, the bad value and the allowed values.
    """
    def bad(what: str) -> ConfigError:
        return ConfigError(f"{var.name}={raw!r} {what}; allowed: {var.allowed()}")

    value: Value
    try:
        if var.kind == "int":
            value = int(raw)
        elif var.kind == "float":
            value = float(raw)
        elif var.kind == "date":
            value = date.fromisoformat(raw)
        elif var.kind == "bool":
            if raw.lower() not in TRUE + FALSE:
                raise ValueError(raw)
            value = raw.lower() in TRUE
        elif var.kind == "list":
            value = tuple(item.strip() for item in raw.split(",") if item.strip())
        else:
            value = raw
    except ValueError:
        raise bad(f"is not {ALLOWED[var.kind]}") from None
    if isinstance(value, int | float) and not isinstance(value, bool):
        broken = var.out_of_bounds(value)
        if broken:
            raise ConfigError(f"{var.name}={value} {broken}; allowed: {var.allowed()}")
    if var.schemes:
        for url in value if isinstance(value, tuple) else (raw,):
            if var.bad_url(url):
                names = " or ".join(scheme for scheme, _ in var.schemes)
                raise ConfigError(f"{var.name}={url!r} is not a URL with scheme {names} and a host; "
                                  f"allowed: {var.allowed()}")
    if var.choices:
        items = value if isinstance(value, tuple) else (raw,)
        wrong = [item for item in items if item not in var.choices]
        if wrong:
            raise bad("is not one of the allowed values" if len(items) == 1 else f"has unknown item {wrong[0]!r}")
    return value


def dry_run_requested(environ: Mapping[str, str], argv: Sequence[str]) -> bool:
    """True when the run is a dry run (``--test``/``--dry-run`` argument or a true ``DRY_RUN``).

    Raises:
        ConfigError: for any other argument, or a ``DRY_RUN`` that is not a boolean.
    """
    unknown = [arg for arg in argv if arg not in DRY_RUN_ARGS]
    if unknown:
        raise ConfigError(
            f"argument {unknown[0]!r} is not accepted (configuration comes from environment variables); "
            f"allowed: {', '.join(DRY_RUN_ARGS)}"
        )
    if argv:
        return True
    raw = environ.get("DRY_RUN", "").strip()
    return bool(raw) and parse_value(Var("DRY_RUN", "bool"), raw) is True


def load(variables: Sequence[Var], environ: Mapping[str, str], argv: Sequence[str] = ()) -> Config:
    """Read and validate every declared variable from ``environ``.

    Args:
        variables: the job's declarations.
        environ: the environment (``os.environ`` in a job; a dict in tests).
        argv: the command-line arguments after the program name (only ``--test``/``--dry-run``).

    Returns:
        The validated configuration.

    Raises:
        ConfigError: at the first invalid, missing or unknown setting (one line).
    """
    values: dict[str, Value | None] = {}
    for var in variables:
        raw = environ.get(var.name, "").strip()
        if raw:
            values[var.name] = parse_value(var, raw)
        elif var.required:
            hint = f" ({var.help})" if var.help else ""
            raise ConfigError(f"{var.name} is required but not set{hint}; allowed: {var.allowed()}")
        else:
            values[var.name] = var.default
    return Config(values, dry_run_requested(environ, argv), {var.name: var for var in variables})


def exit_config_error(job: str, error: ConfigError) -> NoReturn:
    """Print ``<job>: failed: invalid configuration: <reason>`` on stderr and exit with code 2.

    Args:
        job: the job's name (first word of the line, so a log search finds it).
        error: the configuration error.

    Raises:
        SystemExit: always, with code 2.
    """
    print(f"{job}: failed: invalid configuration: {error}", file=sys.stderr, flush=True)
    raise SystemExit(EXIT_CONFIG)


@contextmanager
def config_errors_exit(job: str) -> Iterator[None]:
    """Turn a :class:`ConfigError` raised inside the block into exit code 2 with its one line on stderr.

    Args:
        job: the job's name.

    Raises:
        SystemExit: code 2 when the block raised a ConfigError.
    """
    try:
        yield
    except ConfigError as error:
        exit_config_error(job, error)
