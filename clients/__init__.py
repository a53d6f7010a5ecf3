"""Clients of the three protocols behind one interface, and the tools that compare them."""
