"""The naive FastAPI way over the same service: routes with `response_model`, nothing else.

No links, ETags, content negotiation or metrics: FastAPI validates each returned dict
against the response model and serialises it, as its tutorial teaches.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from bench.baselines.common import HOST, arguments, open_seeded
from gateway.json_models import BookIn, BookOut, BookPageOut
from services.catalogue import Catalogue
from services.errors import DomainError
from services.models import book_as_dict

STATUS = {"invalid_input": 422, "not_found": 404, "conflict": 409, "version_mismatch": 412}


def create_app(db: str) -> FastAPI:
    opened: list[Catalogue] = []

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        opened.append(await open_seeded(db))
        yield
        await opened[0].close()

    app = FastAPI(lifespan=lifespan)

    @app.exception_handler(DomainError)
    async def domain_error(_request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, DomainError)
        return JSONResponse(
            {"kind": error.kind, "detail": error.message}, STATUS.get(error.kind, 500)
        )

    @app.get("/rest/books/{isbn}", response_model=BookOut)
    async def get_book(isbn: str) -> Any:
        return book_as_dict(await opened[0].service.get_book(isbn))

    @app.get("/rest/books", response_model=BookPageOut)
    async def list_books(
        q: str | None = None,
        author: str | None = None,
        tag: str | None = None,
        limit: int = 20,
        offset: int = 0,
    ) -> Any:
        page = await opened[0].service.list_books(q, author, tag, limit, offset)
        return {
            "items": [book_as_dict(b) for b in page.items],
            "total": page.total,
            "limit": page.limit,
            "offset": page.offset,
        }

    @app.post("/rest/books", response_model=BookOut, status_code=201)
    async def add_book(book: BookIn) -> Any:
        return book_as_dict(await opened[0].service.add_book(book.model_dump()))

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def main() -> None:
    args = arguments(__doc__ or "")
    uvicorn.run(create_app(args.db), host=HOST, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
