"""A real MCP client (the `mcp` package from PyPI) for `pullpath mcp`
(tests/integration/mcp.rs).

Usage: mcp_client.py PULLPATH CALLS_JSON

It starts `PULLPATH mcp` over stdio with this process's environment, initializes the session,
lists the tools, then calls each tool of CALLS_JSON (a list of {"name", "arguments"}) in
order, and prints one JSON object: the server's name and version, the tools (name,
description, input schema) and, per call, whether it is an error and its text contents.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client


def field(value, snake: str, camel: str):
    """A field of an MCP type: `mcp` 2 names them in snake case, 1.x in camel case."""
    return getattr(value, snake) if hasattr(value, snake) else getattr(value, camel)


async def main(program: str, calls: list[dict]) -> dict:
    server = StdioServerParameters(command=program, args=["mcp"], env=dict(os.environ))
    async with stdio_client(server) as (read, write):
        async with ClientSession(read, write) as session:
            init = await session.initialize()
            tools = await session.list_tools()
            results = []
            for call in calls:
                result = await session.call_tool(call["name"], call.get("arguments", {}))
                results.append({
                    "name": call["name"],
                    "is_error": bool(field(result, "is_error", "isError")),
                    "texts": [c.text for c in result.content if getattr(c, "type", "") == "text"],
                })
            return {
                "server": {"name": field(init, "server_info", "serverInfo").name,
                           "version": field(init, "server_info", "serverInfo").version},
                "instructions": init.instructions,
                "tools": [{"name": t.name, "description": t.description,
                           "input_schema": field(t, "input_schema", "inputSchema")}
                          for t in tools.tools],
                "calls": results,
            }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(sys.argv[1], json.loads(sys.argv[2])))))
