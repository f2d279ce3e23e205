#!/usr/bin/env python3
"""`chaintool verify` as a user runs it, on chains written the reference's way (json.dumps of each
block, its hash the SHA-256 of json.dumps(sort_keys=True) without "hash"): the verdict, its text
and exit code are the same for any thread count, from a file or stdin, on chains long enough to
be scanned on several threads, valid or broken in either half.

usage: chaintool_verify_test.py CHAINTOOL WORKDIR"""
import hashlib
import json
import os
import subprocess
import sys


def block_hash(block):
    return hashlib.sha256(json.dumps(block, sort_keys=True).encode()).hexdigest()


def chain(blocks):
    genesis = {"index": 0, "transactions": [], "timestamp": 0, "previous_hash": "0", "nonce": 0}
    genesis["hash"] = block_hash(genesis)
    out = [genesis]
    for i in range(1, blocks):
        posts = [{"author": f"author{i}", "content": f"post {i}.{k} " + "lorem ipsum " * 20,
                  "timestamp": 1800000000 + i + k / 8} for k in range(2)]
        block = {"index": i, "transactions": posts, "timestamp": 1800000000.25 + i,
                 "previous_hash": out[-1]["hash"], "nonce": i}
        block["hash"] = block_hash(block)
        out.append(block)
    return out


def run(tool, args, stdin=None):
    result = subprocess.run([tool, "verify", "--difficulty", "0", *args], input=stdin,
                            capture_output=True, text=True)
    return result.returncode, result.stdout, result.stderr


def main():
    tool, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    failures = []

    def check(name, condition, detail=""):
        if not condition:
            failures.append(f"{name}: {detail}")

    blocks = chain(17000)  # about 9.4 MB: scanned on two threads and more (a part is 4 MiB at least)
    cases = {"valid": (blocks, 0)}
    early, late = json.loads(json.dumps(blocks)), json.loads(json.dumps(blocks))
    early[700]["transactions"][1]["content"] = "forged"
    late[14000]["transactions"][0]["content"] = "forged"
    both = json.loads(json.dumps(late))
    both[700]["transactions"][1]["content"] = "forged"
    relinked = json.loads(json.dumps(blocks))
    relinked[12000]["previous_hash"] = relinked[10]["hash"]
    cases.update({"early": (early, 1), "late": (late, 1), "both": (both, 1),
                  "relinked": (relinked, 1)})
    for name, (body_blocks, code) in cases.items():
        text = json.dumps({"length": len(body_blocks), "chain": body_blocks, "peers": []})
        path = os.path.join(work, f"{name}.json")
        with open(path, "w") as f:
            f.write(text)
        outcomes = {threads: run(tool, ["-t", threads, path]) for threads in ("1", "2", "3", "8")}
        outcomes["stdin"] = run(tool, ["-t", "2", "-"], stdin=text)
        first = outcomes["1"]
        check(name, first[0] == code, f"exit {first[0]}, expected {code}: {first[1]}{first[2]}")
        for threads, outcome in outcomes.items():
            check(f"{name} -t {threads}", outcome == first, f"{outcome} against {first}")
        if name == "valid":
            check(name, first[1].startswith(f"valid: {len(blocks)} blocks"), first[1])
        if name in ("early", "both"):
            check(name, "position 700 " in first[1], first[1])
        if name == "late":
            check(name, "position 14000 " in first[1], first[1])
    code, out, err = run(tool, [os.path.join(work, "no such file.json")])
    check("missing file", code == 2 and "cannot read" in err, f"exit {code}: {out}{err}")
    for failure in failures:
        print("FAIL", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
