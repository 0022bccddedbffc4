/* SPDX-License-Identifier: GPL-2.0 */
/* dma_ext internals visible to its KUnit tests only. */
#ifndef _DMA_EXT_INTERNAL_H
#define _DMA_EXT_INTERNAL_H

#include <kunit/visibility.h>
#include "dma_ext.h"

#if IS_ENABLED(CONFIG_KUNIT)
int dmaext_build_segs(struct dmaext_req *req, u32 max_len, u32 align_mask);
void dmaext_set_quiesce_timeout(struct dmaext_chan *c, unsigned int ms);
#endif

#endif /* _DMA_EXT_INTERNAL_H */
