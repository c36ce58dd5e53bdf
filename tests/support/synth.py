"""scripts/synth.py for the tests that need synthetic source folders (scripts/ is not a package)."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

from pilotkg.sources import CHECKOUT_ROOT


def load_synth() -> ModuleType:
    """The synth script as a module, imported once (registered first: its dataclasses need it)."""
    if "synth" not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            "synth", CHECKOUT_ROOT / "scripts" / "synth.py"
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["synth"] = module
        spec.loader.exec_module(module)
    return sys.modules["synth"]
