/*
 * pe_rt_reuse.h -- measuring and recycling snapshot clones (host only).
 *
 * Kept apart from pe_rt.h on purpose: pe_rt.h is embedded in every compiled
 * module (its hash is part of the AOT cache key), and nothing here concerns
 * generated code.
 *
 * A clone of a snapshot (pe_instance_from_snapshot) maps the snapshot's
 * sealed memfd privately: pages it only reads stay the snapshot's, pages it
 * writes become its own anonymous copies ("dirty"). Recycling a clone for
 * the next request means making it equal to the snapshot again. Unmapping
 * and mapping afresh does that but throws away every page-table entry, so
 * the next request faults again on every page it reads. pe_instance_reset
 * instead finds the clone's own pages (/proc/self/pagemap: present and
 * anonymous) and copies the snapshot's bytes back over them, shrinks memory
 * grown past the snapshot, and copies globals and tables back. Pages only
 * read stay mapped and pages written stay private and writable, so a
 * recycled clone costs the next request a fault only for a page no earlier
 * request on it wrote. (Dropping the written pages with MADV_DONTNEED
 * instead was measured: a TLB shootdown per run of pages, ~0.5 ms a
 * request for the hello app, against ~0.05 ms for the copy.)
 */
#ifndef PE_RT_REUSE_H
#define PE_RT_REUSE_H

#include <stdbool.h>
#include <stdint.h>

#include "pe_rt.h"

/* Pages (of the host's page size) of inst's exported memory that are mapped
 * (resident) and that are its own copies (dirty). false if /proc/self/pagemap
 * cannot be read. */
bool pe_instance_page_stats(pe_instance *inst, uint64_t *resident, uint64_t *dirty);

/* Makes inst, a clone of s that is not running, equal to s again; host
 * becomes its import pointer. false (inst unusable: free it) on failure.
 * Call it on the thread that used inst, right after the use.
 *
 * Finding the owned pages means walking pagemap over the whole memory
 * (~0.1 ms for 20 MiB). It is skipped when it cannot find anything new: a
 * page becomes the clone's own only through a page fault taken by the
 * thread touching it, so if the thread that used the clone since
 * pe_instance_begin_use took no fault at all (getrusage RUSAGE_THREAD), the
 * owned pages are exactly those found last time. Faults elsewhere (host
 * heap) only cost a needless walk. */
bool pe_instance_reset(pe_instance *inst, const pe_snapshot *s, void *host);

/* Points inst's imports at host (a new WASI context). */
void pe_instance_set_host(pe_instance *inst, void *host);

/* Call on the thread that will use inst, before anything touches its
 * memory (the request is copied in, the guest runs); see pe_instance_reset.
 * Until the reset, the host must touch inst's memory only on that thread or
 * through guest calls (a call on another thread is noticed and makes the
 * reset walk pagemap). */
void pe_instance_begin_use(pe_instance *inst);

#endif /* PE_RT_REUSE_H */
