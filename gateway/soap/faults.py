"""SOAP 1.1 faults: one table from the domain's error kinds to fault codes, one <detail> shape.

Every fault this adapter answers names its kind in <detail><kind>, and an invalid input lists
its broken rules as <detail><errors><error><field/><message/></error></errors>. Faults that
spyne raises on its own (unparsable XML, unknown operation...) are rewritten into that shape
by `from_spyne`, so a client never has to know spyne's private codes.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

from lxml import etree
from spyne import Fault
from spyne.error import ResourceNotFoundError

from services.errors import DomainError, FieldError, InvalidInput, by_kind

log = logging.getLogger(__name__)

SOAP11_ENV = "http://schemas.xmlsoap.org/soap/envelope/"

FAULT_CODES: dict[str, str] = by_kind(
    {
        "invalid_input": "Client.InvalidInput",
        "not_found": "Client.NotFound",
        "conflict": "Client.Conflict",
        "version_mismatch": "Client.VersionMismatch",
        "not_allowed": "Client.NotAllowed",
        "resync_required": "Client.ResyncRequired",  # SOAP has no event stream: never sent
        "unavailable": "Server.Unavailable",
        "server_fault": "Server",
    }
)
"""The project's table: the same kinds as REST's problem types and JSON-RPC's error codes.
`unavailable` is a Server fault, since the same call may succeed later: the client did
nothing wrong."""
NAMED_KINDS = frozenset(FAULT_CODES) - {DomainError.kind}
"""The kinds answered with their own message and details; a server fault says nothing."""

_DETAIL_ENTRIES = frozenset({"kind", "errors"})
SERVER_FAULT_MESSAGE = "internal error; the server logged the details"


class KindFault(Fault):  # type: ignore[misc]  # spyne is untyped
    """A fault whose <detail> names the domain error kind: the only fault this adapter sends."""

    def __init__(
        self,
        kind: str,
        message: str,
        errors: Iterable[FieldError] = (),
        extra: Mapping[str, str] | None = None,
        code: str | None = None,
    ) -> None:
        detail: dict[str, object] = {"kind": kind}
        detail.update(extra or {})
        field_errors = [e.as_dict() for e in errors]
        if field_errors:
            detail["errors"] = {"error": field_errors}
        super().__init__(faultcode=code or FAULT_CODES[kind], faultstring=message, detail=detail)
        self.kind = kind


def invalid_input(message: str, errors: Iterable[FieldError] = ()) -> KindFault:
    return KindFault(InvalidInput.kind, message, errors)


def version_mismatch(message: str) -> KindFault:
    """SOAP 1.1 section 4.4.1 has its own code for a message of another SOAP version."""
    return KindFault(InvalidInput.kind, message, code="VersionMismatch")


def field_error(field: str, message: str) -> KindFault:
    return invalid_input(f"invalid {field}: {message}", [FieldError(field, message)])


def from_domain(error: DomainError) -> KindFault:
    """The fault of a domain error: its kind, message, field errors and scalar details."""
    extra = {
        name: str(value)
        for name, value in error.details.items()
        if name not in _DETAIL_ENTRIES
        and isinstance(value, str | int)
        and not isinstance(value, bool)
    }
    errors = error.errors if isinstance(error, InvalidInput) else ()
    return KindFault(error.kind, error.message, errors, extra)


def server_fault() -> KindFault:
    return KindFault(DomainError.kind, SERVER_FAULT_MESSAGE)


def from_spyne(fault: Fault, document: object) -> KindFault:
    """Our fault for one spyne raised while reading the request (or, rarely, writing the answer).

    `document` is the parsed request root, when there is one.
    """
    if isinstance(fault, KindFault):
        return fault
    code = str(fault.faultcode)
    if code == "Client" or code.startswith("Client."):
        return _client_fault(fault, document)
    # spyne has logged the exception behind its own Server fault; its faultstring is generic.
    log.error("spyne answered a server fault: %s %s", code, _text(fault.faultstring))
    return server_fault()


def _client_fault(fault: Fault, document: object) -> KindFault:
    if isinstance(fault, ResourceNotFoundError):
        return invalid_input(
            f"no such operation: {_operation_name(document)}; the WSDL lists the operations"
        )
    code = str(fault.faultcode)
    if code == "Client.SoapError" and _is_foreign_envelope(document):
        return version_mismatch(
            f"this endpoint speaks SOAP 1.1: the Envelope must be in {SOAP11_ENV}"
        )
    if code == "Client.SoapError":
        return invalid_input(f"the request is not a SOAP 1.1 envelope: {_text(fault.faultstring)}")
    return invalid_input(_text(fault.faultstring))


def _operation_name(document: object) -> str:
    body = document.find(f"{{{SOAP11_ENV}}}Body") if isinstance(document, etree._Element) else None
    if body is None or len(body) == 0:
        return "(none)"
    return str(body[0].tag)


def _is_foreign_envelope(document: object) -> bool:
    if not isinstance(document, etree._Element) or not isinstance(document.tag, str):
        return False
    name = etree.QName(document)
    return name.localname == "Envelope" and name.namespace != SOAP11_ENV


def _text(value: object) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


class QuietClientFaults(logging.Filter):
    """Drops spyne's log records about faults that are the client's doing, or already logged.

    spyne logs every fault it answers at ERROR with a traceback, a malformed request included;
    on a public endpoint that floods the log with the callers' mistakes.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.endswith(".invalid"):
            return False  # spyne's log of each unparsable request body, verbatim
        fault = record.msg
        if isinstance(fault, KindFault):
            return False
        return not (isinstance(fault, Fault) and str(fault.faultcode).startswith("Client"))


SPYNE_LOGGERS = (
    "spyne.application",
    "spyne.application.client",
    "spyne.server._base",
    "spyne.server.wsgi",
    "spyne.protocol.soap.soap11.invalid",
)


class CapLength(logging.Filter):
    """Shortens long records: at DEBUG, spyne logs whole request documents, whatever their size."""

    limit = 1024

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if len(message) > self.limit:
            record.msg = f"{message[: self.limit]}... ({len(message)} characters in all)"
            record.args = None
        return True


def quiet_spyne_logs() -> None:
    quiet = QuietClientFaults()
    for name in SPYNE_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, QuietClientFaults) for f in logger.filters):
            logger.addFilter(quiet)
    cap = CapLength()
    # Every spyne module logs through a logger of its own name; all are imported by now.
    for name in [n for n in logging.Logger.manager.loggerDict if n.split(".")[0] == "spyne"]:
        logger = logging.getLogger(name)
        if not any(isinstance(f, CapLength) for f in logger.filters):
            logger.addFilter(cap)
