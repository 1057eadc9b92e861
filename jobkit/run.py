"""``run_job(main, ...)``: the entry point every job image calls.

It gives the job JSON logs, a validated configuration and its run context; pushes the start and end
metrics; and turns the outcome into the exit code of the image contract: 0 on success; 2 on a bad
configuration; 143 on SIGTERM (Kubernetes stopping the pod); 1 on any other failure. A failure also
prints one line, ``<job>: failed: <reason>``, on stderr, which is what the harness and an operator
read first.
"""

from __future__ import annotations

import os
import signal
import sys
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import FrameType
from typing import IO, NoReturn

from jobkit.config import EXIT_CONFIG, Config, Var, dry_run_requested, load
from jobkit.errors import ConfigError, JobError
from jobkit.logs import JobLogger, setup_logging
from jobkit.metrics import Pusher, PushTarget, RunOutcome

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_SIGTERM = 143  # 128 + SIGTERM, what a shell reports for a process killed by the signal


class Terminated(BaseException):
    """Raised in the job's main thread when SIGTERM arrives, so clean-up and the end push still run.

    A BaseException, like KeyboardInterrupt: ``except Exception`` blocks in job or library code (the
    logging module's own error handler among them) must not swallow it.
    """


@dataclass
class RunContext:
    """What a job's ``main`` receives; it adds to the record counters as it goes.

    Attributes:
        job: the job's name.
        config: the validated configuration.
        log: the job's structured logger.
        records_in: records read so far (pushed as ``cronjob_records_in``).
        records_out: records written so far (pushed as ``cronjob_records_out``).
    """

    job: str
    config: Config
    log: JobLogger
    records_in: int = 0
    records_out: int = 0

    @property
    def dry_run(self) -> bool:
        """True in a ``--test`` run: read and compute, log what would be written, write nothing."""
        return self.config.dry_run


def one_line(text: str) -> str:
    """``text`` with line breaks and runs of spaces collapsed (a failure reason is one line)."""
    return " ".join(text.split())


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated(f"terminated by {signal.Signals(signum).name}")


def execute(
    main: Callable[[RunContext], None],
    job: str,
    variables: Sequence[Var] = (),
    environ: Mapping[str, str] | None = None,
    argv: Sequence[str] | None = None,
    stderr: IO[str] | None = None,
    stdout: IO[str] | None = None,
) -> int:
    """Run ``main`` as a job and return its exit code (``run_job`` exits with it).

    Args:
        main: the job's body; it reads ``ctx.config`` and counts ``ctx.records_in/out``.
        job: the job's name (log lines, the failure line, default Pushgateway ``job`` label).
        variables: the job's configuration variables.
        environ: the environment (default ``os.environ``).
        argv: arguments after the program name (default ``sys.argv[1:]``).
        stderr: where the failure line goes (default stderr).
        stdout: where the JSON logs go (default stdout).

    Returns:
        0 success, 1 failure, 2 invalid configuration, 143 SIGTERM.
    """
    env = os.environ if environ is None else environ
    args = sys.argv[1:] if argv is None else list(argv)
    err = stderr or sys.stderr
    log = setup_logging(job, stdout, env.get("LOG_LEVEL"))
    started = time.time()
    try:
        dry_run = dry_run_requested(env, args)
    except ConfigError:
        dry_run = False  # load() below reports the same error with exit code 2
    # A dry run writes nothing, and metrics are a write: its pushes would fake a real run's success.
    pusher = Pusher(None if dry_run else PushTarget.from_env(env, job))
    log.info("job started", dry_run=dry_run, pid=os.getpid())
    pusher.start(started)
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    ctx: RunContext | None = None
    code, reason = EXIT_OK, ""
    try:
        ctx = RunContext(job, load(variables, env, args), log)
        main(ctx)
    except ConfigError as exc:
        code, reason = EXIT_CONFIG, f"invalid configuration: {exc}"
    except Terminated as exc:
        code, reason = EXIT_SIGTERM, str(exc)
    except JobError as exc:
        code, reason = EXIT_FAILED, str(exc)
    except Exception as exc:
        code, reason = EXIT_FAILED, f"{type(exc).__name__}: {exc}"
        log.error("unexpected error", traceback=traceback.format_exc())
    finally:
        signal.signal(signal.SIGTERM, previous)
    ended = time.time()
    records_in, records_out = (ctx.records_in, ctx.records_out) if ctx else (0, 0)
    pusher.end(RunOutcome(started, ended, code == EXIT_OK, records_in, records_out))
    log.info("job finished", status="ok" if code == EXIT_OK else "failed", exit_code=code,
             duration_s=round(ended - started, 3), records_in=records_in, records_out=records_out,
             **({"reason": one_line(reason)} if reason else {}))
    if code != EXIT_OK:
        print(f"{job}: failed: {one_line(reason)}", file=err, flush=True)
    return code


def run_job(
    main: Callable[[RunContext], None],
    job: str,
    variables: Sequence[Var] = (),
) -> NoReturn:
    """Run ``main`` as the job ``job`` with the process's environment and arguments, then exit.

    Args:
        main: the job's body.
        job: the job's name.
        variables: the job's configuration variables.

    Raises:
        SystemExit: always, with the exit code of :func:`execute`.
    """
    sys.exit(execute(main, job, variables))
