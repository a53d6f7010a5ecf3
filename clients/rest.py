"""REST with httpx: resources, status codes, ETags.

python -m clients.rest get_book 9780132350884
"""

from __future__ import annotations

from typing import Any

import httpx

from clients.interface import (
    RemoteError,
    book_from,
    json_ready,
    loan_from,
    page_from,
    without_none,
)
from services.models import Book, Loan, Page


class RestClient:
    protocol = "rest"

    def __init__(
        self,
        base_url: str = "http://127.0.0.1:8000",
        token: str | None = None,
        http: httpx.Client | None = None,
    ) -> None:
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.http = http or httpx.Client(base_url=f"{base_url}/rest", headers=headers)

    def list_books(
        self,
        q: str | None = None,
        author: str | None = None,
        tag: str | None = None,
        limit: int | None = None,
        offset: int | None = None,
    ) -> Page:
        params = without_none(q=q, author=author, tag=tag, limit=limit, offset=offset)
        return page_from(self._call("GET", "/books", params=params))

    def get_book(self, isbn: str) -> Book:
        return book_from(self._call("GET", f"/books/{isbn}"))

    def add_book(self, **fields: Any) -> Book:
        return book_from(self._call("POST", "/books", json=json_ready(fields)))

    def update_book(self, isbn: str, expected_version: int | None = None, **changes: Any) -> Book:
        # The version travels as an ETag precondition: "change it only if it is still this one".
        headers = {} if expected_version is None else {"If-Match": f'"{expected_version}"'}
        return book_from(
            self._call("PATCH", f"/books/{isbn}", json=json_ready(changes), headers=headers)
        )

    def remove_book(self, isbn: str) -> None:
        self._call("DELETE", f"/books/{isbn}")

    def borrow_book(self, isbn: str, member: str) -> Loan:
        return loan_from(self._call("POST", "/loans", json={"isbn": isbn, "member": member}))

    def return_book(self, loan_id: str) -> Loan:
        # Returning is a change of the loan's state, not a verb in the URL.
        return loan_from(self._call("PATCH", f"/loans/{loan_id}", json={"returned": True}))

    def list_loans(
        self, member: str | None = None, open_only: bool | None = None, isbn: str | None = None
    ) -> list[Loan]:
        params = without_none(member=member, open_only=open_only, isbn=isbn)
        if open_only is not None:
            params["open_only"] = str(open_only).lower()
        return [loan_from(item) for item in self._call("GET", "/loans", params=params)["items"]]

    def get_loan(self, loan_id: str) -> Loan:
        return loan_from(self._call("GET", f"/loans/{loan_id}"))

    def close(self) -> None:
        self.http.close()

    def _call(self, method: str, path: str, **options: Any) -> Any:
        response = self.http.request(method, path, **options)
        if response.status_code == 204:
            return None
        if response.is_error:
            # RFC 9457 problem details name the domain error in their "kind" member. Anything
            # else (a proxy's HTML page, say) is no answer from the service: a server fault.
            is_json = "json" in response.headers.get("content-type", "")
            problem = response.json() if is_json else {}
            detail = problem.get("detail") or f"HTTP {response.status_code}"
            raise RemoteError(problem.get("kind", "server_fault"), detail, self.protocol, problem)
        return response.json()


if __name__ == "__main__":
    from clients.command_line import run_script

    raise SystemExit(run_script(RestClient))
