"""spyne's SOAP 1.1 protocol, made strict about what it reads and faithful about what it writes.

spyne reads xs:int with Python's int() (so "1_000" passes), xs:boolean as "true or anything
else is false", and silently drops elements it does not know. It also reads past a value of
the wrong shape: text written straight into a list (`<tags>x</tags>`) is dropped, leaving an
empty list, any element inside a list is taken as an entry whatever its name, and elements
inside a text value vanish. Here a value must have the XSD lexical form of its type and the
shape of its type, an unknown parameter is refused like the other protocols refuse an
unknown field, and each such problem names the element it is about. Every fault that
leaves goes through `soap_faults.from_spyne`, so it carries a kind.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from lxml import etree
from spyne import Boolean, Date, DateTime, Fault, Integer
from spyne import Decimal as XsDecimal
from spyne.error import ValidationError
from spyne.model.complex import Array, ComplexModelBase
from spyne.protocol.soap import Soap11

from gateway.soap import faults as soap_faults
from gateway.soap import parsing as soap_xml
from gateway.soap.answers import Answers, Remembered, remembered
from gateway.soap.auth import SECURITY_HEADER
from services.errors import FieldError, InvalidInput
from services.models import iso_utc

_INT = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)")
_DATE = re.compile(r"(-?[0-9]{4,})-([0-9]{2})-([0-9]{2})(Z|[+-][0-9]{2}:[0-9]{2})?")
_BOOLEANS = {"true": True, "1": True, "false": False, "0": False}
INT_MIN, INT_MAX = -(2**31), 2**31 - 1
UNDERSTOOD_HEADERS = frozenset({SECURITY_HEADER})
_ENVELOPE = f"{{{soap_faults.SOAP11_ENV}}}Envelope"
_BODY = f"{{{soap_faults.SOAP11_ENV}}}Body"
_FAULT = f"{{{soap_faults.SOAP11_ENV}}}Fault"
_MUST_UNDERSTAND = f"{{{soap_faults.SOAP11_ENV}}}mustUnderstand"


class _IllTyped(ValueError):
    """A value whose text or shape is not one its XSD type allows."""


def _int(_cls: Any, text: str) -> int:
    value = text.strip()
    if not _INT.fullmatch(value):
        raise _IllTyped(f"{text!r} is not a whole number (xs:int)")
    number = int(value)
    if not INT_MIN <= number <= INT_MAX:
        raise _IllTyped(f"{text!r} is out of the range of xs:int ({INT_MIN}..{INT_MAX})")
    return number


def _decimal(_cls: Any, text: str) -> Decimal:
    value = text.strip()
    if not _DECIMAL.fullmatch(value):
        raise _IllTyped(f"{text!r} is not a decimal such as 12.50 (xs:decimal)")
    return Decimal(value)


def _boolean(_cls: Any, text: str) -> bool:
    value = text.strip()
    if value not in _BOOLEANS:
        raise _IllTyped(f"{text!r} is not true, false, 1 or 0 (xs:boolean)")
    return _BOOLEANS[value]


def _date(_cls: Any, text: str) -> date:
    match = _DATE.fullmatch(text.strip())
    try:
        if match is None:
            raise ValueError
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise _IllTyped(f"{text!r} is not a date YYYY-MM-DD (xs:date)") from None


def _check_shape(cls: Any, element: Any) -> None:
    """Refuses what spyne would read past: the shape of the element is not that of its type."""
    children = [child for child in element if isinstance(child.tag, str)]
    if not issubclass(cls, ComplexModelBase):
        if children:
            raise _IllTyped("must be text, not elements")
        return
    entry = next(iter(cls._type_info)) if issubclass(cls, Array) else None
    if (element.text or "").strip() or any((child.tail or "").strip() for child in children):
        if entry is not None:
            raise _IllTyped(f"must be a list: each entry in its own <{entry}> element, not text")
        raise _IllTyped("must hold elements, not text")
    if entry is not None:
        for child in children:
            name = etree.QName(child).localname
            if name != entry:
                raise _IllTyped(f"holds <{entry}> entries only, not <{name}>")


def _datetime(_cls: Any, value: datetime) -> str:
    # The same form as the JSON protocols print: UTC with a Z.
    return iso_utc(value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC))


class LibrarySoap11(Soap11):  # type: ignore[misc]  # spyne is untyped
    """SOAP 1.1, document/literal, with the strict readers and the fault rewriting above."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._from_unicode_handlers[Integer] = _int
        self._from_unicode_handlers[XsDecimal] = _decimal
        self._from_unicode_handlers[Boolean] = _boolean
        self._from_unicode_handlers[Date] = _date
        self._to_unicode_handlers[DateTime] = _datetime
        self.answers = Answers()

    def create_in_document(self, ctx: Any, charset: Any = None) -> None:
        # Instead of spyne's parse, which answers with libxml2's own messages and logs whole
        # bodies; the endpoint has checked the Content-Type already.
        ctx.in_document = soap_xml.parse_envelope(b"".join(ctx.in_string))

    def decompose_incoming_envelope(self, ctx: Any, message: Any = Soap11.REQUEST) -> None:
        _check_envelope(ctx.in_document[0])
        super().decompose_incoming_envelope(ctx, message)

    def deserialize(self, ctx: Any, message: Any) -> None:
        _refuse_misunderstood_headers(ctx.in_header_doc)
        super().deserialize(ctx, message)
        _refuse_unknown_or_repeated(ctx.descriptor, ctx.in_body_doc)

    def from_element(self, ctx: Any, cls: Any, element: Any) -> Any:
        try:
            _check_shape(cls, element)
            return super().from_element(ctx, cls, element)
        except (_IllTyped, ValidationError) as problem:
            field = etree.QName(element).localname
            message = str(problem) if isinstance(problem, _IllTyped) else _spyne_message(problem)
            raise soap_faults.field_error(field, message) from None

    def serialize(self, ctx: Any, message: Any) -> None:
        if ctx.out_error is not None:
            document = ctx.in_document
            if isinstance(document, tuple):  # spyne failed before it unpacked (root, ids)
                document = document[0]
            ctx.out_error = soap_faults.from_spyne(ctx.out_error, document)
        answer = self._keepable(ctx, message)
        if answer is not None:
            answer.body = self.answers.get(answer.key)
            if answer.body is not None:
                # The same events as spyne's own serialize fires: the metrics listen to them.
                self.event_manager.fire_event("before_serialize", ctx)
                self.event_manager.fire_event("after_serialize", ctx)
                return
            if ctx.out_object == [None]:
                # The operation counted on bytes that have been dropped since.
                ctx.out_object = [answer.build()]
        super().serialize(ctx, message)

    def create_out_string(self, ctx: Any, charset: Any = None) -> None:
        answer = self._keepable(ctx, self.RESPONSE)
        if answer is not None and answer.body is not None:
            ctx.out_string = [answer.body]
            return
        super().create_out_string(ctx, charset)
        if answer is not None:
            self.answers.keep(answer.key, b"".join(ctx.out_string))

    def _keepable(self, ctx: Any, message: Any) -> Remembered | None:
        """The answer's key if its bytes depend on nothing but the value it names."""
        answer = remembered(ctx)
        if (
            answer is None
            or message is not self.RESPONSE
            or ctx.out_error is not None
            or ctx.out_header is not None
        ):
            return None
        return answer


