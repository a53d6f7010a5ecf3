"""The API token over SOAP: a WS-Security UsernameToken in the message, or an HTTP bearer token.

Only changes need it; reads stay public. The check runs as soon as spyne knows the operation,
before the parameters are parsed, so a caller without the token learns nothing about its input.
"""

from __future__ import annotations

from typing import Any

from gateway.auth import bearer_token, require_token
from gateway.runtime import Runtime
from gateway.soap import faults as soap_faults
from services.errors import NotAllowed
from services.operations import OPERATIONS

WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
SECURITY_HEADER = f"{{{WSSE}}}Security"
_PASSWORD = f"{{{WSSE}}}UsernameToken/{{{WSSE}}}Password"
_PLAIN_TEXT_TYPE = "#PasswordText"

CHANGES = frozenset(op.soap_name for op in OPERATIONS.values() if op.changes)
"""The SOAP operations that need the token: the contract's changes."""


def check_credentials(ctx: Any) -> None:
    """spyne's `before_deserialize` listener: refuses a change without the right token."""
    if ctx.descriptor is None or ctx.descriptor.name not in CHANGES:
        return
    runtime: Runtime = ctx.app.config
    try:
        require_token(runtime.settings.token, presented_token(ctx))
    except NotAllowed as error:
        raise soap_faults.from_domain(error) from None


def presented_token(ctx: Any) -> str | None:
    """The UsernameToken's password when the message has one, else the bearer token.

    The message's own credential wins: it is what a SOAP client chose to send with this call.
    The username is not checked: the token alone is the credential, as in the other protocols.
    """
    for entry in ctx.in_header_doc or ():
        password = entry.find(_PASSWORD) if entry.tag == SECURITY_HEADER else None
        if password is None:
            continue
        password_type = password.get("Type")
        if password_type is not None and not password_type.endswith(_PLAIN_TEXT_TYPE):
            # A digest would need nonce and timestamp bookkeeping against replays. The token
            # travels as PasswordText instead: use TLS, as for the bearer token.
            raise NotAllowed(
                "only a PasswordText UsernameToken is accepted, with the API token as password",
                credentials="invalid",
            )
        return (password.text or "").strip() or None
    return bearer_token(ctx.transport.req_env.get("HTTP_AUTHORIZATION"))
