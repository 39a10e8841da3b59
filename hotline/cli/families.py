"""Registers every command family on the root app (one import per family)."""
