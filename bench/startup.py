"""Start-up time of the command line: `nstui validate` on the sample
configuration, the mean of 5 runs.

    .venv/bin/python bench/startup.py
"""

from __future__ import annotations

import subprocess
import sys
import time

from common import ROOT, report


def main() -> None:
    sample = ROOT / "nstui" / "sample_config.toml"
    t0 = time.perf_counter()
    for _ in range(5):
        subprocess.run([sys.executable, "-m", "nstui.cli", "validate", str(sample)], check=True, capture_output=True)
    each = (time.perf_counter() - t0) / 5
    print(f"start-up: `nstui validate` {each * 1000:.0f} ms a call")
    report({"validate_ms": round(each * 1000)})


if __name__ == "__main__":
    main()
