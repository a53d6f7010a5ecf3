"""The SOAP 1.1 adapter: spyne behind an ASGI endpoint at /soap, its XSD types and faults."""

# Every import of spyne goes through this package, so the fix that lets spyne import on
# Python 3.12 and later is in place before it.
from gateway.soap import spyne_compat as spyne_compat
