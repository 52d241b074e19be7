"""Clients generated from tests/client/schema.prisma (do not edit: test_generate.py regenerates them)."""
