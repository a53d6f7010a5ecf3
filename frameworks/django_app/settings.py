"""Django settings, read from the same ROSETTA_* environment as `rosetta serve`.

Django's ORM, admin, sessions and templates are left out: the catalogue has its own storage
behind LibraryService, and the contract has no pages or users of Django's kind.
"""

from __future__ import annotations

import secrets

from gateway.settings import Settings

ROSETTA = Settings()

DEBUG = False
# Nothing here is signed (no sessions, no CSRF tokens), so a key per process will do.
SECRET_KEY = secrets.token_urlsafe(32)
# The gateway answers whatever Host it is reached by; so does this twin of its REST part.
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "frameworks.django_app.urls"
INSTALLED_APPS: list[str] = []
DATABASES: dict[str, object] = {}
MIDDLEWARE = ["django.middleware.http.ConditionalGetMiddleware"]
DATA_UPLOAD_MAX_MEMORY_SIZE = ROSETTA.max_body
USE_TZ = True
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    # Refusals are answers, not faults: only server faults are worth a line.
    "loggers": {"django.request": {"handlers": ["console"], "level": "ERROR"}},
}
