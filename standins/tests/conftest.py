"""Makes the AEGIS stand-in (../aegis/standin.py) importable as `aegis_standin` and its real_interface.py as
`real_interface`, without writing __pycache__ into the build context: the images role digests that directory to
decide on rebuilds."""
import importlib.util
import os
import sys

CONTEXT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "aegis"))

if CONTEXT not in sys.path:
    sys.path.insert(0, CONTEXT)
_saved, sys.dont_write_bytecode = sys.dont_write_bytecode, True
try:
    _spec = importlib.util.spec_from_file_location("aegis_standin", os.path.join(CONTEXT, "standin.py"))
    aegis_standin = sys.modules["aegis_standin"] = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(aegis_standin)
finally:
    sys.dont_write_bytecode = _saved
