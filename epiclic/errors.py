"""The one refusal type: an action refused for a reason the person can read.

Services raise ``Refusal`` (HackSoft's ``ApplicationError``); each view catches it once and
shows ``message``. ``message`` is already translated into the language active when it was
raised (French by default); ``code`` is a stable word for code and tests; ``about``, the id of
the one object the refusal names when it names one (the product of a cart line), so that a
page can mark that object's field.
"""

from __future__ import annotations


class Refusal(Exception):
    """A refused action: ``message`` for people, ``code`` for programs."""

    def __init__(self, message: str, *, code: str = "refused", about: int | None = None) -> None:
        super().__init__(message)
        self.message = str(message)
        self.code = code
        self.about = about

    def __str__(self) -> str:
        return self.message
