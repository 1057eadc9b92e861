"""The harness's exception types: one for timeouts, one for everything a user must fix."""


class HarnessError(RuntimeError):
    """Something the user can act on: the message says what failed and what to do."""


class HarnessTimeout(HarnessError):
    """A wait ran past its deadline; the message names what was awaited and its last state."""
