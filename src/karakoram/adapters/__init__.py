"""Adapters: storage, files, hashing; everything that talks to the world outside the domain."""
