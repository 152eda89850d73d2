"""The one refusal type: an action refused for a reason the person can read.

Services raise ``Refusal`` (HackSoft's ``ApplicationError``); each view catches it once and
shows ``message``. ``message`` is already translated into the language active when it was
raised (French by default); ``code`` is a stable word for code and tests.
"""

from __future__ import annotations


class Refusal(Exception):
    """A refused action: ``message`` for people, ``code`` for programs."""

    def __init__(self, message: str, *, code: str = "refused") -> None:
        super().__init__(message)
        self.message = str(message)
        self.code = code

    def __str__(self) -> str:
        return self.message
