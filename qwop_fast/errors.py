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


# Longest text of a value put into an error message: a config or a model file
# can hold megabytes in one field, and the message must stay one short line.
MAX_REPR = 80


def short_repr(value: object, limit: int = MAX_REPR) -> str:
    """``repr(value)`` cut to ``limit`` characters, in bounded time and memory
    whatever the value (reprlib looks at only the first few items of a
    container and the first characters of a string)."""
    import reprlib

    r = reprlib.Repr()
    r.maxstring = r.maxother = limit
    r.maxlist = r.maxtuple = r.maxdict = r.maxset = 6
    r.maxlevel = 3
    try:
        text = r.repr(value)
    except Exception:  # a value whose __repr__ fails still gets a message
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def short_text(text: object, limit: int = 300) -> str:
    """``str(text)`` on one line (whitespace runs collapsed), cut to ``limit``
    characters: for putting another error's message into ours."""
    s = " ".join(str(text)[: limit * 4].split())
    return s if len(s) <= limit else s[: limit - 3] + "..."
