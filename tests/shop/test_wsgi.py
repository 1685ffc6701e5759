import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_wsgi_application_keeps_start_up_objects_out_of_the_collector():
    """A worker's start-up objects are frozen (never walked by a collection again), and what
    requests make afterwards is still collected."""
    probe = (
        "import gc, shop.wsgi\n"
        "frozen = gc.get_freeze_count()\n"
        "class Cycle: pass\n"
        "a = Cycle(); a.me = a; del a\n"
        "print(frozen, gc.collect() > 0)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()

    assert int(out[-2]) > 10_000
    assert out[-1] == "True"
