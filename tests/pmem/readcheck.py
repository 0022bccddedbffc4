#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""readcheck.py DEV OFFSET_MIB PATTERN WORKDIR

Read DEV with O_DIRECT from 4 threads, again and again until WORKDIR/stop
exists (or a thread fails), at random 4 KiB-aligned offsets inside the
range that PATTERN (a file already written to DEV at OFFSET_MIB) covers,
with random lengths of 4 KiB to 1 MiB into buffers at random 512-byte
offsets of a page; 4 threads, so that reads are in flight when an unbind
deletes the disk. Every byte a read
returns must be PATTERN's byte: a full read of wrong data fails at once,
whatever else happens to the disk.

fio cannot tell this: when an unbind deletes the disk in fio's verify
pass, its reads return 0 bytes and fio checks stale buffers, so its verify
errors in that window say nothing, and corrupt data returned by a read
that completed while the disk died would be excused with them. Here each
read's length is known.

A read may come back short, empty or with EIO/ENXIO/ENODEV only if the
disk it was opened on went away: WORKDIR/epoch (bumped by the unbinder)
changed since the open, or WORKDIR/unbound exists. Then the disk is
opened again (ENOENT while it is unbound). Prints one line of counts;
exits 1 on a mismatch or an error with no unbind to explain it.
"""

import errno
import mmap
import os
import random
import sys
import threading
import time

GONE = (errno.EIO, errno.ENXIO, errno.ENODEV)
MAX_LEN = 1 << 20
READERS = 4


class Check:
    """What the readers share: the pattern, the files, counts, a failure."""

    def __init__(self, dev, base, pattern, work):
        self.dev, self.base, self.pattern, self.work = dev, base, pattern, work
        self.stop = os.path.join(work, 'stop')
        self.unbound = os.path.join(work, 'unbound')
        self.lock = threading.Lock()
        self.counts = dict(full=0, short=0, lost=0, reopens=0, nbytes=0)
        self.failure = None

    def epoch(self):
        with open(os.path.join(self.work, 'epoch')) as f:
            return f.read().strip()

    def count(self, **kw):
        with self.lock:
            for k, v in kw.items():
                self.counts[k] += v

    def fail(self, msg):
        with self.lock:
            if self.failure is None:
                self.failure = msg

    def running(self):
        return self.failure is None and not os.path.exists(self.stop)


def reader(c):
    """One reader: O_DIRECT, one read at a time, its own buffer and fd."""
    size = len(c.pattern)
    buf = mmap.mmap(-1, MAX_LEN + 4096)
    view = memoryview(buf)
    fd = -1
    opened_at = None

    def excused():
        return os.path.exists(c.unbound) or c.epoch() != opened_at

    while c.running():
        if fd < 0:
            e = c.epoch()
            try:
                fd = os.open(c.dev, os.O_RDONLY | os.O_DIRECT)
            except OSError as err:
                if err.errno not in (errno.ENOENT,) + GONE:
                    c.fail(f'open {c.dev}: {err}')
                    return
                time.sleep(0.05)  # poll: the disk is being bound again
                continue
            opened_at = e
        length = random.randint(1, MAX_LEN >> 12) << 12
        where = random.randrange(0, (size - length) // 4096 + 1) << 12
        skew = random.randrange(0, 8) << 9
        dst = view[skew:skew + length]
        try:
            n = os.preadv(fd, [dst], c.base + where)
        except OSError as err:
            if err.errno not in GONE or not excused():
                c.fail(f'read {length} at +{where}: {err} (no unbind since the open)')
                return
            n = -1
        # bytes against bytes: a memcmp (a memoryview compares item by
        # item, holding the GIL long enough to starve the other readers)
        if n > 0 and dst[:n].tobytes() != c.pattern[where:where + n]:
            bad = next(i for i in range(n) if dst[i] != c.pattern[where + i])
            c.fail(f'MISMATCH: read of {length} at +{where} (buffer +{skew}) returned '
                   f'{n} bytes; byte {bad} is {dst[bad]:#04x}, wanted '
                   f'{c.pattern[where + bad]:#04x}')
            return
        if n == length:
            c.count(full=1, nbytes=n)
            continue
        if not excused():
            c.fail(f'read {length} at +{where} returned {n} bytes (no unbind since the open)')
            return
        c.count(short=int(n > 0), lost=int(n <= 0), reopens=1)
        os.close(fd)
        fd = -1


def main():
    dev, off_mib, pattern_path, work = sys.argv[1:5]
    with open(pattern_path, 'rb') as f:
        pattern = f.read()
    c = Check(dev, int(off_mib) << 20, pattern, work)
    threads = [threading.Thread(target=reader, args=(c,)) for _ in range(READERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if c.failure:
        print(c.failure)
        return 1
    n = c.counts
    print(f"{n['full']} full reads ({n['nbytes'] >> 20} MiB) matched, {n['short']} short, "
          f"{n['lost']} empty or failed as the disk went, {n['reopens']} reopens")
    return 0


if __name__ == '__main__':
    sys.exit(main())
