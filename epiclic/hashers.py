"""The password hasher, tuned for a sign-in storm on a small shared machine.

Argon2id with OWASP's "m=19 MiB, t=2, p=1" profile: about 40 ms of CPU per check on the
2-core reference machine (measured, docs/operations.md), against about 800 ms for Django's
PBKDF2 (1,000,000 iterations) — 200 beneficiaries signing in at the opening of orders cost
8 s of CPU instead of 160 s. One lane (p=1): a check uses one core and leaves the other to
the pages. Older hashes (PBKDF2, or Argon2 with other parameters) are upgraded at sign-in.
"""

from __future__ import annotations

from django.contrib.auth.hashers import Argon2PasswordHasher


class EpiclicArgon2PasswordHasher(Argon2PasswordHasher):
    time_cost = 2
    memory_cost = 19456  # KiB
    parallelism = 1
