"""The WebSocket adapter: JSON-RPC 2.0 at /ws, pushed events, and the AsyncAPI document."""
