"""The REST adapter: FastAPI under /rest, resources, negotiation, preconditions, problem details."""
