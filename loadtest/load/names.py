"""What the simulated people log in with: read by the locustfile (no Django there) and by
people.py, which creates the accounts."""

import base64
import hashlib

PASSWORD = "Tai-thu-tai-2025!"
LEARNER_EMAIL = "load.learner.{n}@example.invalid"
OFFICIAL_EMAIL = "load.official.{n}@example.invalid"


def totp_secret(email: str) -> str:
    return base64.b32encode(hashlib.sha1(email.encode()).digest()).decode()
