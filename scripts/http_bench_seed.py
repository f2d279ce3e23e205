#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Gives the nodes of scripts/http_bench.sh the same chain: mines BLOCKS blocks of POSTS posts each
on a chainnode, then hands every one of its blocks, in order, to each Flask node's POST /add_block
(no peers are registered, so neither node contacts the other afterwards). Prints the chain's length.

Usage: http_bench_seed.py CHAINNODE_URL BLOCKS POSTS [FLASK_URL...]
"""
import json
import sys
import urllib.request

# The benchmark talks to loopback nodes directly, whatever proxy the environment names.
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
TIMEOUT = 30  # seconds for any single request


def call(url, body=None):
    data = None if body is None else body.encode()
    headers = {} if body is None else {"Content-Type": "application/json"}
    request = urllib.request.Request(url, data=data, headers=headers,
                                     method="GET" if body is None else "POST")
    with opener.open(request, timeout=TIMEOUT) as response:
        return response.read().decode()


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    node, blocks, posts = sys.argv[1].rstrip("/"), int(sys.argv[2]), int(sys.argv[3])
    flasks = [url.rstrip("/") for url in sys.argv[4:]]
    for block in range(blocks):
        for post in range(posts):
            call(node + "/new_transaction",
                 json.dumps({"author": "seed", "content": "block {} post {}".format(block, post)}))
        call(node + "/mine")
    chain = json.loads(call(node + "/chain"))["chain"]
    for flask in flasks:
        for block in chain[1:]:
            call(flask + "/add_block", json.dumps(block, sort_keys=True))
        copied = json.loads(call(flask + "/chain"))["chain"]
        if [b["hash"] for b in copied] != [b["hash"] for b in chain]:
            sys.exit("http_bench_seed: {} did not take the chain".format(flask))
    print(len(chain))


if __name__ == "__main__":
    main()
