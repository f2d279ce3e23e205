#!/usr/bin/env python3
"""Overload figures for chainnode's HTTP server: requests served (per second, p50/p99 latency) by
keep-alive clients alone, then while idle and slow-loris connections are held open, then a burst of
connections at the caps (per client address, and in all).

Starts its own chainnode on a free port (--chainnode PATH). Hostile connections come from other
loopback addresses (127.0.0.2...), as other clients would, so the per-client cap does not refuse
them; the measuring clients use 127.0.0.1. Prints a Markdown table (README's Overload section).

usage: overload_bench.py --chainnode build/apps/chainnode [--seconds 5] [--clients 4]
                         [--idle 100] [--slow 100] [--slow-interval 3]
"""
import argparse
import http.client
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

PER_ADDRESS = 20  # hostile connections from one loopback address (under the per-client cap)


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def connect_from(source, port, timeout=5):
    sock = socket.socket()
    sock.settimeout(timeout)
    sock.bind((source, 0))
    sock.connect(('127.0.0.1', port))
    return sock


def source_address(i):
    return f'127.0.0.{2 + i // PER_ADDRESS}'


def load(port, seconds, clients):
    """Keep-alive GET /status from `clients` threads for `seconds`: (requests/s, p50 ms, p99 ms,
    errors)."""
    latencies, errors = [], [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client():
        mine, failed = [], 0
        connection = http.client.HTTPConnection('127.0.0.1', port, timeout=10)
        while time.monotonic() < stop:
            started = time.perf_counter()
            try:
                connection.request('GET', '/status')
                answer = connection.getresponse()
                answer.read()
                if answer.status != 200:
                    failed += 1
                mine.append(time.perf_counter() - started)
            except (OSError, http.client.HTTPException):
                failed += 1
                connection.close()
                connection = http.client.HTTPConnection('127.0.0.1', port, timeout=10)
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    latencies.sort()
    p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000  # noqa: E731
    return len(latencies) / seconds, p(0.5), p(0.99), errors[0]


class Hostiles:
    """`idle` connections that say nothing and `slow` that send a request a header line at a time,
    one line every `interval` s, never finishing it; any the server closes is opened again."""

    def __init__(self, port, idle, slow, interval):
        self.port, self.idle, self.slow, self.interval = port, idle, slow, interval
        self.sockets = {}
        self.reopened = 0
        self.running = True
        for i in range(idle + slow):
            self.open(i)
        self.thread = threading.Thread(target=self.run)
        self.thread.start()

    def open(self, i):
        try:
            sock = connect_from(source_address(i), self.port)
            if i >= self.idle:
                sock.sendall(b'GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\n')
            self.sockets[i] = sock
        except OSError:
            self.sockets.pop(i, None)

    def held(self):
        return len(self.sockets)

    def run(self):
        while self.running:
            time.sleep(self.interval)
            for i in list(self.sockets):
                sock = self.sockets[i]
                try:
                    sock.sendall(b'X-a: b\r\n' if i >= self.idle else b'')
                    sock.setblocking(False)
                    try:
                        closed = sock.recv(1 << 16) == b''
                    except BlockingIOError:
                        closed = False
                    sock.setblocking(True)
                except OSError:
                    closed = True
                if closed:
                    sock.close()
                    self.reopened += 1
                    self.open(i)

    def close(self):
        self.running = False
        self.thread.join()
        for sock in self.sockets.values():
            sock.close()


def burst(port, count, sources):
    """Opens `count` connections at once from `sources` addresses (round robin), waits a moment and
    counts those the server closed at once; then times one request from 127.0.0.1."""
    sockets = []
    started = time.perf_counter()
    for i in range(count):
        try:
            sockets.append(connect_from(sources[i % len(sources)], port))
        except OSError:
            pass
    opened = time.perf_counter() - started
    time.sleep(0.5)
    closed = 0
    for sock in sockets:
        sock.setblocking(False)
        try:
            closed += sock.recv(1) == b''
        except BlockingIOError:
            pass
        except OSError:
            closed += 1
    t = time.perf_counter()
    connection = http.client.HTTPConnection('127.0.0.1', port, timeout=10)
    connection.request('GET', '/status')
    status = connection.getresponse().status
    request_ms = (time.perf_counter() - t) * 1000
    connection.close()
    for sock in sockets:
        sock.close()
    return len(sockets), closed, opened * 1000, status, request_ms


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--chainnode', required=True)
    parser.add_argument('--seconds', type=float, default=5)
    parser.add_argument('--clients', type=int, default=4)
    parser.add_argument('--idle', type=int, default=100)
    parser.add_argument('--slow', type=int, default=100)
    parser.add_argument('--slow-interval', type=float, default=3)
    args = parser.parse_args()

    port = free_port()
    log = tempfile.NamedTemporaryFile('w', suffix='.log', delete=False)
    node = subprocess.Popen([args.chainnode, '--port', str(port), '--log-level', 'warn'],
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(100):
            try:
                socket.create_connection(('127.0.0.1', port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        rows = []
        rps, p50, p99, errors = load(port, args.seconds, args.clients)
        rows.append(('alone', '-', rps, p50, p99, errors))
        hostiles = Hostiles(port, args.idle, args.slow, args.slow_interval)
        time.sleep(1)
        held_before = hostiles.held()
        rps, p50, p99, errors = load(port, args.seconds, args.clients)
        rows.append((f'{args.idle} idle + {args.slow} slow-loris held', held_before, rps, p50, p99,
                     errors))
        hostiles.close()
        print(f'chainnode, {args.clients} keep-alive clients of GET /status for {args.seconds:g} s '
              f'each ({os.cpu_count()} cores, shared)\n')
        print('| while | hostile connections open | requests/s | p50 ms | p99 ms | errors |')
        print('|---|---|---|---|---|---|')
        for what, held, rps, p50, p99, errors in rows:
            print(f'| {what} | {held} | {rps:.0f} | {p50:.2f} | {p99:.2f} | {errors} |')
        print()
        print('| burst | opened | closed at once | ms to open | then GET /status | its ms |')
        print('|---|---|---|---|---|---|')
        for what, count, sources in (
                ('100 from one address (cap 32 a client)', 100, ['127.0.0.60']),
                ('400 from 20 addresses (cap 256 in all)', 400,
                 [f'127.0.1.{i}' for i in range(1, 21)])):
            opened, closed, ms, status, request_ms = burst(port, count, sources)
            print(f'| {what} | {opened} | {closed} | {ms:.0f} | {status} | {request_ms:.1f} |')
    finally:
        node.terminate()
        node.wait(timeout=10)
        os.unlink(log.name)


if __name__ == '__main__':
    sys.exit(main())