def _check_envelope(root: Any) -> None:
    """What spyne leaves unchecked, or crashes on into a Server fault though the caller erred."""
    if root.tag != _ENVELOPE:
        return  # spyne refuses it; soap_faults.from_spyne words the fault
    body = root.find(_BODY)
    if body is None or len(body) == 0:
        raise soap_faults.invalid_input("the envelope has no operation: its Body must hold one")
    if body[0].tag == _FAULT:
        raise soap_faults.invalid_input("a Fault is an answer, not a request")


def _spyne_message(problem: Fault) -> str:
    return f"is not valid for its XSD type ({problem.faultstring})"


def _refuse_misunderstood_headers(headers: list[Any] | None) -> None:
    """SOAP 1.1 section 4.2.3: a header entry the receiver must understand but does not."""
    for entry in headers or ():
        if entry.get(_MUST_UNDERSTAND) in {"1", "true"} and entry.tag not in UNDERSTOOD_HEADERS:
            raise soap_faults.KindFault(
                InvalidInput.kind,
                f"the header {entry.tag} is marked mustUnderstand and is not understood here",
                code="MustUnderstand",
            )


def _refuse_unknown_or_repeated(descriptor: Any, body: Any) -> None:
    """Names the operation does not have, and a second value of one that is not a list.

    spyne would drop the first and keep the last value of the second, both silently.
    """
    members = descriptor.in_message._type_info
    counts = Counter(etree.QName(child).localname for child in body if isinstance(child.tag, str))
    errors = [
        FieldError(name, f"is not a parameter of {descriptor.name}")
        for name in counts
        if name not in members
    ] + [
        FieldError(name, f"is given {count} times; it takes one value")
        for name, count in counts.items()
        if count > 1 and name in members and members[name].Attributes.max_occurs == 1
    ]
    if errors:
        summary = "; ".join(f"{e.field}: {e.message}" for e in errors)
        raise soap_faults.invalid_input(
            f"invalid parameters of {descriptor.name}: {summary}", errors
        )
