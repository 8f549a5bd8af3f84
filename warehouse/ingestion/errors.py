"""The one error ingestion raises for input it cannot read as a whole."""


class LogInputError(ValueError):
    """The log input as a whole cannot be read (missing path, no log files, an unreadable file);
    the message names the path. Bad records inside a readable file are quarantined instead."""
