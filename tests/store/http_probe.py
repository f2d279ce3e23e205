"""Raw-socket HTTP client helpers shared by the probes in this folder (hostile input, CSRF and
rebinding): requests written byte by byte as curl, a browser or an attacker would send them, and
the node and web app processes they probe."""
import socket
import subprocess
import time
import urllib.request


def raw_request(method, target, host='127.0.0.1', headers=(), body=b''):
    """The bytes of one HTTP/1.1 request; `headers` are (name, value) pairs, written as given
    (latin-1, so a probe can put any byte in a path or a header)."""
    if isinstance(body, str):
        body = body.encode()
    head = f'{method} {target} HTTP/1.1\r\nHost: {host}\r\n'
    head += ''.join(f'{name}: {value}\r\n' for name, value in headers)
    return head.encode('latin-1') + f'Content-Length: {len(body)}\r\n\r\n'.encode() + body


def exchange(port, data, half_close=True, pause_s=0.0):
    """Sends raw bytes, then reads the first answer (until its Content-Length is in, or the server
    closes); (status, head, body), status None when the answer is not HTTP."""
    with socket.create_connection(('127.0.0.1', port), timeout=15) as sock:
        sock.sendall(data)
        if pause_s:
            time.sleep(pause_s)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        received = b''
        try:
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                received += chunk
                if b'\r\n\r\n' in received:
                    head, _, rest = received.partition(b'\r\n\r\n')
                    length = [int(line.split(b':')[1]) for line in head.split(b'\r\n')
                              if line.lower().startswith(b'content-length:')]
                    if length and len(rest) >= length[0]:
                        break
        except (ConnectionResetError, socket.timeout):
            pass
    head, _, body = received.partition(b'\r\n\r\n')
    if not received.startswith(b'HTTP/1.'):
        return None, '', received
    return int(head.split(b' ')[1]), head.decode('latin-1'), body


def get(port, target):
    with urllib.request.urlopen(f'http://127.0.0.1:{port}{target}', timeout=10) as answer:
        return answer.status, answer.read()


def node_state(port):
    """What a probe must leave untouched: the node's chain, pending posts and status."""
    return [get(port, route)[1] for route in ('/chain', '/pending_tx', '/status')]


def start(command, log):
    return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)


def wait_for(port):
    for _ in range(100):
        try:
            socket.create_connection(('127.0.0.1', port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f'nothing listens on port {port}')


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]
