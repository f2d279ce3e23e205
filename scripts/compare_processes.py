#!/usr/bin/env python3
"""Whole-process times of several commands, interleaved, best of N: for comparing builds or
options of one tool on a shared machine (each round runs every command once, so load that comes
and goes hits them all alike). Prints a markdown table: best and median wall time, best CPU time
(user + system of the process), and each command's best wall time as a ratio to the first's.

usage: scripts/compare_processes.py ROUNDS 'COMMAND ARGS...' 'COMMAND ARGS...' ...
e.g.   scripts/compare_processes.py 30 'old/chaintool verify -t 1 chain.json' \\
           'build/apps/chaintool verify -t 1 chain.json'
Commands are split on spaces (no quoting inside); their output goes to /dev/null.
"""
import os
import shlex
import sys
import time


def run_once(argv):
    start = time.perf_counter()
    pid = os.posix_spawnp(argv[0], argv, os.environ,
                          file_actions=[(os.POSIX_SPAWN_OPEN, 1, "/dev/null", os.O_WRONLY, 0)])
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    if not os.WIFEXITED(status) or os.WEXITSTATUS(status) not in (0, 1):
        sys.exit(f"compare_processes: {' '.join(argv)} failed ({status})")
    return wall, usage.ru_utime + usage.ru_stime


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    rounds = int(sys.argv[1])
    commands = [shlex.split(command) for command in sys.argv[2:]]
    walls = [[] for _ in commands]
    cpus = [[] for _ in commands]
    for _ in range(rounds):
        for i, argv in enumerate(commands):
            wall, cpu = run_once(argv)
            walls[i].append(wall)
            cpus[i].append(cpu)
    with open("/proc/loadavg") as loadavg:
        load = " ".join(loadavg.read().split()[:3])
    print(f"best of {rounds} interleaved rounds; load average after: {load}\n")
    print("| command | best wall (ms) | median wall (ms) | best CPU (ms) | wall ratio to the first |")
    print("|---|---|---|---|---|")
    first = min(walls[0])
    for i, argv in enumerate(commands):
        ordered = sorted(walls[i])
        print(f"| `{' '.join(argv)}` | {ordered[0] * 1e3:.2f} | {ordered[len(ordered) // 2] * 1e3:.2f}"
              f" | {min(cpus[i]) * 1e3:.2f} | {first / ordered[0]:.3f} |")


if __name__ == "__main__":
    main()
