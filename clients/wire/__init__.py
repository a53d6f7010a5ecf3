"""The wire: a counting loopback proxy, and what it recorded read back as messages and frames."""
