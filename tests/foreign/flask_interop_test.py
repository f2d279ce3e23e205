#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""One chainnode and one Flask node (flask_node/node_server.py) on free loopback ports: registered
with each other both ways, a post mined on each, then both must serve the same chain and list each
other as peers. Exits 0 on success, 1 (printing both nodes' logs) on any mismatch.

Usage: flask_interop_test.py --chainnode PATH --flask-node DIR --work DIR
"""
import argparse
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

CAP = 20  # seconds any single wait may take

# The test talks to the nodes directly, whatever proxy the environment names.
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class Failure(Exception):
    pass


def call(address, method, path, body=None):
    """(status, text) of a request to a node; status 0 when it did not answer."""
    data = None if body is None else json.dumps(body).encode()
    headers = {} if body is None else {"Content-Type": "application/json"}
    req = urllib.request.Request(address + path, data=data, method=method, headers=headers)
    try:
        with opener.open(req, timeout=CAP) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except OSError as error:
        return 0, str(error)


def expect(address, method, path, body, status, text=None):
    got_status, got_text = call(address, method, path, body)
    if got_status != status or (text is not None and got_text != text):
        raise Failure("{} {}{}: got {} {!r}, expected {} {!r}".format(
            method, address, path, got_status, got_text, status, text))
    return got_text


def wait_until(condition, what):
    deadline = time.monotonic() + CAP
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise Failure("timed out waiting for " + what)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def chain_of(address):
    status, text = call(address, "GET", "/chain")
    return json.loads(text) if status == 200 else None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--chainnode", required=True)
    parser.add_argument("--flask-node", required=True)
    parser.add_argument("--work", required=True)
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    # Hermetic: both nodes reach each other directly.
    env = {key: value for key, value in os.environ.items()
           if key.lower() not in ("http_proxy", "https_proxy", "all_proxy", "no_proxy")}
    port_file = os.path.join(args.work, "chainnode.port")
    if os.path.exists(port_file):
        os.remove(port_file)
    logs = {name: os.path.join(args.work, name + ".log") for name in ("chainnode", "flask")}
    children = []
    try:
        with open(logs["chainnode"], "w") as log:
            children.append(subprocess.Popen(
                [args.chainnode, "--port", "0", "--port-file", port_file, "--difficulty", "2"],
                stdout=log, stderr=subprocess.STDOUT, env=env))
        open(logs["flask"], "w").close()
        flask = None
        for _ in range(3):  # another process may take the free port before Flask binds it
            flask = "http://127.0.0.1:{}".format(free_port())
            with open(logs["flask"], "a") as log:
                children.append(subprocess.Popen(
                    [sys.executable, "-m", "flask", "run", "--host", "127.0.0.1",
                     "--port", flask.rsplit(":", 1)[1]],
                    cwd=args.flask_node, stdout=log, stderr=subprocess.STDOUT,
                    env=dict(env, FLASK_APP="node_server.py")))
            wait_until(lambda: chain_of(flask) is not None or children[-1].poll() is not None,
                       "the Flask node to start")
            if children[-1].poll() is None:
                break
        wait_until(lambda: os.path.exists(port_file) or children[0].poll() is not None,
                   "chainnode's port file")
        if not os.path.exists(port_file):
            raise Failure("chainnode did not start")
        with open(port_file) as port:
            chainnode = "http://127.0.0.1:{}".format(int(port.read()))
        for address in (chainnode, flask):
            wait_until(lambda: chain_of(address) is not None, address + " to serve /chain")

        expect(chainnode, "POST", "/register_with", {"node_address": flask}, 200,
               "Registration successful")
        expect(flask, "POST", "/register_with", {"node_address": chainnode}, 200,
               "Registration successful")

        expect(chainnode, "POST", "/new_transaction",
               {"author": "alice", "content": "from chainnode"}, 201, "Success")
        expect(chainnode, "GET", "/mine", None, 200, "Block #1 is mined.")
        wait_until(lambda: chain_of(flask)["length"] == 2, "the Flask node to take block #1")
        expect(flask, "POST", "/new_transaction",
               {"author": "bob", "content": "from flask \u00e9\U0001F600", "score": 1.5}, 201,
               "Success")
        expect(flask, "GET", "/mine", None, 200, "Block #2 is mined.")
        expect(chainnode, "POST", "/new_transaction",
               {"author": "alice", "content": "again"}, 201, "Success")
        expect(chainnode, "GET", "/mine", None, 200, "Block #3 is mined.")

        def agree():
            ours, theirs = chain_of(chainnode), chain_of(flask)
            return ours and theirs and ours["length"] == theirs["length"] == 4 and \
                ours["chain"] == theirs["chain"]
        wait_until(agree, "both nodes to serve the same 4-block chain")
        ours, theirs = chain_of(chainnode), chain_of(flask)
        contents = [post["content"] for block in ours["chain"] for post in block["transactions"]]
        if contents != ["from chainnode", "from flask \u00e9\U0001F600", "again"]:
            raise Failure("unexpected posts on the chain: {!r}".format(contents))
        if ours["peers"] != [flask + "/"] or theirs["peers"] != [chainnode + "/"]:
            raise Failure("peers: chainnode {!r}, Flask {!r}".format(ours["peers"], theirs["peers"]))
        print("ok: chainnode {} and Flask node {} agree on a {}-block chain, tip {}".format(
            chainnode, flask, ours["length"], ours["chain"][-1]["hash"]))
        return 0
    except Failure as failure:
        print("FAIL:", failure)
        for child in children:
            if child.poll() is not None:
                print("exited early with status", child.returncode, child.args)
        for name, path in logs.items():
            with open(path) as log:
                print("--- {} log ---\n{}".format(name, log.read()))
        return 1
    finally:
        for child in children:
            child.terminate()
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


if __name__ == "__main__":
    sys.exit(main())
