"""The /demo console: one operation through REST, SOAP and WebSocket side by side, for talks."""
