"""Adapters: implementations of the ports (clocks, id generators, storage)."""
