"""The physical limit of WebSocket here: a bare websockets server that answers every frame with
one frame captured from the gateway (`--answers DIR`, file `websocket.frame`), doing no work."""

from __future__ import annotations

import argparse
from pathlib import Path

from websockets.asyncio.server import ServerConnection, serve

from bench.baselines.common import HOST
from bench.baselines.websockets_app import health, runner


async def run(port: int, frame: str) -> None:
    async def handler(websocket: ServerConnection) -> None:
        async for _message in websocket:
            await websocket.send(frame)

    async with serve(handler, HOST, port, process_request=health) as server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--answers", type=Path, required=True)
    args = parser.parse_args()
    frame = (args.answers / "websocket.frame").read_text()
    with runner() as loop:
        loop.run(run(args.port, frame))


if __name__ == "__main__":
    main()
