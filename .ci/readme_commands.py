"""Print the README's quick-start commands, so CI runs exactly what a new user reads.

    python3 .ci/readme_commands.py 1     the first ```sh block under "## Quick start" (install + run)
    python3 .ci/readme_commands.py 2     the second (the tests)
    python3 .ci/readme_commands.py deploy  the deployment install line (``pip install './monitor[postgres]'``)

Standard library only: it runs with the machine's python3 before anything is installed.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def quick_start(text: str) -> list[str]:
    """The shell blocks of the Quick start section, in order (each one command line)."""
    section = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```sh\n(.*?)```", section, flags=re.S)]


def deploy_install(text: str) -> str:
    """The deployment section's install line (inline code after **Install**)."""
    section = text.split("## Deployment", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"\*\*Install\*\*[^`]*`([^`]*pip install[^`]*)`", section, flags=re.S)
    if not match:
        raise SystemExit(f"{README}: no install line under **Install** in the Deployment section")
    return match.group(1).strip()


def main(argv: list[str]) -> int:
    text = README.read_text(encoding="utf-8")
    which = argv[1] if len(argv) > 1 else ""
    if which == "deploy":
        print(deploy_install(text))
        return 0
    blocks = quick_start(text)
    if len(blocks) != 2 or which not in {"1", "2"}:
        print(f"{README}: expected 2 quick-start ```sh blocks, found {len(blocks)}; usage: 1|2|deploy",
              file=sys.stderr)
        return 2
    print(blocks[int(which) - 1])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
