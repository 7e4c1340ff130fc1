"""`inference/` never imports Django: every module it has, at import time and in any function body."""
import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import inference

PACKAGE = Path(inference.__file__).parent
# The web side, and what only runs there; the CLI and the workers must not need any of it.
FORBIDDEN = {"django", "webapp", "channels", "daphne"}


def every_module() -> list[str]:
    return ["inference", *(m.name for m in pkgutil.walk_packages(inference.__path__, "inference."))]


def test_the_walk_finds_every_python_file_of_the_package():
    on_disk = {".".join(("inference", *path.relative_to(PACKAGE).with_suffix("").parts)).removesuffix(".__init__")
               for path in PACKAGE.rglob("*.py")}
    assert set(every_module()) == on_disk
    assert len(on_disk) > 40


def test_importing_every_module_in_a_fresh_interpreter_loads_no_django():
    # inference.__main__ runs the command line when imported; the statement check below covers it.
    names = [name for name in every_module() if name != "inference.__main__"]
    code = (
        "import importlib, sys\n"
        f"for name in {names!r}:\n"
        "    importlib.import_module(name)\n"
        f"    found = sorted(m for m in sys.modules if m.split('.')[0] in {sorted(FORBIDDEN)!r})\n"
        "    if found:\n"
        "        print(name, 'imported', found[:5])\n"
        "        break\n"
        "else:\n"
        "    print('clean', len(" + repr(names) + "))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split() == ["clean", str(len(names))], result.stdout


def test_no_import_statement_anywhere_names_the_web_side():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                roots = [alias.name.split(".")[0] for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                roots = [node.module.split(".")[0]]
            else:
                continue
            offenders += [f"{path.relative_to(PACKAGE)}:{node.lineno} {root}" for root in roots if root in FORBIDDEN]
    assert offenders == []
