"""benchmarks/checkout_bench.py's CPU meter: a process that exits during a run still counts
(its parent keeps the CPU of the children it reaped), so no figure goes back."""

import os
import subprocess
import sys
import time

import pytest

from benchmarks.checkout_bench import _cpu_seconds

pytestmark = pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="Linux /proc")


def test_the_cpu_of_an_exited_child_stays_with_its_parent():
    before = _cpu_seconds(os.getpid())
    burn = "import time\nend = time.process_time() + 0.3\nwhile time.process_time() < end: pass"
    subprocess.run([sys.executable, "-c", burn], check=True)  # runs, exits, is waited for

    after = _cpu_seconds(os.getpid())

    assert after - before >= 0.25


def test_a_gone_process_reads_zero():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    time.sleep(0.05)

    assert _cpu_seconds(child.pid) == 0.0
