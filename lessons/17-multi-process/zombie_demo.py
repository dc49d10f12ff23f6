#!/usr/bin/env python3
"""Lesson 17 - a zombie, made on purpose and then reaped.

Run:  python3 -u zombie_demo.py      (Linux: it reads /proc/PID/stat; no network)

A child that has ended stays in the process table as a zombie (state Z) until its
parent collects its exit status with wait()/waitpid(). A forking server that never
does this fills the table with one zombie per client served.
"""
import os
import sys
import time


def state(pid: int) -> str:
    """The one-letter state from /proc/PID/stat (R running, S sleeping, Z zombie), or 'gone'."""
    try:
        with open(f'/proc/{pid}/stat') as f:
            return f.read().rsplit(')', 1)[1].split()[0]  # the name in (...) may contain spaces
    except FileNotFoundError:
        return 'gone'


def main() -> None:
    if not hasattr(os, 'fork'):
        sys.exit('os.fork() does not exist on this system (Windows): there are no zombies to show')
    if not os.path.exists('/proc/self/stat'):
        sys.exit('this demo reads /proc (Linux); on macOS watch `ps -o pid,stat,command` instead')
    pid = os.fork()
    if pid == 0:
        os._exit(7)  # the child ends at once, with exit code 7
    # give the child time to end (bounded: 5 s at most)
    for _ in range(100):
        if state(pid) == 'Z':
            break
        time.sleep(0.05)
    print(f'child {pid} has ended; its state is now: {state(pid)} (zombie)', flush=True)
    time.sleep(0.5)
    print(f'still {state(pid)} half a second later: nobody has called waitpid()', flush=True)
    done, status = os.waitpid(pid, 0)
    print(f'waitpid({pid}) -> exit code {os.waitstatus_to_exitcode(status)}; state now: {state(done)}', flush=True)


if __name__ == '__main__':
    main()
