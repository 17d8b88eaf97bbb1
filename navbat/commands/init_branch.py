"""`navbat init-branch DIR`: a copy of the demo branch file to edit."""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("init-branch", help="write a copy of the demo branch file to edit (DIR/branches.yaml)")
    p.add_argument("dir", help="folder to write branches.yaml into")
    p.add_argument("--force", action="store_true", help="overwrite an existing branches.yaml")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from navbat.commands._common import Refused
    from navbat.foundation.config import DEFAULT_CONFIG

    folder = Path(args.dir)
    target = folder / "branches.yaml"
    if folder.exists() and not folder.is_dir():
        raise Refused(f"{folder} is a file, not a folder")
    if target.exists() and not args.force:
        print(f"navbat init-branch: {target} exists (--force to overwrite)", file=sys.stderr)
        return 1
    made = [p for p in [folder, *folder.parents] if not p.exists()]
    try:
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(DEFAULT_CONFIG, target)
    except OSError as exc:
        for p in made:  # innermost first: leave nothing half-made
            try:
                p.rmdir()
            except OSError:
                break
        raise Refused(f"cannot write {target} ({exc.strerror or exc})") from None
    print(f"wrote {target}: edit it, then `navbat hub --config {target}`")
    return 0
