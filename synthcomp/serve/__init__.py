"""Serving synthetic computers to remote agents and trainers: MCP and OpenEnv over HTTP, MCP over stdio."""
