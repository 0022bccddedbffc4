// SPDX-License-Identifier: GPL-2.0
/*
 * pmem_dma sysfs: /sys/block/pmemN/pmem_dma/
 *
 * cpu_ios, cpu_bytes	requests and bytes copied by the CPU (read-only)
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/blkdev.h>
#include <linux/sysfs.h>
#include "pmem_dma.h"

static struct pmem_dma_dev *to_pmem_dma(struct device *dev)
{
	return dev_to_disk(dev)->private_data;
}

static ssize_t pmem_dma_stat_show(struct device *dev, char *buf, size_t field)
{
	struct pmem_dma_dev *pmem = to_pmem_dma(dev);
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += *(u64 *)((char *)per_cpu_ptr(pmem->stats, cpu) + field);
	return sysfs_emit(buf, "%llu\n", sum);
}

static ssize_t cpu_ios_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	return pmem_dma_stat_show(dev, buf, offsetof(struct pmem_dma_stats, cpu_ios));
}
static DEVICE_ATTR_RO(cpu_ios);

static ssize_t cpu_bytes_show(struct device *dev, struct device_attribute *attr,
			      char *buf)
{
	return pmem_dma_stat_show(dev, buf, offsetof(struct pmem_dma_stats, cpu_bytes));
}
static DEVICE_ATTR_RO(cpu_bytes);

static struct attribute *pmem_dma_attrs[] = {
	&dev_attr_cpu_ios.attr,
	&dev_attr_cpu_bytes.attr,
	NULL,
};

static const struct attribute_group pmem_dma_attr_group = {
	.name	= "pmem_dma",
	.attrs	= pmem_dma_attrs,
};

const struct attribute_group *pmem_dma_disk_groups[] = {
	&pmem_dma_attr_group,
	NULL,
};
