// SPDX-License-Identifier: GPL-2.0
/*
 * dma_soft: a software dmaengine provider for machines without a DMA
 * engine (test VMs). It registers DMA_MEMCPY channels that complete
 * asynchronously from per-channel workers, plus dma_ext's native batch.
 *
 * Hosting: by default on a platform device of its own; with pci=<BDF> it
 * binds to that PCI function instead (via driver_override), so that it has
 * a PCI identity -- a QEMU PCI device behind a PCIe switch can then reach
 * peer BAR memory the way a PCI DMA engine would.
 *
 * With personality=ioat, idxd or ptdma it takes the manners of that engine
 * instead (soft_pers.c): no dma_ext batch, 64 KiB segments, and removal
 * without notice.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/dma-mapping.h>
#include <linux/iommu.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/pci.h>
#include <linux/platform_device.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/sysfs.h>
#include "soft.h"

#define SOFT_NAME	"dma_soft"

static unsigned int soft_channels = 2;
static unsigned int soft_max_xfer = SZ_2M;
static unsigned int soft_descs;		/* 0: the personality's default */
static unsigned int soft_dma_bits = 64;
static const struct soft_pers *soft_personality = &soft_pers_soft;
static char *soft_pci;
static bool soft_durable_writes = true;

static int soft_param_set_range(const char *val, const struct kernel_param *kp,
				unsigned int min, unsigned int max)
{
	unsigned int v;

	if (kstrtouint(val, 0, &v) || v < min || v > max) {
		pr_err("%s=%s: expected an integer in %u..%u\n", kp->name, val, min, max);
		return -EINVAL;
	}
	*(unsigned int *)kp->arg = v;
	return 0;
}

static int soft_set_channels(const char *val, const struct kernel_param *kp)
{
	return soft_param_set_range(val, kp, 1, 64);
}

static int soft_set_max_xfer(const char *val, const struct kernel_param *kp)
{
	return soft_param_set_range(val, kp, 512, SZ_1G);
}

static int soft_set_max_batch(const char *val, const struct kernel_param *kp)
{
	return soft_param_set_range(val, kp, 1, 4096);
}

static int soft_set_descs(const char *val, const struct kernel_param *kp)
{
	return soft_param_set_range(val, kp, 2, SZ_64K);
}

static int soft_set_dma_bits(const char *val, const struct kernel_param *kp)
{
	return soft_param_set_range(val, kp, 32, 64);
}

static int soft_set_personality(const char *val, const struct kernel_param *kp)
{
	const struct soft_pers *pers = soft_pers_find(val);

	if (!pers) {
		pr_err("%s=%s: expected soft, ioat, idxd or ptdma\n", kp->name, val);
		return -EINVAL;
	}
	*(const struct soft_pers **)kp->arg = pers;
	return 0;
}

static int soft_get_personality(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n", (*(const struct soft_pers **)kp->arg)->name);
}

static const struct kernel_param_ops soft_channels_ops = {
	.set = soft_set_channels,
	.get = param_get_uint,
};

static const struct kernel_param_ops soft_max_xfer_ops = {
	.set = soft_set_max_xfer,
	.get = param_get_uint,
};

static const struct kernel_param_ops soft_max_batch_ops = {
	.set = soft_set_max_batch,
	.get = param_get_uint,
};

static const struct kernel_param_ops soft_descs_ops = {
	.set = soft_set_descs,
	.get = param_get_uint,
};

static const struct kernel_param_ops soft_dma_bits_ops = {
	.set = soft_set_dma_bits,
	.get = param_get_uint,
};

static const struct kernel_param_ops soft_personality_ops = {
	.set = soft_set_personality,
	.get = soft_get_personality,
};

module_param_cb(personality, &soft_personality_ops, &soft_personality, 0444);
MODULE_PARM_DESC(personality, "Engine to behave like: soft, ioat, idxd or ptdma (default soft)");
module_param_cb(channels, &soft_channels_ops, &soft_channels, 0444);
MODULE_PARM_DESC(channels, "DMA channels, 1..64 (default 2)");
module_param_cb(max_xfer, &soft_max_xfer_ops, &soft_max_xfer, 0444);
MODULE_PARM_DESC(max_xfer, "Largest transfer per segment in bytes, 512..1G (default 2 MiB)");
module_param_cb(max_batch, &soft_max_batch_ops, &soft_max_batch, 0444);
MODULE_PARM_DESC(max_batch, "Segments per native batch descriptor, 1..4096 (default 256)");
module_param_cb(descs, &soft_descs_ops, &soft_descs, 0444);
MODULE_PARM_DESC(descs, "Descriptors per channel for ioat (ring, default 65536) and idxd (wq size, default 16), 2..65536; ignored by soft and ptdma");
module_param_cb(dma_bits, &soft_dma_bits_ops, &soft_dma_bits, 0444);
MODULE_PARM_DESC(dma_bits, "DMA address bits of the engine's device, 32..64 (default 64)");
module_param_named(durable_writes, soft_durable_writes, bool, 0444);
MODULE_PARM_DESC(durable_writes, "Personality soft: copy into persistent memory around the CPU caches and declare such writes durable at completion, so that clients skip their cache writeback (default 1; 0 copies through the caches, as an engine with DDIO does)");
module_param_named(pci, soft_pci, charp, 0444);
MODULE_PARM_DESC(pci, "Bind to this PCI function (e.g. 0000:01:00.0) instead of a platform device (default: none)");

