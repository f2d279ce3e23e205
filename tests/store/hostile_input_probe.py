#!/usr/bin/env python3
"""Hostile input against real processes: a chainnode (on a free port) and a webapp in front of it.
Each probe is sent over a raw socket and must get a 4xx whose body names the fault; after each, the
node's chain, pool and peers are what they were, and both processes still answer.

usage: hostile_input_probe.py CHAINNODE WEBAPP WORKDIR
"""
import json
import os
import shutil
import sys
import time
import urllib.request

from http_probe import exchange, free_port, get, node_state, raw_request, start, wait_for

READ_TIMEOUT_S = 2  # chainnode --read-timeout: a request not complete by then gets 408


def request(method, target, body=b'', headers=()):
    return raw_request(method, target, headers=headers, body=body)


DEEP = '[' * 100000 + ']' * 100000
NODE_PROBES = [
    ('invalid UTF-8 in a body', request('POST', '/new_transaction',
                                        b'{"author": "\xff\xfe", "content": "x"}')),
    ('invalid UTF-8 in a key', request('POST', '/new_transaction',
                                       b'{"auth\xc3": "a", "content": "x"}')),
    ('UTF-8 of a surrogate', request('POST', '/new_transaction',
                                     b'{"author": "\xed\xa0\x80", "content": "x"}')),
    ('lone high surrogate', request('POST', '/new_transaction',
                                    '{"author": "\\ud800", "content": "x"}')),
    ('lone low surrogate', request('POST', '/new_transaction',
                                   '{"author": "a", "content": "\\udc00"}')),
    ('integer past 64 bits', request('POST', '/new_transaction',
                                     '{"author": "a", "content": "x", "n": 1' + '0' * 400 + '}')),
    ('number out of range', request('POST', '/new_transaction',
                                    '{"author": "a", "content": "x", "timestamp": 1e400}')),
    ('deep nesting', request('POST', '/new_transaction', DEEP)),
    ('deep nesting in a block', request('POST', '/add_block', '{"transactions": ' + DEEP + '}')),
    ('wrong types', request('POST', '/new_transaction', '{"author": 5, "content": ["x"]}')),
    ('not an object', request('POST', '/new_transaction', '"author"')),
    ('duplicate keys', request('POST', '/new_transaction',
                               '{"author": "a", "content": "x", "content": "y"}')),
    ('a block of wrong types', request('POST', '/add_block',
                                       '{"index": "1", "transactions": {}, "nonce": -1}')),
    ('a peer address of the wrong type', request('POST', '/register_node', '{"node_address": 5}')),
    ('a peer address that is no URL', request('POST', '/register_with',
                                              '{"node_address": "http://x/../../etc"}')),
    ('a bad block hash', request('GET', '/block/' + 'Z' * 64)),
    ('invalid UTF-8 in a path', request('GET', '/\xff\xfe')),
    ('invalid UTF-8 in a query', request('GET', '/chai\xe9?x=\xff')),
    ('invalid UTF-8 in a header', request('GET', '/chain', headers=[('X-Name', '\xff\xfe')])),
    ('invalid UTF-8 in the method', b'G\xffT /chain HTTP/1.1\r\nHost: x\r\n\r\n'),
    ('a wrong method', request('DELETE', '/chain')),
    ('an unknown route', request('GET', '/admin')),
    ('huge headers', request('GET', '/chain', headers=[('X-Big', 'a' * 20000)])),
    ('a huge body', request('POST', '/new_transaction', b'{"author": "' + b'a' * (2 << 20))),
    ('a negative Content-Length', b'POST /add_block HTTP/1.1\r\nContent-Length: -5\r\n\r\nxx'),
    ('a bad chunk size', b'POST /add_block HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'),
    ('a truncated body', b'POST /new_transaction HTTP/1.1\r\nContent-Length: 100\r\n\r\n{"a'),
    ('garbage on the socket', bytes(range(256)) * 4),
    ('a TLS hello', b'\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03' + os.urandom(64)),
    ('a bare line', b'hello\r\n\r\n'),
]
WEB_PROBES = [
    ('invalid UTF-8 in a path', request('GET', '/api/\xff')),
    ('invalid UTF-8 in a page path', request('GET', '/\xff.html')),
    ('invalid UTF-8 in a forwarded body', request('POST', '/api/new_transaction',
                                                  b'{"author": "\xff", "content": "x"}')),
    ('a lone surrogate forwarded', request('POST', '/api/new_transaction',
                                           '{"author": "\\udfff", "content": "x"}')),
    ('duplicate keys forwarded', request('POST', '/api/new_transaction',
                                         '{"author": "a", "author": "b", "content": "x"}')),
    ('a body over the app limit', request('POST', '/api/new_transaction', 'x' * (65 << 10))),
    ('a peer route', request('POST', '/api/add_block', '{}')),
    ('a bad block hash', request('GET', '/api/block/zz')),
    ('a wrong method', request('POST', '/api/feed')),
    ('huge headers', request('GET', '/api/feed', headers=[('X-Big', 'a' * 20000)])),
    ('garbage on the socket', bytes(range(256)) * 4),
]


