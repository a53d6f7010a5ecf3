"""/demo in a real browser: it loads cleanly, runs reads, changes and errors through the three
protocols, shows events. The `watched` fixture fails any test whose page logged an error."""

from __future__ import annotations

from playwright.sync_api import expect

from clients.soap import SoapClient
from services.operations import OPERATIONS
from tests.browser.conftest import Watched
from tests.conftest import API_TOKEN
from tests.live import LiveGateway
from tests.support import book_fields, fresh_isbn

WAIT_MS = 30_000


def open_demo(watched: Watched, gateway: LiveGateway) -> None:
    watched.page.goto(f"{gateway.url}/demo")
    expect(watched.page.locator("body")).to_have_attribute("data-ready", "true", timeout=WAIT_MS)
    feed = watched.page.locator("#feed-status")
    expect(feed).to_have_attribute("data-state", "subscribed", timeout=WAIT_MS)


def test_the_page_loads_with_no_console_error_and_nothing_from_outside(
    watched: Watched, gateway: LiveGateway
) -> None:
    open_demo(watched, gateway)
    expect(watched.page.locator(".code-file pre").first).to_contain_text("class RestClient")
    options = watched.page.locator("#operation option")
    expect(options).to_have_count(len(OPERATIONS))
    assert watched.errors == []
    assert watched.outside == []


def test_a_run_fills_the_three_columns(watched: Watched, gateway: LiveGateway) -> None:
    open_demo(watched, gateway)
    page = watched.page
    page.select_option("#operation", "get_book")
    page.click("#run")
    columns = page.locator("#results .column")
    expect(columns).to_have_count(3, timeout=WAIT_MS)
    for protocol, request_line in (
        ("rest", "GET /rest/books/9780132350884"),
        ("soap", "POST /soap"),
        ("websocket", "text frame"),
    ):
        column = page.locator(f"#results .column.{protocol}")
        expect(column.locator(".badge")).to_have_text("answer")
        expect(column.locator(".messages").last).to_contain_text(request_line)
        expect(column.locator(".stats")).to_contain_text("round trips")
    expect(page.locator("#verdict")).to_have_attribute("data-agree", "true")


def test_a_change_runs_through_the_three_protocols(watched: Watched, gateway: LiveGateway) -> None:
    open_demo(watched, gateway)
    page = watched.page
    page.select_option("#operation", "update_book")
    page.fill("#field-isbn", "9780132350884")
    page.fill("#field-price", "41.00")
    page.click("#run")
    expect(page.locator("#results .column")).to_have_count(3, timeout=WAIT_MS)
    for protocol, request_line in (
        ("rest", "PATCH /rest/books/"),
        ("soap", "POST /soap"),
        ("websocket", "text frame"),
    ):
        column = page.locator(f"#results .column.{protocol}")
        expect(column.locator(".badge")).to_have_text("answer")
        expect(column.locator(".messages").last).to_contain_text(request_line)
        expect(column.locator(".messages").last).to_contain_text("41.00")
    expect(page.locator("#verdict")).to_have_attribute("data-agree", "true")
    # Each protocol changed its own scratch copy of the book: three updates in the feed.
    expect(page.locator("#events li", has_text="book.updated")).to_have_count(3, timeout=WAIT_MS)


def test_an_error_is_shown_by_its_kind_in_each_protocol(
    watched: Watched, gateway: LiveGateway
) -> None:
    open_demo(watched, gateway)
    page = watched.page
    page.select_option("#operation", "get_book")
    page.fill("#field-isbn", fresh_isbn())  # a valid ISBN that names no book
    page.click("#run")
    expect(page.locator("#results .column")).to_have_count(3, timeout=WAIT_MS)
    for protocol in ("rest", "soap", "websocket"):
        badge = page.locator(f"#results .column.{protocol} .badge")
        expect(badge).to_have_text("not_found")
    # An error answer compares by its kind: the three agree.
    expect(page.locator("#verdict")).to_have_attribute("data-agree", "true")


def test_the_keyboard_runs_and_toggles(watched: Watched, gateway: LiveGateway) -> None:
    open_demo(watched, gateway)
    page = watched.page
    page.focus("#operation")
    page.keyboard.press("Control+Enter")
    expect(page.locator("#results .column")).to_have_count(3, timeout=WAIT_MS)
    raw = page.locator("#results .column.rest .raw").first
    expect(raw).to_be_hidden()
    page.focus("#raw-toggle")
    page.keyboard.press("Enter")
    expect(raw).to_be_visible()
    expect(raw).to_contain_text("HTTP/1.1")
    theme = page.locator("html")
    before = theme.get_attribute("data-theme")
    page.focus("#theme-toggle")
    page.keyboard.press("Space")
    expect(theme).not_to_have_attribute("data-theme", before or "")


def test_every_control_is_reachable_with_tab(watched: Watched, gateway: LiveGateway) -> None:
    open_demo(watched, gateway)
    page = watched.page
    reached: set[str] = set()
    for _ in range(60):
        page.keyboard.press("Tab")
        reached.add(page.evaluate("document.activeElement.id"))
    assert {"operation", "run", "raw-toggle", "theme-toggle", "clear-events"} <= reached


def test_a_change_made_through_soap_appears_in_the_feed(
    watched: Watched, gateway: LiveGateway
) -> None:
    open_demo(watched, gateway)
    isbn = fresh_isbn()
    soap = SoapClient(gateway.url)
    try:
        soap.add_book(**book_fields(isbn))
    finally:
        soap.close()
    event = watched.page.locator(f'#events li[data-isbn="{isbn}"]')
    expect(event).to_have_count(1, timeout=WAIT_MS)
    expect(event).to_contain_text("book.added")
    expect(event).to_contain_text("Protocols in Practice")


def test_the_rest_docs_render_with_no_internet(watched: Watched, gateway: LiveGateway) -> None:
    watched.page.goto(f"{gateway.url}/rest/docs")
    expect(watched.page.locator(".opblock").first).to_be_visible(timeout=WAIT_MS)
    assert watched.outside == []


def test_with_a_token_gateway_a_change_needs_the_token_typed_in_the_page(
    watched: Watched, token_gateway: LiveGateway
) -> None:
    open_demo(watched, token_gateway)
    page = watched.page
    token = page.locator("#token")
    expect(token).to_be_visible()
    page.select_option("#operation", "update_book")
    page.fill("#field-isbn", "9780132350884")
    page.fill("#field-copies", "5")
    page.click("#run")
    for protocol in ("rest", "soap", "websocket"):
        badge = page.locator(f"#results .column.{protocol} .badge")
        expect(badge).to_have_text("not_allowed", timeout=WAIT_MS)
    expect(page.locator("#verdict")).to_contain_text("token field")
    token.fill(API_TOKEN)
    page.click("#run")
    for protocol in ("rest", "soap", "websocket"):
        column = page.locator(f"#results .column.{protocol}")
        expect(column.locator(".badge")).to_have_text("answer", timeout=WAIT_MS)
        expect(column.locator(".answer pre")).to_contain_text('"copies": 5')
    expect(page.locator("#events li", has_text="book.updated")).to_have_count(3, timeout=WAIT_MS)
