"""Stores: one interface, one engine per database."""