def probe(name, port, data, before, node_port, failures, **how):
    status, _, body = exchange(port, data, **how)
    state = node_state(node_port)
    ok = status is not None and 400 <= status < 500 and body.strip() and state == before
    print(f'{"ok  " if ok else "FAIL"} {status} {name}: {body[:120]!r}')
    if state != before:
        print('     the node changed')
    if not ok:
        failures.append(name)


def main():
    chainnode, webapp, work = sys.argv[1:4]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    port_file = os.path.join(work, 'port')
    web_port = free_port()
    with open(os.path.join(work, 'chainnode.log'), 'w') as node_log, \
            open(os.path.join(work, 'webapp.log'), 'w') as web_log:
        node = start([chainnode, '--port', '0', '--port-file', port_file,
                      '--read-timeout', str(READ_TIMEOUT_S)], node_log)
        web = None
        try:
            for _ in range(100):
                if os.path.exists(port_file) and open(port_file).read().strip():
                    break
                time.sleep(0.1)
            node_port = int(open(port_file).read())
            web = start([webapp, '--port', str(web_port),
                         '--node', f'http://127.0.0.1:{node_port}'], web_log)
            wait_for(node_port)
            wait_for(web_port)
            # Something to lose: a mined block and a pending post.
            for content in ('mined', 'pending'):
                post = json.dumps({'author': 'alice', 'content': content}).encode()
                urllib.request.urlopen(urllib.request.Request(
                    f'http://127.0.0.1:{node_port}/new_transaction', post,
                    {'Content-Type': 'application/json'}), timeout=10)
                if content == 'mined':
                    get(node_port, '/mine')
            before = node_state(node_port)
            failures = []
            for name, data in NODE_PROBES:
                probe('chainnode: ' + name, node_port, data, before, node_port, failures)
            probe('chainnode: a slow body', node_port,
                  b'POST /new_transaction HTTP/1.1\r\nContent-Length: 50\r\n\r\n{"author"', before,
                  node_port, failures, half_close=False, pause_s=READ_TIMEOUT_S + 1)
            for name, data in WEB_PROBES:
                probe('webapp: ' + name, web_port, data, before, node_port, failures)
            for port, what in ((node_port, 'chainnode'), (web_port, 'webapp')):
                status, _ = get(port, '/status' if port == node_port else '/api/info')
                if status != 200:
                    failures.append(f'{what} no longer answers')
            if node.poll() is not None or web.poll() is not None:
                failures.append('a process exited')
            print(f'{len(NODE_PROBES) + 1 + len(WEB_PROBES)} probes, {len(failures)} failed')
            return 1 if failures else 0
        finally:
            for process in (node, web):
                if process:
                    process.terminate()
                    process.wait(timeout=10)


if __name__ == '__main__':
    sys.exit(main())
