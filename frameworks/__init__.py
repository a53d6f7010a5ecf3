"""The REST part of the contract in Flask, Django and Tornado, beside the FastAPI gateway."""
