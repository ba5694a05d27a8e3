# SPDX-License-Identifier: MIT
# py_clean.py: a program that leaks nothing, using the parts of the
# standard library services use: json, sqlite3, hashlib, threads (joined),
# tempfile, ssl and subprocess. Its exit report must have no definitely
# lost memory and no fd.
import hashlib
import json
import os
import sqlite3
import ssl
import subprocess
import tempfile
import threading


def work(i, out):
    out[i] = hashlib.sha256(json.dumps({"i": i, "v": list(range(100))}).encode()).hexdigest()


def main():
    db = sqlite3.connect(":memory:")
    db.execute("create table t (k integer primary key, v text)")
    db.executemany("insert into t values (?, ?)", [(i, str(i) * 10) for i in range(200)])
    rows = db.execute("select count(*) from t").fetchone()[0]
    db.close()

    out = [None] * 4
    threads = [threading.Thread(target=work, args=(i, out)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    with tempfile.NamedTemporaryFile("w+") as f:
        f.write(json.dumps(out))
        f.flush()

    ctx = ssl.create_default_context()
    proc = subprocess.run(["/bin/true"], check=True)
    print(rows, len(out), ctx.verify_mode, proc.returncode)


main()
