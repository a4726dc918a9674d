"""The headless path never imports Textual (DESIGN.md: one core, two front doors)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_headless_run_never_imports_textual(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from velotui.cli import main\n"
        f"rc = main(['--headless', {str(ROOT / 'demo' / 'tier1_basic')!r}, '--seed', '1', '-q',"
        f" '--junit', {str(tmp_path / 'out.xml')!r}])\n"
        "loaded = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "assert not loaded, loaded\n"
        "print('rc', rc)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "rc 0" in proc.stdout, proc.stdout + proc.stderr


def test_validate_never_imports_textual() -> None:
    code = (
        "import sys\n"
        "from velotui.cli import main\n"
        f"main(['validate', {str(ROOT / 'demo')!r}])\n"
        "assert not [m for m in sys.modules if m.startswith('textual')]\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
