// SPDX-License-Identifier: GPL-2.0
/*
 * p2p-io: O_DIRECT reads and writes between a block device and PCI
 * peer-to-peer memory (e.g. an NVMe CMB published as p2pmem).
 *
 * The P2P buffer comes from mmap() of /sys/bus/pci/devices/<BDF>/p2pmem/
 * allocate (Linux 6.2+). Each iteration moves --size bytes at --offset:
 *   from-cmb: fill the P2P buffer, write it to the device, read the device
 *             back into host memory and compare;
 *   to-cmb:   write a pattern from host memory to the device, read it into
 *             the P2P buffer and compare the buffer.
 * Exit status 0 when every byte matched, 1 on a mismatch, 2 on an error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

struct opts {
	const char *dev;
	const char *p2pmem;	/* PCI BDF, or NULL: the first one found */
	size_t size;
	off_t offset;
	unsigned int iterations;
	int to_cmb, from_cmb;
};

static void print_help(FILE *f)
{
	fputs("usage: p2p-io --dev /dev/pmemN [--p2pmem BDF] [--size BYTES]\n"
	      "              [--offset BYTES] [--iterations N]\n"
	      "              [--direction to-cmb|from-cmb|both]\n"
	      "Sizes take K, M and G suffixes.\n"
	      "Defaults: 1M at offset 0, 4 iterations, both directions.\n", f);
}

static int parse_size(const char *s, size_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -1;
	if (*end == 'G' || *end == 'g')
		v <<= 30;
	else if (*end == 'M' || *end == 'm')
		v <<= 20;
	else if (*end == 'K' || *end == 'k')
		v <<= 10;
	else if (*end)
		return -1;
	if (*end)
		end++;
	if (*end)
		return -1;
	*out = v;
	return 0;
}

static char *find_p2pmem(const char *bdf)
{
	static char path[512];
	glob_t g;

	if (bdf) {
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/p2pmem/allocate",
			 bdf);
		return path;
	}
	if (glob("/sys/bus/pci/devices/*/p2pmem/allocate", 0, NULL, &g) || !g.gl_pathc)
		return NULL;
	snprintf(path, sizeof(path), "%s", g.gl_pathv[0]);
	globfree(&g);
	return path;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void fill(unsigned char *p, size_t n, unsigned int seed)
{
	unsigned int x = seed * 2654435761u + 1;
	size_t i;

	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = x;
	}
}

/* pread/pwrite all of it, or fail */
static int io_all(int fd, void *buf, size_t n, off_t off, int write)
{
	size_t done = 0;

	while (done < n) {
		ssize_t r = write ? pwrite(fd, (char *)buf + done, n - done, off + done)
				  : pread(fd, (char *)buf + done, n - done, off + done);
		if (r <= 0) {
			fprintf(stderr, "p2p-io: %s at %lld: %s\n", write ? "write" : "read",
				(long long)(off + done), r ? strerror(errno) : "short");
			return -1;
		}
		done += r;
	}
	return 0;
}

