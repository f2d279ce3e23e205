#!/usr/bin/env python3
"""The Python reference's chain validation, for a same-run baseline (bench/validation_bench).

  validation_baseline.py make FILE [BLOCKS]   writes a mined GET /chain body of BLOCKS blocks
                                              (default 10,000; two posts each, about 5 MB),
                                              as the reference node's json.dumps writes it
  validation_baseline.py prefix FILE N OUT    writes FILE's first N blocks as a body to OUT
  validation_baseline.py time FILE [N ...]    validates FILE's chain, and its first N blocks
                                              for each N given, the reference's way in-process:
                                              json.loads, then per block
                                              json.dumps(block without hash, sort_keys=True) +
                                              SHA-256 + difficulty + link check; prints one
                                              JSON line per length with the best of REPEAT
                                              (environment, default 5) wall and CPU times in
                                              seconds
Deterministic: the same BLOCKS give the same file.
"""
import hashlib
import json
import os
import sys
import time

DIFFICULTY = 2  # hex digits, the reference's
GENESIS = {"index": 0, "transactions": [], "timestamp": 0, "previous_hash": "0", "nonce": 0}


def block_hash(block):
    return hashlib.sha256(json.dumps(block, sort_keys=True).encode()).hexdigest()


def make(path, blocks):
    genesis = dict(GENESIS)
    genesis["hash"] = block_hash(GENESIS)
    chain = [genesis]
    for index in range(1, blocks + 1):
        stamp = 1_800_000_000 + index * 600.25
        posts = [{"author": "author%d" % (index % 97),
                  "content": ("post %d.%d " % (index, k)) + "lorem ipsum dolor sit amet " * 4,
                  "timestamp": stamp - 1.5 + k * 0.125} for k in range(2)]
        block = {"index": index, "transactions": posts, "timestamp": stamp,
                 "previous_hash": chain[-1]["hash"], "nonce": 0}
        while True:
            digest = block_hash(block)
            if digest.startswith("0" * DIFFICULTY):
                break
            block["nonce"] += 1
        block["hash"] = digest
        chain.append(block)
    with open(path, "w") as out:
        out.write(json.dumps({"length": len(chain), "chain": chain, "peers": []}))


def validate(text):
    """The reference's check_chain_validity on a /chain body, plus the genesis."""
    chain = json.loads(text)["chain"]
    previous_hash = "0"
    for position, block in enumerate(chain):
        block = dict(block)
        stored = block.pop("hash")
        digest = hashlib.sha256(json.dumps(block, sort_keys=True).encode()).hexdigest()
        if digest != stored:
            return False
        if position > 0 and (not stored.startswith("0" * DIFFICULTY)
                             or block["previous_hash"] != previous_hash):
            return False
        previous_hash = stored
    return True


def prefix(path, length, out_path):
    with open(path) as source:
        chain = json.load(source)["chain"][:length]
    with open(out_path, "w") as out:
        out.write(json.dumps({"length": len(chain), "chain": chain, "peers": []}))


def time_validation(path, lengths):
    with open(path) as source:
        full = source.read()
    body = json.loads(full)
    repeat = int(os.environ.get("REPEAT", "5"))
    for length in lengths + [len(body["chain"])]:
        if length == len(body["chain"]):
            text = full
        else:
            chain = body["chain"][:length]
            text = json.dumps({"length": len(chain), "chain": chain, "peers": []})
        best = best_cpu = float("inf")
        for _ in range(repeat):
            start, start_cpu = time.perf_counter(), time.process_time()
            valid = validate(text)
            best = min(best, time.perf_counter() - start)
            best_cpu = min(best_cpu, time.process_time() - start_cpu)
        if not valid:
            sys.exit("validation_baseline: the chain is not valid")
        print(json.dumps({"blocks": length, "bytes": len(text), "seconds": best,
                          "cpu_seconds": best_cpu}), flush=True)


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "make":
        make(sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 10_000)
    elif len(sys.argv) == 5 and sys.argv[1] == "prefix":
        prefix(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    elif len(sys.argv) >= 3 and sys.argv[1] == "time":
        time_validation(sys.argv[2], [int(n) for n in sys.argv[3:]])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
