#!/usr/bin/env python3
"""Differential test: our canonical writer (chaintool canonical) against Python's
json.dumps(obj, sort_keys=True), the reference node's hashing input, on a generated corpus of a few
thousand values: strings with astral characters, escapes and control characters, 64-bit integers
at their extremes, floats as the protocol carries them (Python repr), nesting, empty containers,
keys needing sorting by code point. The bytes must be equal. Then files the wire does not allow
(lone surrogates, integers past 64 bits, duplicate keys, deep nesting, invalid UTF-8) must make
chaintool exit 2 naming the fault.

usage: canonical_differential.py CHAINTOOL [--count N] [--seed S]
"""
import argparse
import json
import math
import random
import struct
import subprocess
import sys

INT_EDGES = [0, 1, -1, 2**31 - 1, -2**31, 2**53, 2**53 + 1, -2**53 - 1, 2**63 - 1, -2**63,
             2**63, 2**64 - 1]
FLOAT_EDGES = [0.0, -0.0, 0.1, 1.5, -2.5, 1e16, 9999999999999998.0, 1e-4, 9.999999999999999e-05,
               1e-05, 5e-324, -5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, 1e22,
               123456789.125, 1795527804.25, 0.30000000000000004]


def random_char(rng):
    pool = rng.randrange(8)
    if pool == 0:
        return chr(rng.randrange(0x20))  # control characters
    if pool == 1:
        return rng.choice('"\\/\x7f\u2028\u2029\ufeff\uffff\ufffd')
    if pool == 2:
        return chr(rng.randrange(0x80, 0x800))
    if pool == 3:
        cp = rng.randrange(0x800, 0x10000)
        return chr(cp if not 0xD800 <= cp <= 0xDFFF else cp - 0x800)  # no lone surrogates
    if pool == 4:
        return chr(rng.randrange(0x10000, 0x110000))  # astral: a surrogate pair when escaped
    return chr(rng.randrange(0x20, 0x7F))


def random_string(rng):
    return ''.join(random_char(rng) for _ in range(rng.randrange(12)))


def random_float(rng):
    kind = rng.randrange(4)
    if kind == 0:
        return rng.choice(FLOAT_EDGES)
    if kind == 1:
        value = struct.unpack('<d', struct.pack('<Q', rng.getrandbits(64)))[0]
        return value if math.isfinite(value) else 0.5
    if kind == 2:
        return rng.uniform(-1e6, 1e6)
    return rng.random() * 10 ** rng.randrange(-8, 20)


def random_int(rng):
    if rng.random() < 0.4:
        return rng.choice(INT_EDGES)
    return rng.randrange(-2**63, 2**64)


def random_value(rng, depth=0):
    kind = rng.randrange(9 if depth < 5 else 6)
    if kind == 0:
        return None
    if kind == 1:
        return rng.random() < 0.5
    if kind == 2:
        return random_int(rng)
    if kind == 3:
        return random_float(rng)
    if kind in (4, 5):
        return random_string(rng)
    if kind == 6:
        return [random_value(rng, depth + 1) for _ in range(rng.randrange(5))]
    return {random_string(rng): random_value(rng, depth + 1) for _ in range(rng.randrange(6))}


def canonical_by_chaintool(chaintool, text):
    result = subprocess.run([chaintool, 'canonical'], input=text, capture_output=True)
    return result.returncode, result.stdout, result.stderr.decode('utf-8', 'replace')


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('chaintool')
    parser.add_argument('--count', type=int, default=3000)
    parser.add_argument('--seed', type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    values = [random_value(rng) for _ in range(args.count)]
    expected = json.dumps(values, sort_keys=True).encode('ascii') + b'\n'
    failures = 0
    # The same values sent as UTF-8 and as ASCII escapes: both must write the same bytes.
    for ensure_ascii in (False, True):
        text = json.dumps(values, ensure_ascii=ensure_ascii).encode('utf-8')
        code, out, err = canonical_by_chaintool(args.chaintool, text)
        if code != 0:
            print(f'chaintool canonical exited {code}: {err}')
            failures += 1
        elif out != expected:
            at = next(i for i in range(min(len(out), len(expected))) if out[i] != expected[i])
            print(f'differs from json.dumps (ensure_ascii={ensure_ascii} input) at byte {at}:\n'
                  f'  ours:   {out[max(0, at - 80):at + 80]!r}\n'
                  f'  python: {expected[max(0, at - 80):at + 80]!r}')
            failures += 1
    print(f'{args.count} values, {len(expected)} bytes of canonical JSON compared')

    refused = {
        'lone high surrogate': b'"\\ud800"',
        'lone low surrogate': b'["\\udc00x"]',
        'high surrogate then no low one': b'"\\ud83d\\u0041"',
        'integer past 64 bits': str(2**64).encode(),
        'integer below -2^63': str(-2**63 - 1).encode(),
        'number out of range': b'1e400',
        'duplicate key': b'{"a": 1, "a": 1}',
        'nesting past the limit': b'[' * 65 + b']' * 65,
        'invalid UTF-8': b'["\xff"]',
        'overlong UTF-8': b'"\xc0\xaf"',
        'UTF-8 of a surrogate': b'"\xed\xa0\x80"',
        'NaN': b'NaN',
    }
    for name, text in refused.items():
        code, out, err = canonical_by_chaintool(args.chaintool, text)
        if code != 2 or not err.startswith('chaintool: stdin:'):
            print(f'{name}: expected exit 2 with a message, got {code}: {out!r} {err!r}')
            failures += 1
    print(f'{len(refused)} inputs the wire does not allow checked')
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
