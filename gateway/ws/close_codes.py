"""The codes and reasons /ws closes with on its own account, whichever server runs it.

The gateway's connection (gateway/ws/connection.py) and Tornado's handler
(frameworks/tornado_ws.py) both close with these, so a client reads the same close from
either; the codes its WebSocket library sends by itself live with its transport.
"""

from __future__ import annotations

from services.events import CutOff

CLOSE_TOO_SLOW = 1008  # policy violation: the client did not read its events fast enough
CLOSE_TOO_BIG = 1009  # message too big
CLOSE_INTERNAL_ERROR = 1011
# The close code of each reason the hub stops feeding a subscriber; its reason is the text.
CLOSE_CUT_OFF: dict[CutOff, int] = {
    CutOff.TOO_SLOW: CLOSE_TOO_SLOW,
    CutOff.OVERTAKEN: CLOSE_TOO_SLOW,
    CutOff.FAILED: CLOSE_INTERNAL_ERROR,
}
PUSH_FAILED_REASON = "pushing events failed"
