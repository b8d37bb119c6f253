"""Error hierarchy: every user mistake becomes one `error: …` line and an exit code, never a traceback."""


class LightcodeError(Exception):
    """Base class. The message says what was wrong and what to do."""

    exit_code = 2


class BadInputError(LightcodeError):
    """Malformed or impossible user input (unknown model, bad lengths, bad YAML …)."""

    exit_code = 2


class ConfigError(BadInputError):
    """A model config / hardware YAML that cannot be read or validated."""


class InfeasibleError(LightcodeError):
    """Constraints that no assignment can satisfy (e.g. a latency budget below the optimum)."""

    exit_code = 3
