#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""mapsync.py FILE MIB SEED

Map FILE (created or resized to MIB MiB) with MAP_SHARED_VALIDATE | MAP_SYNC,
fill it through the mapping with a pattern derived from SEED, msync, and
print the pattern's sha256. The kernel grants MAP_SYNC only for a DAX
mapping whose device persists CPU stores without a flush request; it
refuses it with EOPNOTSUPP otherwise, and then this exits with 3 (1 for
any other error).
"""

import errno
import hashlib
import mmap
import os
import random
import sys

MAP_SHARED_VALIDATE = 0x03
MAP_SYNC = 0x80000
CHUNK = 1 << 20


def main():
    path, mib, seed = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    size = mib << 20
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    os.ftruncate(fd, size)
    try:
        m = mmap.mmap(fd, size, flags=MAP_SHARED_VALIDATE | MAP_SYNC,
                      prot=mmap.PROT_READ | mmap.PROT_WRITE)
    except OSError as e:
        print("MAP_SYNC refused: %s" % os.strerror(e.errno))
        return 3 if e.errno == errno.EOPNOTSUPP else 1
    data = random.Random(seed).randbytes(size)
    for off in range(0, size, CHUNK):
        m[off:off + CHUNK] = data[off:off + CHUNK]
    m.flush()
    m.close()
    os.close(fd)
    print(hashlib.sha256(data).hexdigest())
    return 0


if __name__ == '__main__':
    sys.exit(main())
