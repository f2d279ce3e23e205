# SPDX-License-Identifier: MIT
"""A minimal node of the tutorial's protocol in Python/Flask, for interop tests against chainnode.

Written from ../../../../shared/PROTOCOL.md (the wire contract), not from the tutorial's code: the
same routes, bodies and answers as the reference node_server.py, with the reference's bugs fixed
(consensus keeps Block objects, chains are validated without mutating them, /add_block names its
reason, /register_with fetches only http://host:port addresses and does not echo what it fetched).
State lives in memory. Outgoing requests use `requests`, which honours http_proxy/no_proxy.

Run, in this folder: FLASK_APP=node_server.py python3 -m flask run --host 127.0.0.1 --port 8000
"""
import json
import re
import threading
import time
from hashlib import sha256

import requests
from flask import Flask, Response, request

DIFFICULTY = 2  # leading hex zeros of a block's hash
PEER_TIMEOUT = 10  # seconds for each request to a peer
BLOCK_FIELDS = ("index", "transactions", "timestamp", "previous_hash", "nonce")
JSON_HEADERS = {"Content-Type": "application/json"}


class Block:
    def __init__(self, index, transactions, timestamp, previous_hash, nonce=0):
        self.index = index
        self.transactions = transactions
        self.timestamp = timestamp
        self.previous_hash = previous_hash
        self.nonce = nonce

    def compute_hash(self):
        # The hash covers every field but the hash itself, canonically: json.dumps with sorted keys.
        fields = {key: value for key, value in self.__dict__.items() if key != "hash"}
        return sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()

    @staticmethod
    def from_wire(data):
        """A block from its JSON form (with "hash"); raises ValueError when a field is missing."""
        if not isinstance(data, dict) or any(key not in data for key in BLOCK_FIELDS + ("hash",)):
            raise ValueError("a block needs " + ", ".join(BLOCK_FIELDS) + " and hash")
        block = Block(*(data[key] for key in BLOCK_FIELDS))
        block.hash = data["hash"]
        return block


def genesis_block():
    block = Block(0, [], 0, "0", 0)
    block.hash = block.compute_hash()
    return block


def proof_problem(block, proof):
    """Why `proof` is not the valid hash of `block`, or None."""
    if not isinstance(proof, str) or not proof.startswith("0" * DIFFICULTY):
        return "its hash does not start with {} zeros".format(DIFFICULTY)
    if proof != block.compute_hash():
        return "its hash is not the hash of its contents"
    return None


def link_problem(block, parent):
    """Why `block` cannot follow `parent`, or None."""
    if block.previous_hash != parent.hash:
        return "its previous_hash is not the hash of block #{}".format(parent.index)
    if type(block.index) is not int or block.index != parent.index + 1:
        return "its index is not {}".format(parent.index + 1)
    return None


def chain_from_dump(dump):
    """Block objects from a GET /chain "chain" list, validated; raises ValueError naming the fault."""
    if not isinstance(dump, list) or not dump:
        raise ValueError("the chain is not a non-empty list")
    blocks = [Block.from_wire(data) for data in dump]
    genesis = genesis_block()
    if blocks[0].__dict__ != genesis.__dict__ or blocks[0].compute_hash() != genesis.hash:
        raise ValueError("block 0 is not the genesis block")
    for parent, block in zip(blocks, blocks[1:]):
        problem = link_problem(block, parent) or proof_problem(block, block.hash)
        if problem:
            raise ValueError("block {}: {}".format(block.index, problem))
    return blocks


class Blockchain:
    def __init__(self):
        self.chain = [genesis_block()]
        self.unconfirmed_transactions = []

    @property
    def last_block(self):
        return self.chain[-1]

    def add_block(self, block, proof):
        """Appends `block` if it extends the tip with a valid proof; else says why not."""
        problem = link_problem(block, self.last_block) or proof_problem(block, proof)
        if problem:
            return problem
        block.hash = proof
        self.chain.append(block)
        return None

    @staticmethod
    def proof_of_work(block):
        block.nonce = 0
        digest = block.compute_hash()
        while not digest.startswith("0" * DIFFICULTY):
            block.nonce += 1
            digest = block.compute_hash()
        return digest

    def mine(self):
        """Mines the pending transactions into a block; returns it, or None when there are none."""
        if not self.unconfirmed_transactions:
            return None
        last = self.last_block
        block = Block(last.index + 1, self.unconfirmed_transactions, time.time(), last.hash)
        self.add_block(block, self.proof_of_work(block))
        self.unconfirmed_transactions = []
        return block


app = Flask(__name__)
blockchain = Blockchain()
peers = {}  # address with its trailing slash -> None: a set that keeps its order
# Flask serves requests on several threads: state changes under this lock, never held while
# waiting for a peer (two nodes calling each other would wait on each other).
lock = threading.Lock()


def json_answer(value, status=200):
    return Response(json.dumps(value), status=status, mimetype="application/json")


def text_answer(text, status=200):
    return Response(text, status=status, mimetype="text/html")


