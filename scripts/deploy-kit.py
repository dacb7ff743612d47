#!/usr/bin/env python3
"""Writes the action list of deploy/member-role.yaml from docs/iam-policy.json, the
least-privilege policy pullpath's collector is held to (a test checks that they agree).

Usage (from the repository root): python3 scripts/deploy-kit.py [--check]
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "deploy" / "member-role.yaml"
BLOCK = re.compile(r"(                Action:\n)((?:                  - .*\n)+)")


def main(argv: list[str]) -> int:
    actions = json.loads((ROOT / "docs" / "iam-policy.json").read_text())["Statement"][0]["Action"]
    text = TEMPLATE.read_text()
    lines = "".join(f"                  - {action}\n" for action in actions)
    new, count = BLOCK.subn(lambda m: m.group(1) + lines, text)
    if count != 1:
        print("deploy-kit.py: the Action block of the member role was not found", file=sys.stderr)
        return 2
    if "--check" in argv:
        if new != text:
            print("deploy/member-role.yaml is out of date: run scripts/deploy-kit.py", file=sys.stderr)
            return 1
        return 0
    TEMPLATE.write_text(new)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
