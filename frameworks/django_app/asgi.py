"""The ASGI application, as Django projects expose it:

uvicorn --lifespan off frameworks.django_app.asgi:application
"""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "frameworks.django_app.settings")
application = get_asgi_application()
