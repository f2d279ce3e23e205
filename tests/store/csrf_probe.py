#!/usr/bin/env python3
"""CSRF, DNS rebinding and overload against real processes: a chainnode and a webapp in front of it.
Each hostile request is sent as curl or a browser would send it (raw socket, its own headers): it
must get a 4xx naming the reason, and the node's chain, pool and peers stay as they were. Then the
requests of non-browsers (no Origin, no Content-Type: the tutorial's Python nodes) and the page's own
same-origin requests must still work, a full pool must be a 503 with Retry-After on both, refusals
must be counted in /metrics, and a flood of refusals must not flood the log.

usage: csrf_probe.py CHAINNODE WEBAPP WORKDIR
"""
import json
import os
import re
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from http_probe import exchange, free_port, get, node_state, raw_request as raw, start, wait_for  # noqa: E402

MAX_PENDING = 4  # chainnode --max-pending-posts: small, to fill it
LOG_BURST = 20  # kLogBurstPerInterval: lines of one kind written per interval before summing
LOG_INTERVAL_S = 10  # kLogSummaryInterval


POST = json.dumps({'author': 'mallory', 'content': 'forged'})
TEXT = ('Content-Type', 'text/plain')


def node_probes(port, web_port):
    here = f'127.0.0.1:{port}'
    evil = ('Origin', 'http://evil.example')
    return [
        ('cross-origin text/plain POST /new_transaction', 403, 'foreign_origin',
         raw('POST', '/new_transaction', here, [TEXT, evil], POST)),
        ('cross-site POST without Origin', 403, 'cross_site_fetch',
         raw('POST', '/new_transaction', here, [TEXT, ('Sec-Fetch-Site', 'cross-site')], POST)),
        ('GET /mine from another origin', 403, 'foreign_origin',
         raw('GET', '/mine', here, [evil])),
        ('GET /mine from a cross-site image', 403, 'cross_site_fetch',
         raw('GET', '/mine', here, [('Sec-Fetch-Site', 'cross-site'), ('Sec-Fetch-Dest', 'image')])),
        ('GET /mine under a rebound name', 421, 'unknown_host',
         raw('GET', '/mine', f'evil.example:{port}', [('Sec-Fetch-Site', 'same-origin')])),
        ('POST under a rebound name', 421, 'unknown_host',
         raw('POST', '/new_transaction', f'evil.example:{port}',
             [TEXT, ('Origin', f'http://evil.example:{port}')], POST)),
        ('POST /register_with from another origin', 403, 'foreign_origin',
         raw('POST', '/register_with', here, [TEXT, evil],
             json.dumps({'node_address': 'http://127.0.0.1:9'}))),
        ('POST /sync from a sandboxed page', 403, 'foreign_origin',
         raw('POST', '/sync', here, [('Origin', 'null')])),
        ('POST /add_block from the same site', 403, 'same_site_fetch',
         raw('POST', '/add_block', here, [('Sec-Fetch-Site', 'same-site')], '{}')),
        ('the web app page making the node act', 403, 'foreign_origin',
         raw('POST', '/new_transaction', here, [TEXT, ('Origin', f'http://127.0.0.1:{web_port}')],
             POST)),
    ]


def web_probes(port, node_port):
    here = f'127.0.0.1:{port}'
    evil = ('Origin', 'http://evil.example')
    return [
        ('cross-origin text/plain POST /api/new_transaction', 403, 'foreign_origin',
         raw('POST', '/api/new_transaction', here, [TEXT, evil], POST)),
        ('GET /api/mine from a cross-site page', 403, 'cross_site_fetch',
         raw('GET', '/api/mine', here, [('Sec-Fetch-Site', 'cross-site')])),
        ('GET /api/mine from another port of localhost', 403, 'foreign_origin',
         raw('GET', '/api/mine', here, [('Origin', 'http://localhost:1')])),
        ('GET /api/mine under a rebound name', 421, 'unknown_host',
         raw('GET', '/api/mine', f'evil.example:{port}')),
        ('GET / under a rebound name', 421, 'unknown_host', raw('GET', '/', f'evil.example:{port}')),
        ('GET /api/feed under a rebound name', 421, 'unknown_host',
         raw('GET', '/api/feed', f'evil.example:{port}')),
        ('POST /api/register_with from the node\'s origin', 403, 'foreign_origin',
         raw('POST', '/api/register_with', here, [TEXT, ('Origin', f'http://127.0.0.1:{node_port}')],
             json.dumps({'node_address': 'http://127.0.0.1:9'}))),
    ]


def check(name, got, want, failures):
    ok = got == want
    print(f'{"ok  " if ok else "FAIL"} {name}: {got!r}' + ('' if ok else f' (want {want!r})'))
    if not ok:
        failures.append(name)


