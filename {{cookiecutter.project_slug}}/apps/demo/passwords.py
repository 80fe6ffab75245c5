"""Demo passwords: one secret per project, kept in the git-ignored ``.env``; one password per login.

Baking writes ``DEMO_PASSWORD`` into ``.env``; when it is missing, the first command that needs it
makes one and appends it there. Each demo login's password is derived from that secret and the
username (HMAC-SHA256), so every run of ``seed_demo`` and ``create_demo_staff`` prints the same
logins, and knowing one login's password tells nothing about another's.
"""

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path

from django.conf import settings


def demo_secret(announce=lambda message: None):
    """The project's demo secret; made and saved to ``DEMO_ENV_FILE`` the first time it is needed."""
    if settings.DEMO_PASSWORD:
        return settings.DEMO_PASSWORD
    secret = secrets.token_urlsafe(24)
    env_file = Path(settings.DEMO_ENV_FILE)
    existed = env_file.exists()
    with env_file.open("a") as handle:
        if existed and env_file.read_text() and not env_file.read_text().endswith("\n"):
            handle.write("\n")
        handle.write("# Secret the demo logins' passwords are derived from (seed_demo, create_demo_staff).\n")
        handle.write(f"DEMO_PASSWORD={secret}\n")
    if not existed:
        os.chmod(env_file, 0o600)
    settings.DEMO_PASSWORD = secret
    announce(f"DEMO_PASSWORD was not set: a new one is saved in {env_file}; the demo logins keep it from now on.")
    return secret


def password_for(username, secret):
    """The demo password of ``username``: the same for the same secret, different for each username."""
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()[:16]
