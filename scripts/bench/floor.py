"""The floor of a patchmod command: the least a Python program doing the
same job must do, run as a process like the command itself.

    python floor.py libcst ROOT LIST [TEXT...]   # git grep -l -F -e TEXT... (or, without
                                               # TEXT, git diff --name-only HEAD), then
                                               # libcst parse + regenerate of each file
                                               # in LIST (one path a line; "@REV:path"
                                               # reads that blob)
    python floor.py ast ROOT TEXT...            # git grep -l -F -e TEXT..., then read and
                                               # ast.parse every file it lists

Prints one JSON object: the seconds of the start-up and imports, of git and
of the parsing, as this process measured them.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

START = time.perf_counter()


def main() -> None:
    mode, root = sys.argv[1], sys.argv[2]
    if mode == "libcst":
        import libcst as cst

        listed, texts = sys.argv[3], sys.argv[4:]
    else:
        texts = sys.argv[3:]
    imported = time.perf_counter()
    if texts:
        command = ["git", "grep", "-l", "-F", *(a for t in texts for a in ("-e", t)), "--", "*.py"]
    else:
        command = ["git", "diff", "--name-only", "HEAD", "--", "*.py"]
    found = subprocess.run(command, cwd=root, capture_output=True, text=True).stdout.split()
    grepped = time.perf_counter()
    if mode == "libcst":
        with open(listed, encoding="utf-8") as fh:
            paths = [line.strip() for line in fh if line.strip()]
        for path in paths:
            if path.startswith("@"):
                source = subprocess.run(["git", "show", path[1:]], cwd=root, capture_output=True,
                                        text=True, check=True).stdout
            else:
                with open(f"{root}/{path}", encoding="utf-8") as fh:
                    source = fh.read()
            if cst.parse_module(source).code != source:
                raise SystemExit(f"{path}: libcst did not round-trip it")
    else:
        import ast

        for path in found:
            with open(f"{root}/{path}", encoding="utf-8") as fh:
                ast.parse(fh.read())
    done = time.perf_counter()
    print(json.dumps({"startup_s": imported - START, "git_s": grepped - imported, "parse_s": done - grepped,
                      "files": len(found)}))


if __name__ == "__main__":
    main()
