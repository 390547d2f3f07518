"""User-facing failures: each one prints as a single line naming the cause and the fix."""


class LowdimError(Exception):
    """Base class for errors the CLI reports as one line (no traceback)."""


class ParamsError(LowdimError):
    """A value in params.yaml (or a --configfile) is invalid."""


class DataError(LowdimError):
    """A dataset could not be fetched, verified or read."""


class DivergedError(LowdimError):
    """Training produced a non-finite loss."""


class WriteError(LowdimError):
    """An output could not be written (disk full, permission denied, read-only file system)."""


class ClaimError(LowdimError):
    """A claim raised an error of its own while being evaluated (a bug, or a metric renamed under it)."""
