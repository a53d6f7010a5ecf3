"""The physical limit of WebSocket here: a bare websockets server that answers every frame with
one frame captured from the gateway (`--answers DIR`, file `websocket.frame`), doing no work."""

from __future__ import annotations

import argparse
from pathlib import Path

from websockets.asyncio.server import ServerConnection, serve

from bench.baselines.common import HOST
from bench.baselines.websockets_app import health, runner


async def run(port: int, answers: Path) -> None:
    frames: list[str] = []  # read at first use: the server starts before the gateway answered

    async def handler(websocket: ServerConnection) -> None:
        async for _message in websocket:
            if not frames:
                frames.append((answers / "websocket.frame").read_text())
            await websocket.send(frames[0])

    async with serve(handler, HOST, port, process_request=health) as server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--answers", type=Path, required=True)
    args = parser.parse_args()
    with runner() as loop:
        loop.run(run(args.port, args.answers))


if __name__ == "__main__":
    main()
