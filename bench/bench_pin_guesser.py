"""A neighbour guessing the console's PIN: how many guesses the station judges per minute.

Starts a real `station console` (virtual camera) and fires wrong PINs at POST /pair as fast as it answers,
from many loopback source addresses (127.0.0.2...: a guesser who changes address), for --seconds. Prints the
requests answered, how many were judged (compared against the PIN: 401), refused unjudged (429 this address is
blocked, 423 pairing locked), the guesses judged per minute and the expected time to find a 6-digit PIN at
that rate. Before the guard (this round's issue 20) a guesser got ~1,000 judged guesses per second.

Run: .venv/bin/python bench/bench_pin_guesser.py [--seconds 10] [--threads 8] [--addresses 250]
"""
from __future__ import annotations

import argparse
import http.client
import json
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.console_browser import frames_folder, station_workspace  # noqa: E402
from tests.console_process import start_console  # noqa: E402


def guesser(port: int, pin: str, addresses: list[str], until: float, counts: Counter, lock: threading.Lock,
            first_lock: list[float], started: float) -> None:
    wrong = f"{(int(pin) + 1) % 1_000_000:06d}"
    body = json.dumps({"pin": wrong}).encode()
    i = 0
    while time.monotonic() < until:
        source = addresses[i % len(addresses)]
        i += 1
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5, source_address=(source, 0))
            conn.request("POST", "/pair", body=body, headers={"Content-Type": "application/json"})
            status = conn.getresponse().status
            conn.close()
        except OSError:
            status = 0
        with lock:
            counts[status] += 1
            if status == 423 and not first_lock:
                first_lock.append(time.monotonic() - started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--addresses", type=int, default=250)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        ws, _ = station_workspace(tmp / "ws")
        console = start_console(ws, f"virtual:{frames_folder(tmp / 'frames', [None])}")
        try:
            addresses = [f"127.0.{1 + n // 250}.{2 + n % 250}" for n in range(args.addresses)]
            counts: Counter = Counter()
            lock = threading.Lock()
            first_lock: list[float] = []
            started = time.monotonic()
            until = started + args.seconds
            threads = [threading.Thread(target=guesser, args=(console.port, console.pin, addresses[k::args.threads],
                                                              until, counts, lock, first_lock, started))
                       for k in range(args.threads)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            elapsed = time.monotonic() - started
            right = console.pair_with_pin(source="127.0.9.9")[0]
            out = console.output()
        finally:
            console.stop()
    total = sum(counts.values())
    judged = counts[401]
    per_minute = judged / elapsed * 60
    print(f"{'PIN guesser':44s} {args.seconds:.0f} s, {args.threads} threads, {args.addresses} source addresses")
    print(f"{'requests answered':44s} {total:8d}  ({total / elapsed:7.1f} /s)")
    print(f"{'judged (wrong PIN, 401)':44s} {judged:8d}")
    print(f"{'refused unjudged: address blocked (429)':44s} {counts[429]:8d}")
    print(f"{'refused unjudged: pairing locked (423)':44s} {counts[423]:8d}")
    print(f"{'other answers':44s} {total - judged - counts[429] - counts[423]:8d}")
    print(f"{'pairing locked after':44s} {first_lock[0] if first_lock else float('nan'):8.2f} s")
    print(f"{'guesses judged per minute (over the run)':44s} {per_minute:8.1f}")
    print(f"{'guesses judged until the operator reopens':44s} {judged:8d}")
    print(f"{'chance to hit a 6-digit PIN before the lock':44s} {judged / 1e6:8.0e}")
    print(f"{'the right PIN afterwards (locked: 423)':44s} {right:8d}")
    print(f"{'terminal lines printed by the console':44s} {out.count(chr(10)):8d}")


if __name__ == "__main__":
    main()
