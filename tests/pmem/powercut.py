#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Guest half of the power-cut test (host half: tests/powercut).

    powercut.py [--verify ACKS] [--write] [--jobs N] [--dev DEV]

--verify ACKS  read back every record listed in ACKS (ACK lines, as --write
               printed them; a relative path is taken in $VM_SHARE) and print
               "VERIFY <records> <bytes> <bad>", plus a BAD line for each
               record that is not intact.  Exits 1 if any is not.
--write        then write records until killed, from N threads (default 2):
               random sizes from 4 KiB to 1 MiB on both sides of
               dma_threshold, at non-overlapping random offsets, alternately
               with O_DIRECT + fsync and with O_DIRECT | O_DSYNC (REQ_FUA
               writes).  Only after the write and its fsync returned it
               prints "ACK <nonce> <seq> <offset> <len> <mode>".  Every half
               second it prints "STATS" with the pmem_dma counters moved
               since it started.

A record's content derives from the boot's random nonce, its sequence number
and its offset, so data left by an earlier boot never verifies.  Each 4 KiB
block starts with a header naming the record, so that a block that does not
verify can be told apart: zeros, another record's data, or garbage.
"""

import argparse
import mmap
import os
import random
import re
import struct
import sys
import threading
import time

BLOCK = 4096
SLOT = 1 << 20  # one record per slot: records of one boot never overlap
MAX_LEN = SLOT
MAGIC = b'PWRCUT01'
# magic, nonce, seq, offset of this block, length of the record
HEADER = struct.Struct('<8sQQQQ')
ACK_RE = re.compile(r'^ACK ([0-9a-f]{16}) ([0-9]+) ([0-9]+) ([0-9]+) (fsync|dsync)$')
COUNTERS = ('cpu_ios', 'dma_ios', 'dma_fallbacks', 'dma_errors', 'fua_ios', 'flushes')
STATS_EVERY = 0.5  # seconds
MAX_BAD_LINES = 20


def out(line):
    """Print one line and push it to the host at once."""
    sys.stdout.write(line + '\n')
    sys.stdout.flush()


def fill(buf, nonce, seq, off, length):
    """Put the content of record (nonce, seq, off, length) in buf[:length]."""
    rng = random.Random(f'{nonce:016x}:{seq}:{off}:{length}')
    buf[:length] = rng.randbytes(length)
    for b in range(0, length, BLOCK):
        HEADER.pack_into(buf, b, MAGIC, nonce, seq, off + b, length)


def describe(block, want):
    """What a 4 KiB block that did not verify holds (want: its right header)."""
    if block.count(0) == len(block):
        return 'zeros'
    header = HEADER.unpack_from(block)
    if header[0] != MAGIC:
        return 'garbage'
    if header == want:
        return 'its own header, other data after it'
    _, nonce, seq, off, length = header
    return f'block {off} of record nonce={nonce:016x} seq={seq} len={length}'


def sysfs(dev, name):
    path = f'/sys/block/{os.path.basename(dev)}/{name}'
    with open(path, encoding='ascii') as f:
        return f.read().strip()


def counters(dev):
    return {c: int(sysfs(dev, 'pmem_dma/' + c)) for c in COUNTERS}


def read_acks(path):
    recs = []
    with open(path, encoding='ascii') as f:
        for n, line in enumerate(f, 1):
            m = ACK_RE.match(line.rstrip('\n'))
            if not m:
                sys.exit(f'FAIL: {path}:{n}: not an ACK line: {line!r}')
            recs.append((int(m[1], 16), int(m[2]), int(m[3]), int(m[4]), m[5]))
    return recs


def verify(dev, path, rbuf, ebuf):
    recs = read_acks(path)
    fd = os.open(dev, os.O_RDONLY | os.O_DIRECT)
    bad = nbytes = 0
    try:
        for nonce, seq, off, length, mode in recs:
            try:
                got = os.preadv(fd, [memoryview(rbuf)[:length]], off)
            except OSError as e:
                got = e.strerror
                rbuf[:length] = bytes(length)
            fill(ebuf, nonce, seq, off, length)
            nbytes += length
            if got == length and rbuf[:length] == ebuf[:length]:
                continue
            bad += 1
            if bad > MAX_BAD_LINES:
                continue
            blocks = [b for b in range(0, length, BLOCK)
                      if rbuf[b:b + BLOCK] != ebuf[b:b + BLOCK]]
            what = '; '.join(
                f'+{b}: ' + describe(rbuf[b:b + BLOCK], HEADER.unpack_from(ebuf, b))
                for b in blocks[:3])
            out(f'BAD nonce={nonce:016x} seq={seq} offset={off} len={length} '
                f'mode={mode}: read: {got}, {len(blocks)} of '
                f'{length // BLOCK} blocks differ: {what}')
    finally:
        os.close(fd)
    out(f'VERIFY {len(recs)} {nbytes} {bad}')
    return bad == 0


def sizes_around(threshold):
    """Two ranges of lengths (in blocks): below and at/above the threshold."""
    t = threshold // BLOCK
    top = MAX_LEN // BLOCK
    if threshold % BLOCK or t < 2 or t > top:
        return [(1, top)]
    return [(1, t - 1), (t, top)]


def writer(dev, nonce, job, jobs, slots, ranges, buf, lock):
    """Write the records whose sequence numbers are job, job + jobs, ..."""
    rng = random.Random(nonce + job)
    fds = {
        'fsync': os.open(dev, os.O_WRONLY | os.O_DIRECT),
        'dsync': os.open(dev, os.O_WRONLY | os.O_DIRECT | os.O_DSYNC),
    }
    try:
        for seq in range(job, len(slots), jobs):
            lo, hi = ranges[(seq // jobs) % len(ranges)]
            length = rng.randint(lo, hi) * BLOCK
            off = slots[seq] * SLOT + rng.randrange((SLOT - length) // BLOCK + 1) * BLOCK
            mode = ('fsync', 'dsync')[(seq // jobs // 2) % 2]
            fill(buf, nonce, seq, off, length)
            n = os.pwrite(fds[mode], memoryview(buf)[:length], off)
            if n != length:
                raise OSError(f'short write: {n} of {length} bytes')
            if mode == 'fsync':
                os.fsync(fds[mode])
            with lock:
                out(f'ACK {nonce:016x} {seq} {off} {length} {mode}')
    except OSError as e:
        # a failed write ends the test at once; the host sees the status
        with lock:
            out(f'FAIL: writer {job}: {e}')
        os._exit(1)


def write(dev, jobs):
    nonce = int.from_bytes(os.urandom(8), 'little')
    threshold = int(sysfs(dev, 'pmem_dma/dma_threshold'))
    ranges = sizes_around(threshold)
    with open(dev, 'rb') as f:
        size = f.seek(0, os.SEEK_END)
    slots = list(range(size // SLOT))
    random.Random(nonce).shuffle(slots)
    out(f'WRITER nonce={nonce:016x} jobs={jobs} size={size} dma_threshold={threshold} '
        f'fua={sysfs(dev, "queue/fua")} write_cache={sysfs(dev, "queue/write_cache")!r} '
        f'dma_channel={sysfs(dev, "pmem_dma/dma_channel")!r}')
    base = counters(dev)
    lock = threading.Lock()
    threads = [threading.Thread(target=writer, daemon=True,
                                args=(dev, nonce, job, jobs, slots, ranges,
                                      mmap.mmap(-1, MAX_LEN), lock))
               for job in range(jobs)]
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        time.sleep(STATS_EVERY)
        c = counters(dev)
        with lock:
            out('STATS ' + ' '.join(f'{k}={c[k] - base[k]}' for k in COUNTERS))
    # Out of space: wait for the host to cut the power.
    out('FULL')
    time.sleep(600)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--verify', metavar='ACKS')
    ap.add_argument('--write', action='store_true')
    ap.add_argument('--jobs', type=int, default=2)
    ap.add_argument('--dev', default='/dev/pmem0')
    args = ap.parse_args()

    # O_DIRECT wants aligned buffers: anonymous mappings are page aligned.
    rbuf = mmap.mmap(-1, MAX_LEN)
    ebuf = mmap.mmap(-1, MAX_LEN)
    ok = True
    if args.verify:
        path = os.path.join(os.environ.get('VM_SHARE', '.'), args.verify)
        ok = verify(args.dev, path, rbuf, ebuf)
    if ok and args.write:
        write(args.dev, args.jobs)
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