static const struct dmaext_provider_ops soft_ext_ops = {
	.prep_memcpy_batch = soft_prep_batch,
};

static struct dmaext_provider_ops soft_ext_ops_rt;
static struct dentry *soft_debugfs_root;
static struct platform_device *soft_pdev;
/* the function named by pci=, whose driver_override we set (referenced) */
static struct pci_dev *soft_pci_dev;

static void soft_put(struct soft_dev *sd)
{
	if (!refcount_dec_and_test(&sd->refs))
		return;
	destroy_workqueue(sd->wq);
	kfree(sd->chans);
	kfree(sd);
}

/* Called when the last reference to the dma_device is gone. */
static void soft_release(struct dma_device *dma)
{
	soft_put(container_of(dma, struct soft_dev, dma));
}

static int soft_probe(struct device *dev)
{
	struct soft_dev *sd;
	struct iommu_domain *domain;
	unsigned int i;
	int rc;

	rc = dma_set_mask_and_coherent(dev, DMA_BIT_MASK(soft_dma_bits));
	if (rc)
		return rc;
	if (!dev->dma_parms)
		return -EINVAL;
	/* ioat, idxd and ptdma keep a PCI function's default of 64 KiB */
	dma_set_max_seg_size(dev, soft_personality->native ? soft_max_xfer : SZ_64K);

	sd = kzalloc(sizeof(*sd), GFP_KERNEL);
	if (!sd)
		return -ENOMEM;
	sd->dev = dev;
	sd->pers = soft_personality;
	sd->descs = soft_descs;
	sd->durable = sd->pers->native && soft_durable_writes;
	refcount_set(&sd->refs, 1);
	sd->nr_chans = soft_channels;
	soft_fault_init(&sd->fault);
	domain = iommu_get_domain_for_dev(dev);
	if (domain && domain->type != IOMMU_DOMAIN_IDENTITY)
		sd->domain = domain;
	sd->chans = kcalloc(sd->nr_chans, sizeof(*sd->chans), GFP_KERNEL);
	sd->wq = alloc_workqueue("dma_soft/%s", WQ_UNBOUND | WQ_MEM_RECLAIM, 0,
				 dev_name(dev));
	if (!sd->chans || !sd->wq) {
		rc = -ENOMEM;
		goto free;
	}

	INIT_LIST_HEAD(&sd->dma.channels);
	sd->dma.dev = dev;
	sd->dma.device_release = soft_release;
	sd->pers->set_ops(&sd->dma);
	for (i = 0; i < sd->nr_chans; i++)
		soft_chan_init(sd, &sd->chans[i]);

	/*
	 * the others have no native batch: dma_ext prepares segment by
	 * segment, and treats their channels as the real driver's
	 */
	if (sd->pers->native)
		rc = dmaext_register_provider(&sd->dma, &soft_ext_ops_rt);
	else
		rc = dmaext_set_model(&sd->dma, sd->pers->model);
	if (rc)
		goto free;
	rc = dma_async_device_register(&sd->dma);
	if (rc)
		goto unregister_ext;
	refcount_inc(&sd->refs);	/* dmaengine's, dropped by soft_release() */

	sd->debugfs = debugfs_create_dir(dev_name(dev), soft_debugfs_root);
	soft_fault_debugfs(sd, sd->debugfs);
	dev_set_drvdata(dev, sd);
	dev_info(dev, "%u channels, max %u bytes per segment, %u-bit DMA%s, personality %s%s\n",
		 sd->nr_chans, dma_get_max_seg_size(dev), soft_dma_bits,
		 sd->domain ? ", behind an IOMMU" : "", sd->pers->name,
		 sd->durable ? ", durable writes" : "");
	if (!sd->pers->native)
		dev_info(dev, "%s keeps a PCI function's default of 64 KiB per segment: max_xfer not used\n",
			 sd->pers->name);
	if (sd->pers->default_descs)
		dev_info(dev, "%s: %u descriptors per channel\n", sd->pers->name, sd->descs);
	return 0;

unregister_ext:
	if (sd->pers->native)
		dmaext_unregister_provider(&sd->dma);
	else
		dmaext_clear_model(&sd->dma);
free:
	if (sd->wq)
		destroy_workqueue(sd->wq);
	kfree(sd->chans);
	kfree(sd);
	return rc;
}

/*
 * Teardown, in the order of the personality (soft: dma_ext clients are
 * told first). The memory goes when dmaengine lets go as well
 * (soft_release()): clients of the other personalities are not told and
 * may call into their channels until they release them.
 */
