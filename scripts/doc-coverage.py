#!/usr/bin/env python3
"""Counts the public (and open) declarations under Sources/ that carry a `///` comment.

    scripts/doc-coverage.py [--min PERCENT] [--list]

Exits 1 when the share is under --min (make lint runs it with 95). A declaration is documented
when the lines above it (past its attributes) end in a `///` comment. Extensions are not
declarations; a protocol requirement implemented by a public member counts like any other.
"""
import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "Sources")
DECLARATION = re.compile(
    r"^\s*(?:@[\w.]+(?:\([^)]*\))?\s+)*(?:public|open)\s+(?!extension\b)(?:(?:final|static|class|override|mutating|nonisolated|convenience|required|indirect|private\(set\)|fileprivate\(set\)|internal\(set\))\s+)*"
    r"(func|var|let|init|struct|class|enum|protocol|actor|typealias|subscript|case)\b")
ATTRIBUTE = re.compile(r"^\s*@[\w.]+(?:\(.*\))?\s*$")


def declarations(path):
    lines = open(path, encoding="utf-8").read().split("\n")
    for number, line in enumerate(lines):
        if not DECLARATION.match(line):
            continue
        above = number - 1
        while above >= 0 and ATTRIBUTE.match(lines[above]):
            above -= 1
        documented = above >= 0 and (lines[above].strip().startswith("///") or lines[above].strip().endswith("*/"))
        yield number + 1, line.strip(), documented


def main():
    minimum = float(sys.argv[sys.argv.index("--min") + 1]) if "--min" in sys.argv else 0
    listing = "--list" in sys.argv
    total = documented = 0
    for directory, _, files in sorted(os.walk(ROOT)):
        for name in sorted(files):
            if not name.endswith(".swift"):
                continue
            path = os.path.join(directory, name)
            for number, text, has_doc in declarations(path):
                total += 1
                documented += has_doc
                if listing and not has_doc:
                    print(f"{os.path.relpath(path, os.path.dirname(ROOT))}:{number}: {text}")
    share = 100.0 * documented / max(1, total)
    print(f"doc coverage: {documented} of {total} public declarations have a /// comment ({share:.1f}%, minimum {minimum:.0f}%)")
    return 0 if share >= minimum else 1


if __name__ == "__main__":
    sys.exit(main())
