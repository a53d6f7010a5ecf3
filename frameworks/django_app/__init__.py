"""The REST contract in Django: async class-based views under ASGI, no database of Django's."""