static void soft_remove(struct device *dev)
{
	struct soft_dev *sd = dev_get_drvdata(dev);

	sd->pers->remove(sd);
	if (!sd->pers->native)
		dmaext_clear_model(&sd->dma);
	soft_put(sd);
}

static int soft_platform_probe(struct platform_device *pdev)
{
	return soft_probe(&pdev->dev);
}

static void soft_platform_remove(struct platform_device *pdev)
{
	soft_remove(&pdev->dev);
}

static struct platform_driver soft_platform_driver = {
	.probe = soft_platform_probe,
	.remove_new = soft_platform_remove,
	.driver = {
		.name = SOFT_NAME,
	},
};

static int soft_pci_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	int rc = pcim_enable_device(pdev);

	if (rc)
		return rc;
	pci_set_master(pdev);
	return soft_probe(&pdev->dev);
}

static void soft_pci_remove(struct pci_dev *pdev)
{
	soft_remove(&pdev->dev);
}

/* No ID table: it binds only to the function named by pci=. */
static struct pci_driver soft_pci_driver = {
	.name = SOFT_NAME,
	.probe = soft_pci_probe,
	.remove = soft_pci_remove,
};

/*
 * Give the function back without a driver_override: one left behind would
 * bind the next dma_soft to it as well, whatever its pci= says. (pci=
 * names a function given to dma_soft: an override it had is replaced.)
 */
static void soft_pci_release(struct pci_dev *pdev)
{
	device_set_driver_override(&pdev->dev, "");
	pci_dev_put(pdev);
}

static int soft_init_pci(void)
{
	unsigned int domain, bus, slot, fn;
	struct pci_dev *pdev;
	int rc;

	if (sscanf(soft_pci, "%x:%x:%x.%x", &domain, &bus, &slot, &fn) != 4) {
		pr_err("pci=%s: expected DDDD:BB:SS.F\n", soft_pci);
		return -EINVAL;
	}
	pdev = pci_get_domain_bus_and_slot(domain, bus, PCI_DEVFN(slot, fn));
	if (!pdev) {
		pr_err("pci=%s: no such PCI function\n", soft_pci);
		return -ENODEV;
	}
	rc = device_set_driver_override(&pdev->dev, SOFT_NAME);
	if (!rc)
		rc = pci_register_driver(&soft_pci_driver);
	/* another driver may hold it: pci_dev_driver() then names that one */
	if (!rc && pci_dev_driver(pdev) != &soft_pci_driver) {
		pr_err("pci=%s: could not bind (is another driver bound to it?)\n",
		       soft_pci);
		pci_unregister_driver(&soft_pci_driver);
		rc = -EBUSY;
	}
	if (rc) {
		soft_pci_release(pdev);
		return rc;
	}
	soft_pci_dev = pdev;
	return 0;
}

static int soft_init_platform(void)
{
	struct platform_device_info info = {
		.name = SOFT_NAME,
		.id = PLATFORM_DEVID_NONE,
		.dma_mask = DMA_BIT_MASK(64),
	};
	int rc = platform_driver_register(&soft_platform_driver);

	if (rc)
		return rc;
	soft_pdev = platform_device_register_full(&info);
	if (IS_ERR(soft_pdev)) {
		platform_driver_unregister(&soft_platform_driver);
		return PTR_ERR(soft_pdev);
	}
	if (!soft_pdev->dev.driver) {
		platform_device_unregister(soft_pdev);
		platform_driver_unregister(&soft_platform_driver);
		return -ENODEV;
	}
	return 0;
}

static int __init soft_init(void)
{
	int rc;

	soft_ext_ops_rt = soft_ext_ops;
	soft_ext_ops_rt.max_batch = soft_max_batch;
	/* the batch prep and soft's dmaengine prep only take spinlocks */
	soft_ext_ops_rt.caps = DMAEXT_CAP_ATOMIC_SUBMIT |
			       (soft_durable_writes ? DMAEXT_CAP_DURABLE_WRITES : 0);
	if (!soft_descs)
		soft_descs = soft_personality->default_descs;
	soft_debugfs_root = debugfs_create_dir(SOFT_NAME, NULL);
	rc = soft_pci ? soft_init_pci() : soft_init_platform();
	if (rc)
		debugfs_remove_recursive(soft_debugfs_root);
	return rc;
}

static void __exit soft_exit(void)
{
	if (soft_pdev) {
		platform_device_unregister(soft_pdev);
		platform_driver_unregister(&soft_platform_driver);
	} else {
		pci_unregister_driver(&soft_pci_driver);
		soft_pci_release(soft_pci_dev);
	}
	debugfs_remove_recursive(soft_debugfs_root);
}

module_init(soft_init);
module_exit(soft_exit);
MODULE_DESCRIPTION("Software DMA engine: asynchronous memcpy channels for test machines");
MODULE_LICENSE("GPL");
