"""The ASGI gateway: one process, one port, three protocol adapters over one service."""