/* @b may be uncached BAR memory: compared byte by byte, no vector loads */
static size_t first_diff(const unsigned char *a, const unsigned char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (a[i] != b[i])
			return i;
	return n;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "dev", required_argument, NULL, 'd' },
		{ "p2pmem", required_argument, NULL, 'p' },
		{ "size", required_argument, NULL, 's' },
		{ "offset", required_argument, NULL, 'o' },
		{ "iterations", required_argument, NULL, 'i' },
		{ "direction", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { .size = 1 << 20, .iterations = 4, .to_cmb = 1, .from_cmb = 1 };
	double t_to = 0, t_from = 0, t;
	unsigned char *host, *p2p;
	size_t off_sz, bad;
	char *path;
	int c, fd, pfd;
	unsigned int it;

	while ((c = getopt_long(argc, argv, "d:p:s:o:i:D:h", lo, NULL)) != -1) {
		switch (c) {
		case 'd':
			o.dev = optarg;
			break;
		case 'p':
			o.p2pmem = optarg;
			break;
		case 's':
			if (parse_size(optarg, &o.size) || !o.size) {
				fprintf(stderr, "p2p-io: bad --size %s\n", optarg);
				return 2;
			}
			break;
		case 'o':
			if (parse_size(optarg, &off_sz)) {
				fprintf(stderr, "p2p-io: bad --offset %s\n", optarg);
				return 2;
			}
			o.offset = off_sz;
			break;
		case 'i':
			o.iterations = strtoul(optarg, NULL, 0);
			break;
		case 'D':
			o.to_cmb = !strcmp(optarg, "to-cmb") || !strcmp(optarg, "both");
			o.from_cmb = !strcmp(optarg, "from-cmb") || !strcmp(optarg, "both");
			if (!o.to_cmb && !o.from_cmb) {
				fprintf(stderr, "p2p-io: bad --direction %s\n", optarg);
				return 2;
			}
			break;
		case 'h':
			print_help(stdout);
			return 0;
		default:
			print_help(stderr);
			return 2;
		}
	}
	if (!o.dev || optind != argc || !o.iterations) {
		print_help(stderr);
		return 2;
	}
	path = find_p2pmem(o.p2pmem);
	if (!path) {
		fprintf(stderr, "p2p-io: no p2pmem device found\n");
		return 2;
	}
	pfd = open(path, O_RDWR);
	if (pfd < 0) {
		fprintf(stderr, "p2p-io: %s: %s\n", path, strerror(errno));
		return 2;
	}
	p2p = mmap(NULL, o.size, PROT_READ | PROT_WRITE, MAP_SHARED, pfd, 0);
	if (p2p == MAP_FAILED) {
		fprintf(stderr, "p2p-io: mmap %zu bytes of %s: %s\n", o.size, path,
			strerror(errno));
		return 2;
	}
	fd = open(o.dev, O_RDWR | O_DIRECT);
	if (fd < 0) {
		fprintf(stderr, "p2p-io: %s: %s\n", o.dev, strerror(errno));
		return 2;
	}
	if (posix_memalign((void **)&host, 4096, o.size)) {
		fprintf(stderr, "p2p-io: out of memory\n");
		return 2;
	}

	for (it = 0; it < o.iterations; it++) {
		if (o.from_cmb) {
			unsigned char *want = malloc(o.size);

			if (!want)
				return 2;
			fill(want, o.size, 2 * it + 1);
			memcpy(p2p, want, o.size);
			t = now();
			if (io_all(fd, p2p, o.size, o.offset, 1))
				return 2;
			t_from += now() - t;
			memset(host, 0, o.size);
			if (io_all(fd, host, o.size, o.offset, 0))
				return 2;
			bad = first_diff(want, host, o.size);
			free(want);
			if (bad < o.size) {
				fprintf(stderr, "p2p-io: from-cmb iteration %u: byte %zu differs\n",
					it, bad);
				return 1;
			}
		}
		if (o.to_cmb) {
			fill(host, o.size, 2 * it + 2);
			if (io_all(fd, host, o.size, o.offset, 1))
				return 2;
			memset(p2p, 0, o.size);
			t = now();
			if (io_all(fd, p2p, o.size, o.offset, 0))
				return 2;
			t_to += now() - t;
			bad = first_diff(host, p2p, o.size);
			if (bad < o.size) {
				fprintf(stderr, "p2p-io: to-cmb iteration %u: byte %zu differs\n",
					it, bad);
				return 1;
			}
		}
	}
	printf("p2p-io: %s <-> %s, %u x %zu bytes at %lld verified",
	       o.dev, path, o.iterations, o.size, (long long)o.offset);
	if (o.from_cmb)
		printf(", cmb->dev %.1f MB/s", o.iterations * o.size / t_from / 1e6);
	if (o.to_cmb)
		printf(", dev->cmb %.1f MB/s", o.iterations * o.size / t_to / 1e6);
	printf("\n");
	return 0;
}
