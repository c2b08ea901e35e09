/* The P2PDMA v5.10 scenarios of pgmapcheck's catalog, hand-written in Promela
 * step for step (each pgmapcheck step is one atomic block), for a reference
 * run with SPIN: the same verdicts, and a throughput to compare.
 *   default:  specs/p2pdma/alloc-vs-memunmap-refs-v5.10.toml (2 allocations; holds)
 *   -DSTRAY:  specs/p2pdma/v1-unbalanced-put-v5.10.toml (1 allocation, a stray put;
 *             refcount-underflow)
 *   -DBIG:    bench/specs/p2pdma-4-allocs-v5.10.toml (4 pages, 4 allocations; holds)
 * use-after-free (V11) is left out in both, as in the first spec. */
#ifdef BIG
#define N 4
#define ALLOCS 4
#else
#define N 2
#ifdef STRAY
#define ALLOCS 1
#else
#define ALLOCS 2
#endif
#endif

short rc[N];          /* page refcounts: 1 at rest in v5.10 */
byte pstate[N];       /* 0 free, 1 allocated (cache) */
byte holders[N];      /* bit per allocation owning the page */
short ref = 1 + N;    /* pgmap->ref: the initial ref plus memremap's per-page refs */
bool killed, released;
bool structfreed, poolgone;
byte inrcu;           /* allocations inside pci_alloc_p2pmem's RCU section */
byte done;

inline pgmap_put() {
  ref--;
  assert(ref >= 0);                       /* refcount-underflow */
  if :: ref == 0 && killed -> released = true :: else -> skip fi
}

inline put_page(p) {                      /* __put_page -> put_dev_pagemap at 0 */
  rc[p]--;
  assert(rc[p] >= 0);                     /* refcount-underflow */
  if :: rc[p] == 0 -> pgmap_put() :: else -> skip fi
}

proctype memunmap() {
  byte i = 0;
  atomic { killed = true; pgmap_put() }                   /* dev_pagemap_kill */
  do
  :: i < N -> atomic { put_page(i); i++ }                 /* put_page on every pfn */
  :: else -> break
  od;
  atomic { released -> skip }                             /* wait_for_completion */
  skip;                                                   /* percpu_ref_exit */
  atomic {                                                /* pageunmap_range: returns */
    assert(ref == 0);                                     /* memunmap-early */
    i = 0;
    do :: i < N -> assert(holders[i] == 0); i++ :: else -> break od
  }
  structfreed = true;                                     /* kfree(p2p_pgmap) */
  atomic { inrcu == 0 -> poolgone = true };               /* pci_p2pdma_release */
  done++
}

proctype p2p_alloc(byte id) {
  byte p = 0;
  atomic {                                                /* gen_pool_alloc_owner */
    if :: poolgone -> goto out :: else -> skip fi;
    do :: p < N && pstate[p] != 0 -> p++ :: else -> break od;
    if :: p == N -> goto out :: else -> skip fi;
    pstate[p] = 1; inrcu++
  };
  atomic {                                                /* percpu_ref_tryget_live */
    inrcu--;
    if
    :: !killed -> ref++; holders[p] = holders[p] | (1 << id)
    :: else -> pstate[p] = 0; goto out                    /* fails: the chunk goes back */
    fi
  };
  atomic { holders[p] = 0; pstate[p] = 0 };               /* gen_pool_free_owner */
  atomic { pgmap_put() };                                 /* percpu_ref_put */
out:
  done++
}

#ifdef STRAY
proctype stray_put() {
  byte p = 0;
  atomic {                                                /* put_page on an owned page */
    do :: p < N && holders[p] == 0 -> p++ :: else -> break od;
    if :: p < N -> put_page(p) :: else -> skip fi
  };
  done++
}
#endif

init {
  byte a = 0;
  atomic {
    do :: a < N -> rc[a] = 1; a++ :: else -> break od;    /* memmap_init_zone_device */
    a = 0;
    do :: a < ALLOCS -> run p2p_alloc(a); a++ :: else -> break od;
#ifdef STRAY
    run stray_put();
#endif
    run memunmap()
  };
  /* ref-leak: every actor done, the counts back at their baseline */
#ifdef STRAY
  done == ALLOCS + 2;
#else
  done == ALLOCS + 1;
#endif
  assert(ref == 0)
}
