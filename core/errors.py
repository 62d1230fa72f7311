"""Errors a user can cause, with messages a person can act on.

Raised at the boundary (file opened, checkpoint loaded, option parsed); the CLI prints the message on
stderr and exits 2, the GUI shows it in a dialog. Everything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class UserError(Exception):
    """Something the user can fix: the message says what happened and what to do."""


class InputError(UserError):
    """An input file is missing, unreadable, corrupt or of an unsupported kind."""


class NoFaceError(UserError):
    """No usable face was found where one is needed."""


class CheckpointError(UserError):
    """A checkpoint is missing, corrupt, from another project or built for another configuration."""


class ConfigError(UserError):
    """A configuration or option has an unknown key or an impossible value."""


class OutputError(UserError):
    """An output cannot be written (folder missing or read-only, disk full)."""


class Cancelled(Exception):
    """Long work was stopped at a user's request; nothing half-written is left behind."""