def main():
    chainnode, webapp, work = sys.argv[1:4]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    port_file = os.path.join(work, 'port')
    web_port = free_port()
    node_log_path = os.path.join(work, 'chainnode.log')
    with open(node_log_path, 'w') as node_log, \
            open(os.path.join(work, 'webapp.log'), 'w') as web_log:
        node = start([chainnode, '--port', '0', '--port-file', port_file,
                      '--max-pending-posts', str(MAX_PENDING)], node_log)
        web = None
        started = time.monotonic()
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
            failures = []
            # Something to lose: a mined block and a pending post, sent as the tutorial's Python
            # nodes and curl send them (no Origin; the first with no Content-Type at all).
            status, _, _ = exchange(node_port, raw('POST', '/new_transaction',
                                                    f'127.0.0.1:{node_port}', [], json.dumps(
                                                        {'author': 'alice', 'content': 'mined'})))
            check('a header-less POST /new_transaction', status, 201, failures)
            status, _, _ = exchange(node_port, raw('GET', '/mine', f'127.0.0.1:{node_port}'))
            check('GET /mine with no Origin (curl)', status, 200, failures)
            status, _, _ = exchange(node_port, raw(
                'POST', '/new_transaction', f'127.0.0.1:{node_port}',
                [('Content-Type', 'application/json'),
                 ('Origin', f'http://127.0.0.1:{node_port}')],
                json.dumps({'author': 'alice', 'content': 'pending'})))
            check('a POST from the node\'s own origin', status, 201, failures)

            before = node_state(node_port)
            for name, want, reason, data in node_probes(node_port, web_port):
                status, _, body = exchange(node_port, data)
                check('chainnode: ' + name, (status, reason in body.decode('utf-8', 'replace')),
                      (want, True), failures)
                if node_state(node_port) != before:
                    failures.append(name + ': the node changed')
            for name, want, reason, data in web_probes(web_port, node_port):
                status, _, body = exchange(web_port, data)
                check('webapp: ' + name, (status, reason in body.decode('utf-8', 'replace')),
                      (want, True), failures)
                if node_state(node_port) != before:
                    failures.append(name + ': the node changed')

            # The page's own same-origin requests, as Chromium sends them.
            here = f'127.0.0.1:{web_port}'
            page = [('Origin', f'http://{here}'), ('Sec-Fetch-Site', 'same-origin')]
            status, _, _ = exchange(web_port, raw(
                'POST', '/api/new_transaction', here, [('Content-Type', 'application/json')] + page,
                json.dumps({'author': 'bob', 'content': 'from the page'})))
            check('webapp: the page\'s own POST', status, 201, failures)
            status, _, _ = exchange(web_port, raw('GET', '/api/feed', f'localhost:{web_port}',
                                                   [('Sec-Fetch-Site', 'same-origin')]))
            check('webapp: the page\'s feed under localhost', status, 200, failures)

            # A full pool: 503 with Retry-After, from the node and through the web app.
            for i in range(MAX_PENDING):
                exchange(node_port, raw('POST', '/new_transaction', f'127.0.0.1:{node_port}', [],
                                         json.dumps({'author': 'f', 'content': str(i)})))
            pool_before = node_state(node_port)
            for port, route, what in ((node_port, '/new_transaction', 'chainnode'),
                                      (web_port, '/api/new_transaction', 'webapp')):
                status, head, body = exchange(port, raw(
                    'POST', route, f'127.0.0.1:{port}', [('Content-Type', 'application/json')],
                    json.dumps({'author': 'f', 'content': 'one too many'})))
                retry = re.search(r'(?im)^retry-after: *(\d+)', head)
                check(f'{what}: a post past a full pool', (status, bool(retry)), (503, True),
                      failures)
            check('a full pool took nothing', node_state(node_port) == pool_before, True, failures)

            # Refusals counted in metrics, and a flood of them rate-limited in the log.
            flood = 300
            for _ in range(flood):
                exchange(node_port, raw('GET', '/mine', f'127.0.0.1:{node_port}',
                                         [('Origin', 'http://evil.example')]))
            _, metrics = get(node_port, '/metrics')
            counted = re.search(rb'yournet_http_refused_total\{reason="foreign_origin"\} (\d+)',
                                metrics)
            check('refusals counted in /metrics',
                  bool(counted) and int(counted.group(1)) >= flood, True, failures)
            node_log.flush()
            lines = sum(1 for line in open(node_log_path)
                        if 'request_rejected' in line and 'log_suppressed' not in line)
            intervals = int((time.monotonic() - started) // LOG_INTERVAL_S) + 1
            check(f'{flood} refusals in {intervals} log interval(s) wrote at most '
                  f'{LOG_BURST} lines each', lines <= LOG_BURST * intervals, True, failures)
            _, info = get(web_port, '/api/info')
            refused = json.loads(info).get('refused', {})
            check('webapp: refusals counted in /api/info',
                  refused.get('unknown_host', 0) >= 3 and refused.get('foreign_origin', 0) >= 3,
                  True, failures)
            for port, what in ((node_port, 'chainnode'), (web_port, 'webapp')):
                status, _ = get(port, '/status' if port == node_port else '/api/info')
                if status != 200:
                    failures.append(f'{what} no longer answers')
            print(f'{len(failures)} failed')
            return 1 if failures else 0
        finally:
            for process in (node, web):
                if process:
                    process.terminate()
                    process.wait(timeout=10)


if __name__ == '__main__':
    sys.exit(main())
