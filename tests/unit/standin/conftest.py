"""Makes the stand-in's build context importable as `aegis_standin` (without writing __pycache__ into it:
the images role digests that directory to decide on rebuilds)."""
import os
import sys

CONTEXT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..",
                                       "roles", "images", "files", "containerfiles", "standin_aegis"))
SCRIPT = os.path.join(CONTEXT, "aegis_standin.py")

if CONTEXT not in sys.path:
    sys.path.insert(0, CONTEXT)
_saved, sys.dont_write_bytecode = sys.dont_write_bytecode, True
try:
    # Imported once here, reused by the tests.
    import aegis_standin  # noqa: F401,E402  # pylint: disable=unused-import
finally:
    sys.dont_write_bytecode = _saved
