"""Storage adapters behind services.ports.Storage."""
