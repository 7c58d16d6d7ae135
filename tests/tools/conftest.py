"""Make our language host package importable for its unit tests (it is not installed)."""

import sys
from pathlib import Path

LANGHOST_DIR = Path(__file__).resolve().parents[2] / "tools" / "pulumi-language-python"
if str(LANGHOST_DIR) not in sys.path:
    sys.path.insert(0, str(LANGHOST_DIR))
