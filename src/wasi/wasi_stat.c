/*
 * wasi_stat.c -- host stat/timespec values to and from WASI's encodings.
 *
 * WASI timestamps are unsigned nanoseconds since the epoch. Host times before
 * 1970 become 0 and times past 2554 saturate instead of overflowing.
 */
#include <sys/stat.h>

#include "pe_wasi_int.h"

uint64_t pe_wasi_ns(const struct timespec *ts) {
  if (ts->tv_sec < 0) return 0;
  uint64_t sec = (uint64_t)ts->tv_sec;
  if (sec > (UINT64_MAX - 999999999u) / 1000000000u) return UINT64_MAX;
  return sec * 1000000000u + (uint64_t)ts->tv_nsec;
}

void pe_wasi_store_filestat(uint8_t *p, const struct stat *st) {
  for (unsigned i = 0; i < PE_WASI_FILESTAT_SIZE; i++) p[i] = 0;
  pe_wasi_st64(p + 0, (uint64_t)st->st_dev);
  pe_wasi_st64(p + 8, (uint64_t)st->st_ino);
  p[16] = pe_wasi_filetype(st->st_mode);
  pe_wasi_st64(p + 24, (uint64_t)st->st_nlink);
  pe_wasi_st64(p + 32, st->st_size < 0 ? 0 : (uint64_t)st->st_size);
  pe_wasi_st64(p + 40, pe_wasi_ns(&st->st_atim));
  pe_wasi_st64(p + 48, pe_wasi_ns(&st->st_mtim));
  pe_wasi_st64(p + 56, pe_wasi_ns(&st->st_ctim));
}

static struct timespec ts_of(uint64_t ns) {
  return (struct timespec){.tv_sec = (time_t)(ns / 1000000000u),
                           .tv_nsec = (long)(ns % 1000000000u)};
}

uint32_t pe_wasi_times(uint64_t atim, uint64_t mtim, uint32_t fst_flags, struct timespec ts[2]) {
  if (fst_flags & ~PE_WASI_FST_ALL) return PE_WASI_EINVAL;
  if ((fst_flags & PE_WASI_FST_ATIM) && (fst_flags & PE_WASI_FST_ATIM_NOW)) return PE_WASI_EINVAL;
  if ((fst_flags & PE_WASI_FST_MTIM) && (fst_flags & PE_WASI_FST_MTIM_NOW)) return PE_WASI_EINVAL;
  ts[0] = (struct timespec){.tv_nsec = UTIME_OMIT};
  ts[1] = (struct timespec){.tv_nsec = UTIME_OMIT};
  if (fst_flags & PE_WASI_FST_ATIM_NOW) ts[0].tv_nsec = UTIME_NOW;
  if (fst_flags & PE_WASI_FST_ATIM) ts[0] = ts_of(atim);
  if (fst_flags & PE_WASI_FST_MTIM_NOW) ts[1].tv_nsec = UTIME_NOW;
  if (fst_flags & PE_WASI_FST_MTIM) ts[1] = ts_of(mtim);
  return PE_WASI_ESUCCESS;
}
