// SPDX-License-Identifier: GPL-2.0
/*
 * pmem_dma sysfs: /sys/block/pmemN/pmem_dma/
 *
 * dma_threshold_read, dma_threshold_write
 *                 rw  requests of at least this many bytes go to DMA
 * dma_threshold   rw  sets both; shows dma_threshold_write
 * dma_write_durability
 *                 rw  auto, writeback or engine: cache writeback after
 *                     DMA writes (auto: unless not needed)
 * dma_channel     ro  DMA channels in use, or "none"
 * dma_rescan      wo  "1": look for DMA engines loaded since
 * cpu_ios, cpu_bytes, dma_ios, dma_bytes, dma_submits, dma_fallbacks,
 * dma_errors, dma_timeouts, p2p_dma_ios, p2p_cpu_ios, dma_wb_bytes,
 * dma_wb_ns, dma_wb_deferred, fua_ios, flushes, batched_ios
 *                 ro  counters (see sysfs-block-pmem_dma)
 *
 * /sys/block/pmemN/dax/write_cache, as nd_pmem has it (disks with DAX):
 * whether CPU caches in front of the media must be written back -- by
 * fsync on DAX mappings, and by pmem_dma after each DMA write.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/blkdev.h>
#include <linux/dax.h>
#include <linux/kstrtox.h>
#include <linux/sysfs.h>
#include "pmem_dma.h"

static struct pmem_dma_dev *to_pmem_dma(struct device *dev)
{
	return dev_to_disk(dev)->private_data;
}

/* A counter file: which field of struct pmem_dma_stats it sums. */
struct pmem_dma_stat_attr {
	struct device_attribute attr;
	size_t field;
};

static ssize_t pmem_dma_stat_show(struct device *dev,
				  struct device_attribute *attr, char *buf)
{
	size_t field = container_of(attr, struct pmem_dma_stat_attr, attr)->field;
	struct pmem_dma_dev *pmem = to_pmem_dma(dev);
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += *(u64 *)((char *)per_cpu_ptr(pmem->stats, cpu) + field);
	return sysfs_emit(buf, "%llu\n", sum);
}

#define PMEM_DMA_STAT(_name, _field) { \
	.attr = __ATTR(_name, 0444, pmem_dma_stat_show, NULL), \
	.field = offsetof(struct pmem_dma_stats, _field), \
}

static struct pmem_dma_stat_attr pmem_dma_stat_attrs[] = {
	PMEM_DMA_STAT(cpu_ios, cpu_ios),
	PMEM_DMA_STAT(cpu_bytes, cpu_bytes),
	PMEM_DMA_STAT(dma_ios, dma_ios),
	PMEM_DMA_STAT(dma_bytes, dma_bytes),
	PMEM_DMA_STAT(dma_fallbacks, dma_fallbacks),
	PMEM_DMA_STAT(dma_errors, dma_errors),
	PMEM_DMA_STAT(p2p_dma_ios, p2p_dma_ios),
	PMEM_DMA_STAT(p2p_cpu_ios, p2p_cpu_ios),
	PMEM_DMA_STAT(dma_timeouts, dma_timeouts),
	PMEM_DMA_STAT(dma_wb_bytes, dma_wb_bytes),
	PMEM_DMA_STAT(dma_wb_ns, dma_wb_ns),
	PMEM_DMA_STAT(fua_ios, fua_ios),
	PMEM_DMA_STAT(flushes, flushes),
	PMEM_DMA_STAT(batched_ios, batched_ios),
	PMEM_DMA_STAT(dma_wb_deferred, dma_wb_deferred),
};

/* pmem_dma_attrs[] below lists each of them */
static_assert(ARRAY_SIZE(pmem_dma_stat_attrs) == 15);

static ssize_t dma_submits_show(struct device *dev, struct device_attribute *attr,
				char *buf)
{
	return sysfs_emit(buf, "%llu\n", pmem_dma_submits(to_pmem_dma(dev)));
}
static DEVICE_ATTR_RO(dma_submits);

/*
 * Thresholds: any byte count is valid; one above the largest request means
 * CPU only. dma_threshold sets both directions and shows the write one.
 */
static ssize_t pmem_dma_threshold_show(struct device *dev, char *buf, bool write)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(to_pmem_dma(dev)->dma_threshold[write]));
}

static ssize_t pmem_dma_threshold_store(struct device *dev, const char *buf,
					size_t len, bool read, bool write)
{
	struct pmem_dma_dev *pmem = to_pmem_dma(dev);
	unsigned int v;

	if (kstrtouint(buf, 10, &v))
		return -EINVAL;
	if (read)
		WRITE_ONCE(pmem->dma_threshold[0], v);
	if (write)
		WRITE_ONCE(pmem->dma_threshold[1], v);
	return len;
}

static ssize_t dma_threshold_show(struct device *dev,
				  struct device_attribute *attr, char *buf)
{
	return pmem_dma_threshold_show(dev, buf, true);
}

static ssize_t dma_threshold_store(struct device *dev,
				   struct device_attribute *attr,
				   const char *buf, size_t len)
{
	return pmem_dma_threshold_store(dev, buf, len, true, true);
}
static DEVICE_ATTR_RW(dma_threshold);

static ssize_t dma_threshold_read_show(struct device *dev,
				       struct device_attribute *attr, char *buf)
{
	return pmem_dma_threshold_show(dev, buf, false);
}

static ssize_t dma_threshold_read_store(struct device *dev,
					struct device_attribute *attr,
					const char *buf, size_t len)
{
	return pmem_dma_threshold_store(dev, buf, len, true, false);
}
static DEVICE_ATTR_RW(dma_threshold_read);

