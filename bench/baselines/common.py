"""What every baseline shares: its command line, and the catalogue it opens."""

from __future__ import annotations

import argparse

from services.catalogue import Catalogue, open_catalogue

HOST = "127.0.0.1"


def arguments(description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--db", required=True, help="SQLite file; seeded with the sample books")
    return parser.parse_args()


async def open_seeded(db: str) -> Catalogue:
    """The same catalogue the gateway opens by default: SQLite, sample books, event hub."""
    return await open_catalogue(db, seed=True)
