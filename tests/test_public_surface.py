"""The public surface: a light ``import sna``, and the names it promises."""

import subprocess
import sys

import sna


def test_import_sna_does_not_load_web_or_map_stacks():
    code = (
        "import sys, sna; heavy = [m for m in ('fastapi', 'folium', 'uvicorn', 'matplotlib', "
        "'rio_tiler') if m in sys.modules]; print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_public_names_resolve():
    for name in sna.__all__:
        assert callable(getattr(sna, name)) or isinstance(getattr(sna, name), type), name
    assert sna.__version__
