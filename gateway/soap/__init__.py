"""The SOAP 1.1 adapter: spyne behind an ASGI endpoint at /soap, its XSD types and faults."""
