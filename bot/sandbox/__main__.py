"""Run the Telegram sandbox on its own: `python -m bot.sandbox [--host H] [--port P]`.

It prints the base URL for the bot's API server and the token to use, then serves until
interrupted; open the base URL in a browser for the web chat page.
"""

import argparse
import asyncio
import contextlib

from bot.sandbox.server import start_sandbox
from bot.sandbox.telegram import DEFAULT_TOKEN


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bot.sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    return parser.parse_args()


async def _serve(host: str, port: int, token: str) -> None:
    running = await start_sandbox(host=host, port=port, token=token)
    print(f"Telegram sandbox at {running.base_url}  (token {token})", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await running.close()


def main() -> None:
    """Serve the sandbox until Ctrl-C."""
    args = _arguments()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args.host, args.port, args.token))


if __name__ == "__main__":
    main()