def request_object():
    data = request.get_json(force=True, silent=True)
    return data if isinstance(data, dict) else None


def peer_address(value):
    """"http://host:port" or "http://host:port/" -> "http://host:port/"; None for anything else."""
    if not isinstance(value, str):
        return None
    match = re.fullmatch(r"http://([A-Za-z0-9.-]+):([0-9]{1,5})/?", value)
    if not match or not 0 < int(match.group(2)) < 65536:
        return None
    return "http://{}:{}/".format(match.group(1), match.group(2))


def own_address():
    return peer_address(request.host_url)


def chain_answer():
    with lock:
        body = {
            "length": len(blockchain.chain),
            "chain": [block.__dict__ for block in blockchain.chain],
            "peers": list(peers),
        }
        return json_answer(body)


def consensus():
    """Adopts the longest valid chain among the peers' if longer than ours; True if it did."""
    with lock:
        targets = list(peers)
        best_length = len(blockchain.chain)
    best = None
    for peer in targets:
        try:
            dump = requests.get(peer + "chain", timeout=PEER_TIMEOUT).json()["chain"]
            if isinstance(dump, list) and len(dump) > best_length:
                best = chain_from_dump(dump)
                best_length = len(best)
        except (requests.RequestException, ValueError, KeyError, TypeError):
            continue  # an unreachable peer or a bad chain: skip it
    with lock:
        if best is None or len(best) <= len(blockchain.chain):
            return False
        blockchain.chain = best
        return True


def announce_new_block(block):
    with lock:
        targets = list(peers)
    body = json.dumps(block.__dict__, sort_keys=True)
    for peer in targets:
        try:
            requests.post(peer + "add_block", data=body, headers=JSON_HEADERS, timeout=PEER_TIMEOUT)
        except requests.RequestException:
            pass  # the peer catches up at its next consensus


@app.route("/new_transaction", methods=["POST"])
def new_transaction():
    data = request_object()
    if data is None or not all(data.get(field) for field in ("author", "content")):
        return text_answer("Invalid transaction data", 404)
    data["timestamp"] = time.time()
    with lock:
        blockchain.unconfirmed_transactions.append(data)
    return text_answer("Success", 201)


@app.route("/chain", methods=["GET"])
def get_chain():
    return chain_answer()


@app.route("/mine", methods=["GET"])
def mine_unconfirmed_transactions():
    with lock:
        mined = blockchain.mine()
        length = len(blockchain.chain)
    if mined is None:
        return text_answer("No transactions to mine")
    consensus()
    # As the reference: announce our block only if no longer chain replaced it meanwhile.
    with lock:
        still_ours = len(blockchain.chain) == length and blockchain.last_block is mined
        index = blockchain.last_block.index
    if still_ours:
        announce_new_block(mined)
    return text_answer("Block #{} is mined.".format(index))


@app.route("/pending_tx", methods=["GET"])
def get_pending_tx():
    with lock:
        return json_answer(blockchain.unconfirmed_transactions)


@app.route("/register_node", methods=["POST"])
def register_new_peers():
    data = request_object()
    address = peer_address(data.get("node_address")) if data else None
    if not address:
        return text_answer("Invalid data", 400)
    if address != own_address():
        with lock:
            peers[address] = None
    return chain_answer()


@app.route("/register_with", methods=["POST"])
def register_with_existing_node():
    data = request_object()
    address = peer_address(data.get("node_address")) if data else None
    if not address:
        return text_answer("Invalid data: node_address must be http://host:port", 400)
    me = own_address()
    try:
        response = requests.post(
            address + "register_node",
            data=json.dumps({"node_address": request.host_url}),
            headers=JSON_HEADERS,
            timeout=PEER_TIMEOUT,
        )
    except requests.RequestException:
        return text_answer("Registration failed: the node did not answer", 502)
    if response.status_code != 200:
        # Its status only: echoing its body would let a caller read whatever any host answers.
        status = response.status_code
        return text_answer("Registration failed: the node answered {}".format(status), 502)
    try:
        answer = response.json()
        chain = chain_from_dump(answer["chain"])
    except (ValueError, KeyError, TypeError):
        return text_answer("Registration failed: the node's chain is not valid", 502)
    with lock:
        blockchain.chain = chain  # as the reference: the joining node takes the network's chain
        peers[address] = None
        for other in answer.get("peers", []) if isinstance(answer.get("peers"), list) else []:
            other = peer_address(other)
            if other and other != me:
                peers[other] = None
    return text_answer("Registration successful")


@app.route("/add_block", methods=["POST"])
def verify_and_add_block():
    try:
        block = Block.from_wire(request_object())
    except ValueError as error:
        return text_answer("The block was discarded by the node: {}".format(error), 400)
    with lock:
        problem = blockchain.add_block(block, block.hash)
    if problem:
        return text_answer("The block was discarded by the node: {}".format(problem), 400)
    return text_answer("Block added to the chain", 201)
