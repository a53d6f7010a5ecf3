"""The `rosetta` command: serving the gateway, and calling and comparing it through the clients."""
