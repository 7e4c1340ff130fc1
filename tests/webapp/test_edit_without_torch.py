"""The web process validates an edit without importing torch (only the workers need it)."""
import subprocess
import sys


def test_reading_an_edit_request_does_not_import_torch():
    code = (
        "import os, sys\n"
        "os.environ['DJANGO_SETTINGS_MODULE'] = 'tests.settings'\n"
        "import django\n"
        "django.setup()\n"
        "from webapp.studio.tools import TOOLS, edit_options\n"
        "params = TOOLS['edit'].read_params({'seed': '5', 'mix_seed': '9', 'mix': '0.5',\n"
        "    'strokes': '[{\"points\": [[0.5, 0.5]], \"colour\": \"#ff0000\", \"radius\": 0.1}]'}, None)\n"
        "options = edit_options(params)\n"
        "print(len(options.strokes), options.seed, 'torch' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["1", "5", "False"], result.stderr
