"""Unit tests import the collection as ansible_collections.aegis.platform (the vendored path links this repo)."""
import os
import sys

COLLECTIONS = os.path.join(os.path.dirname(__file__), "..", "..", ".collections")
if os.path.isdir(COLLECTIONS) and os.path.abspath(COLLECTIONS) not in sys.path:
    sys.path.insert(0, os.path.abspath(COLLECTIONS))