static ssize_t dma_threshold_write_show(struct device *dev,
					struct device_attribute *attr, char *buf)
{
	return pmem_dma_threshold_show(dev, buf, true);
}

static ssize_t dma_threshold_write_store(struct device *dev,
					 struct device_attribute *attr,
					 const char *buf, size_t len)
{
	return pmem_dma_threshold_store(dev, buf, len, false, true);
}
static DEVICE_ATTR_RW(dma_threshold_write);

static const char * const pmem_dma_durability_names[] = {
	[PMEM_DMA_DURABLE_AUTO]		= "auto",
	[PMEM_DMA_DURABLE_WRITEBACK]	= "writeback",
	[PMEM_DMA_DURABLE_ENGINE]	= "engine",
};

/* All the choices, the current one in brackets. */
static ssize_t dma_write_durability_show(struct device *dev,
					 struct device_attribute *attr, char *buf)
{
	unsigned int cur = READ_ONCE(to_pmem_dma(dev)->dma_durability);
	unsigned int i;
	int n = 0;

	for (i = 0; i < ARRAY_SIZE(pmem_dma_durability_names); i++)
		n += sysfs_emit_at(buf, n, i == cur ? "%s[%s]" : "%s%s", i ? " " : "",
				   pmem_dma_durability_names[i]);
	return n + sysfs_emit_at(buf, n, "\n");
}

static ssize_t dma_write_durability_store(struct device *dev,
					  struct device_attribute *attr,
					  const char *buf, size_t len)
{
	int i = sysfs_match_string(pmem_dma_durability_names, buf);

	if (i < 0)
		return -EINVAL;
	WRITE_ONCE(to_pmem_dma(dev)->dma_durability, i);
	return len;
}
static DEVICE_ATTR_RW(dma_write_durability);

static ssize_t dma_channel_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	size_t n = pmem_dma_chan_names(to_pmem_dma(dev), buf, PAGE_SIZE - 1);

	buf[n++] = '\n';
	return n;
}
static DEVICE_ATTR_RO(dma_channel);

static ssize_t dma_rescan_store(struct device *dev,
				struct device_attribute *attr,
				const char *buf, size_t len)
{
	bool v;

	if (kstrtobool(buf, &v) || !v)
		return -EINVAL;
	pmem_dma_attach_chans(to_pmem_dma(dev));
	return len;
}
static DEVICE_ATTR_WO(dma_rescan);

static struct attribute *pmem_dma_attrs[] = {
	&dev_attr_dma_threshold.attr,
	&dev_attr_dma_threshold_read.attr,
	&dev_attr_dma_threshold_write.attr,
	&dev_attr_dma_write_durability.attr,
	&dev_attr_dma_channel.attr,
	&dev_attr_dma_rescan.attr,
	&dev_attr_dma_submits.attr,
	&pmem_dma_stat_attrs[0].attr.attr,
	&pmem_dma_stat_attrs[1].attr.attr,
	&pmem_dma_stat_attrs[2].attr.attr,
	&pmem_dma_stat_attrs[3].attr.attr,
	&pmem_dma_stat_attrs[4].attr.attr,
	&pmem_dma_stat_attrs[5].attr.attr,
	&pmem_dma_stat_attrs[6].attr.attr,
	&pmem_dma_stat_attrs[7].attr.attr,
	&pmem_dma_stat_attrs[8].attr.attr,
	&pmem_dma_stat_attrs[9].attr.attr,
	&pmem_dma_stat_attrs[10].attr.attr,
	&pmem_dma_stat_attrs[11].attr.attr,
	&pmem_dma_stat_attrs[12].attr.attr,
	&pmem_dma_stat_attrs[13].attr.attr,
	&pmem_dma_stat_attrs[14].attr.attr,
	NULL,
};

static const struct attribute_group pmem_dma_attr_group = {
	.name	= "pmem_dma",
	.attrs	= pmem_dma_attrs,
};

static ssize_t write_cache_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n",
			  dax_write_cache_enabled(to_pmem_dma(dev)->dax_dev));
}

/*
 * 0 says the platform keeps CPU caches across power loss (as with eADR):
 * nothing is written back, neither for DAX nor after DMA writes.
 */
static ssize_t write_cache_store(struct device *dev,
				 struct device_attribute *attr,
				 const char *buf, size_t len)
{
	struct pmem_dma_dev *pmem = to_pmem_dma(dev);
	bool v;

	if (kstrtobool(buf, &v))
		return -EINVAL;
	dax_write_cache(pmem->dax_dev, v);
	WRITE_ONCE(pmem->dma_wb_cache, v);
	return len;
}
static DEVICE_ATTR_RW(write_cache);

static umode_t pmem_dma_dax_visible(struct kobject *kobj, struct attribute *a,
				    int n)
{
	struct device *dev = kobj_to_dev(kobj);

	if (!IS_ENABLED(CONFIG_ARCH_HAS_PMEM_API) || !to_pmem_dma(dev)->dax_dev)
		return 0;
	return a->mode;
}

static struct attribute *pmem_dma_dax_attrs[] = {
	&dev_attr_write_cache.attr,
	NULL,
};

static const struct attribute_group pmem_dma_dax_group = {
	.name		= "dax",
	.attrs		= pmem_dma_dax_attrs,
	.is_visible	= pmem_dma_dax_visible,
};

const struct attribute_group *pmem_dma_disk_groups[] = {
	&pmem_dma_attr_group,
	&pmem_dma_dax_group,
	NULL,
};
