"""The XSD types of the SOAP adapter: the contract's Book, Loan and page, typed for the WSDL.

Element names are the contract's field names, so a SOAP payload reads like the JSON ones.
Facets (lengths, ranges, patterns) come from services.validation and describe the rules in the
WSDL; the domain checks them again, so every protocol answers a broken rule with one message.
"""

from __future__ import annotations

from typing import Any

from spyne import (
    Array,
    Boolean,
    ComplexModel,
    Date,
    DateTime,
    Decimal,
    Integer32,
    Unicode,
)

from services import validation as v
from services.models import Book, Loan, Page

TNS = "urn:rosetta:library"
"""The target namespace of the WSDL, its operations and types; stable across versions."""

_IN_TNS = {"__namespace__": TNS}
_REQUIRED = {"min_occurs": 1, "nillable": False}
# Array items: spyne renames an item type it has to make unbounded itself, so say it here.
_ITEM = {"max_occurs": "unbounded", "nillable": False}

Isbn = Unicode(pattern=r"[0-9][0-9 \-]{11,15}[0-9]", type_name="Isbn", **_IN_TNS)
Title = Unicode(v.TITLE_MAX, min_len=1, type_name="Title", **_IN_TNS)
Author = Unicode(v.AUTHOR_MAX, min_len=1, type_name="Author", **_ITEM, **_IN_TNS)
Tag = Unicode(v.TAG_MAX, min_len=1, type_name="Tag", **_IN_TNS)
TagItem = Tag.customize(type_name="Tag", **_ITEM, **_IN_TNS)
Currency = Unicode(3, min_len=3, pattern="[A-Za-z]{3}", type_name="Currency", **_IN_TNS)
Price = Decimal(
    ge=0,
    le=v.PRICE_MAX,
    total_digits=11,  # PRICE_MAX has nine integer and two fraction digits
    fraction_digits=2,
    type_name="Price",
    **_IN_TNS,
)
Copies = Integer32(ge=0, le=v.COPIES_MAX, type_name="Copies", **_IN_TNS)
Member = Unicode(v.MEMBER_MAX, min_len=1, type_name="Member", **_IN_TNS)
Query = Unicode(v.QUERY_MAX, min_len=1, type_name="Query", **_IN_TNS)
Limit = Integer32(ge=1, le=v.LIMIT_MAX, type_name="Limit", **_IN_TNS)
Offset = Integer32(ge=0, type_name="Offset", **_IN_TNS)
Version = Integer32(ge=1, type_name="Version", **_IN_TNS)
LoanId = Unicode(v.LOAN_ID_MAX, min_len=1, type_name="LoanId", **_IN_TNS)

# A wrapped array tells "absent" (leave as is) from "empty" (clear) in UpdateBook, which
# repeated elements cannot; each item is named as the singular of its list.
AuthorList = Array(Author, member_name="author", type_name="AuthorList")
TagList = Array(TagItem, member_name="tag", type_name="TagList")


def required(xsd_type: Any) -> Any:
    """The type as a mandatory element (minOccurs=1, not nillable), under the same type name."""
    if xsd_type.get_namespace() == TNS:
        return xsd_type.customize(type_name=xsd_type.get_type_name(), **_REQUIRED, **_IN_TNS)
    return xsd_type.customize(**_REQUIRED)


class BookOut(ComplexModel):  # type: ignore[misc]  # spyne is untyped
    """A book as every protocol returns it."""

    __namespace__ = TNS
    __type_name__ = "Book"
    _type_info = [
        ("isbn", required(Isbn)),
        ("title", required(Title)),
        ("authors", required(AuthorList)),
        ("published", required(Date)),
        ("price", required(Price)),
        ("currency", required(Currency)),
        ("tags", required(TagList)),
        ("copies", required(Copies)),
        ("available", required(Integer32)),
        ("version", required(Version)),
        ("updated_at", required(DateTime)),
    ]


class LoanOut(ComplexModel):  # type: ignore[misc]  # spyne is untyped
    """A loan; `returned_at` is nil while the loan is open."""

    __namespace__ = TNS
    __type_name__ = "Loan"
    _type_info = [
        ("id", required(LoanId)),
        ("isbn", required(Isbn)),
        ("member", required(Member)),
        ("borrowed_at", required(DateTime)),
        ("due", required(Date)),
        ("returned_at", DateTime(min_occurs=1, nillable=True)),
    ]


BookList = Array(BookOut.customize(**_ITEM), member_name="book", type_name="BookList")
LoanList = Array(LoanOut.customize(**_ITEM), member_name="loan", type_name="LoanList")


class BookPageOut(ComplexModel):  # type: ignore[misc]  # spyne is untyped
    """One page of ListBooks: `total` counts every match, `items` holds at most `limit`."""

    __namespace__ = TNS
    __type_name__ = "BookPage"
    _type_info = [
        ("items", required(BookList)),
        ("total", required(Integer32)),
        ("limit", required(Limit)),
        ("offset", required(Offset)),
    ]


OpenOnly = Boolean
Published = Date


def book_out(book: Book) -> BookOut:
    return BookOut(
        isbn=book.isbn,
        title=book.title,
        authors=list(book.authors),
        published=book.published,
        price=book.price,
        currency=book.currency,
        tags=list(book.tags),
        copies=book.copies,
        available=book.available,
        version=book.version,
        updated_at=book.updated_at,
    )


def loan_out(loan: Loan) -> LoanOut:
    return LoanOut(
        id=loan.id,
        isbn=loan.isbn,
        member=loan.member,
        borrowed_at=loan.borrowed_at,
        due=loan.due,
        returned_at=loan.returned_at,
    )


def page_out(page: Page) -> BookPageOut:
    return BookPageOut(
        items=[book_out(book) for book in page.items],
        total=page.total,
        limit=page.limit,
        offset=page.offset,
    )
