"""``UserError``: the base of every error that means "the user gave something
that cannot be used" (a bad config, a missing model file, an unreadable
recording, an output path of the wrong kind, no display).

Each error class of the package derives from it and from the built-in class
its callers expect (mostly ValueError), and its message names the thing and
the problem. The ``qwop-fast`` command prints such an error as one line and
exits with code 2 (``qwop_fast.cli.main``, the one place that does this);
anything else is a bug and keeps its traceback.
"""


class UserError(Exception):
    """A user mistake; the message says what to change."""
