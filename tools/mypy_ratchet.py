"""The mypy ratchet: the number of type errors may fall, never grow.

``mypy-baseline.txt`` holds the count measured before typing began; CI (``make lint``) fails when mypy finds
more. When it finds fewer, lower the committed number in the same change, so the gain is kept.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

BASELINE = Path(__file__).resolve().parent.parent / "mypy-baseline.txt"


def error_count(output: str) -> int:
    found = re.search(r"^Found (\d+) errors? in", output, re.M)
    if found:
        return int(found.group(1))
    if re.search(r"^Success: no issues found", output, re.M):
        return 0
    raise SystemExit(f"mypy did not finish its check:\n{output[-3000:]}")


def main() -> int:
    run = subprocess.run(  # noqa: S603 - our own interpreter running mypy, no outside input
        [sys.executable, "-m", "mypy"], capture_output=True, text=True, check=False
    )
    count = error_count(run.stdout + run.stderr)
    baseline = int(BASELINE.read_text().split()[0])
    if count > baseline:
        print(run.stdout[-20000:])
        print(
            f"mypy: {count} errors, more than the baseline of {baseline}: type the code you added or changed."
        )
        return 1
    note = f" (lower mypy-baseline.txt to {count} to keep the gain)" if count < baseline else ""
    print(f"mypy: {count} errors, baseline {baseline}{note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
