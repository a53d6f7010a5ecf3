"""SOAP's two ways through spyne: on the event loop, and in a worker thread for big work.

Both must give the same answers and the same faults; concurrent calls on the loop must not
mix up their contexts while each waits for the domain.
"""

from __future__ import annotations

import asyncio

import httpx
from lxml import etree

from gateway.soap.endpoint import INLINE_BODY
from tests.live import LiveGateway
from tests.support import fresh_isbn

ENV = "http://schemas.xmlsoap.org/soap/envelope/"
TNS = "urn:rosetta:library"
TIMEOUT = 10.0


def envelope(body: str, padding: int = 0) -> bytes:
    # An XML comment keeps a padded envelope valid while pushing it past INLINE_BODY.
    comment = f"<!--{'x' * padding}-->" if padding else ""
    return (
        f'<s:Envelope xmlns:s="{ENV}" xmlns:l="{TNS}">{comment}<s:Body>{body}</s:Body></s:Envelope>'
    ).encode()


def get_book(isbn: str) -> str:
    return f"<l:GetBook><l:isbn>{isbn}</l:isbn></l:GetBook>"


def post(gateway: LiveGateway, content: bytes) -> httpx.Response:
    headers = {"Content-Type": "text/xml; charset=utf-8"}
    return httpx.post(gateway.soap_url, content=content, headers=headers, timeout=TIMEOUT)


def text_of(response: httpx.Response, name: str) -> str | None:
    found = etree.fromstring(response.content).find(f".//{{*}}{name}")
    return None if found is None else found.text


def test_a_large_envelope_answers_as_a_small_one_does(gateway: LiveGateway) -> None:
    small = post(gateway, envelope(get_book("9780132350884")))
    large_body = envelope(get_book("9780132350884"), padding=INLINE_BODY)
    assert len(large_body) > INLINE_BODY
    large = post(gateway, large_body)
    assert small.status_code == large.status_code == 200
    assert text_of(small, "title") == text_of(large, "title") == "Clean Code"


def test_a_large_envelope_gets_the_same_fault_as_a_small_one(gateway: LiveGateway) -> None:
    missing = fresh_isbn()
    small = post(gateway, envelope(get_book(missing)))
    large = post(gateway, envelope(get_book(missing), padding=INLINE_BODY))
    assert small.status_code == large.status_code == 500
    assert text_of(small, "faultcode") == text_of(large, "faultcode")
    assert text_of(small, "kind") == text_of(large, "kind") == "not_found"


def test_concurrent_calls_on_the_loop_each_get_their_own_answer(gateway: LiveGateway) -> None:
    isbns = ["9780132350884", "9780201633610", "9780262033848", fresh_isbn()] * 8

    async def call_all() -> list[httpx.Response]:
        headers = {"Content-Type": "text/xml; charset=utf-8"}
        async with httpx.AsyncClient(timeout=TIMEOUT, headers=headers) as client:
            calls = [client.post(gateway.soap_url, content=envelope(get_book(i))) for i in isbns]
            return await asyncio.gather(*calls)

    answers = asyncio.run(call_all())
    for isbn, answer in zip(isbns, answers, strict=True):
        if isbn.startswith("9798"):
            assert text_of(answer, "kind") == "not_found"
        else:
            assert answer.status_code == 200
            assert text_of(answer, "isbn") == isbn
