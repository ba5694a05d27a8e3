#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""validate_json.py: checks JSON documents against a JSON Schema (draft 7),
with Debian's python3-jsonschema.

Usage: validate_json.py SCHEMA [--lines] [--dir DIR [--consume]] [FILE...]

  --lines    each non-empty line of a file is one document (JSON Lines, as
             leakscope's reports); otherwise each file is one document.
  --dir DIR  also every file directly in DIR (the report archive the test
             support fills: tests/support/archive.c).
  --consume  delete the files of --dir once checked and all valid, so the
             next run checks only what was written since.

Prints one line per invalid document (file:line: where: what) and exits 1
if there was any, 0 otherwise; 77 (CTest's skip) without jsonschema.
"""
import json
import os
import sys

try:
    import jsonschema
except ImportError:
    print("validate_json.py: python3-jsonschema is not installed; skipped "
          "(apt-get install python3-jsonschema)")
    sys.exit(77)


def main(argv):
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[0]) as f:
        schema = json.load(f)
    jsonschema.Draft7Validator.check_schema(schema)
    validator = jsonschema.Draft7Validator(schema)
    lines, consume, files, args = False, False, [], argv[1:]
    archive = None
    while args:
        a = args.pop(0)
        if a == "--lines":
            lines = True
        elif a == "--consume":
            consume = True
        elif a == "--dir":
            archive = args.pop(0)
        else:
            files.append(a)
    archived = []
    if archive and os.path.isdir(archive):
        archived = sorted(os.path.join(archive, n) for n in os.listdir(archive))
    docs = bad = 0
    for path in files + archived:
        with open(path, encoding="utf-8", errors="surrogateescape") as f:
            text = f.read()
        chunks = enumerate(text.split("\n"), 1) if lines else [(1, text)]
        for lineno, chunk in chunks:
            if not chunk.strip():
                continue
            docs += 1
            try:
                doc = json.loads(chunk)
            except ValueError as e:
                print(f"{path}:{lineno}: not JSON: {e}")
                bad += 1
                continue
            errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
            for e in errors[:5]:
                where = "/".join(str(p) for p in e.path) or "(top)"
                print(f"{path}:{lineno}: {where}: {e.message[:300]}")
            bad += bool(errors)
    # Invalid reports stay for a look (and the next run checks them again).
    if consume and not bad:
        for path in archived:
            os.unlink(path)
    print(f"validate_json.py: {docs} documents from {len(files) + len(archived)} files, "
          f"{bad} invalid")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
