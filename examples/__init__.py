"""Examples that use crmcore from the outside (they may do I/O)."""
