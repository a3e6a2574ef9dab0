/*
 * pe_wasi_abi.h -- every wasi_snapshot_preview1 function exactly as wasm2c
 * 1.0.32 declares an import of it.
 *
 * wasm2c turns the import `wasi_snapshot_preview1.NAME` into a call to
 * `Z_wasi_snapshot_preview1Z_NAME(struct Z_wasi_snapshot_preview1_instance_t *,
 * params...)`, i32 becoming uint32_t and i64 uint64_t, returning uint32_t (the
 * WASI errno) or void. The module compiler includes this header next to the
 * generated one: a module that imports one of these names with another
 * signature then fails to compile (conflicting types) instead of calling the
 * host with a mismatched frame. Hence this header is self-contained and uses
 * only the fixed-width types that wasm2c's u32/u64 are typedefs of.
 *
 * Parameters are named after the preview1 witx; *_ptr are guest addresses.
 */
#ifndef PE_WASI_ABI_H
#define PE_WASI_ABI_H

#include <stdint.h>

struct Z_wasi_snapshot_preview1_instance_t;
#define PE_WASI_CTX struct Z_wasi_snapshot_preview1_instance_t *

uint32_t Z_wasi_snapshot_preview1Z_args_get(PE_WASI_CTX, uint32_t argv_ptr, uint32_t argv_buf_ptr);
uint32_t Z_wasi_snapshot_preview1Z_args_sizes_get(PE_WASI_CTX, uint32_t argc_ptr,
                                                  uint32_t argv_buf_size_ptr);
uint32_t Z_wasi_snapshot_preview1Z_environ_get(PE_WASI_CTX, uint32_t environ_ptr,
                                               uint32_t environ_buf_ptr);
uint32_t Z_wasi_snapshot_preview1Z_environ_sizes_get(PE_WASI_CTX, uint32_t count_ptr,
                                                     uint32_t buf_size_ptr);
uint32_t Z_wasi_snapshot_preview1Z_clock_res_get(PE_WASI_CTX, uint32_t clock_id,
                                                 uint32_t resolution_ptr);
uint32_t Z_wasi_snapshot_preview1Z_clock_time_get(PE_WASI_CTX, uint32_t clock_id,
                                                  uint64_t precision, uint32_t time_ptr);
uint32_t Z_wasi_snapshot_preview1Z_fd_advise(PE_WASI_CTX, uint32_t fd, uint64_t offset,
                                             uint64_t len, uint32_t advice);
uint32_t Z_wasi_snapshot_preview1Z_fd_allocate(PE_WASI_CTX, uint32_t fd, uint64_t offset,
                                               uint64_t len);
uint32_t Z_wasi_snapshot_preview1Z_fd_close(PE_WASI_CTX, uint32_t fd);
uint32_t Z_wasi_snapshot_preview1Z_fd_datasync(PE_WASI_CTX, uint32_t fd);
uint32_t Z_wasi_snapshot_preview1Z_fd_fdstat_get(PE_WASI_CTX, uint32_t fd, uint32_t stat_ptr);
uint32_t Z_wasi_snapshot_preview1Z_fd_fdstat_set_flags(PE_WASI_CTX, uint32_t fd, uint32_t flags);
uint32_t Z_wasi_snapshot_preview1Z_fd_fdstat_set_rights(PE_WASI_CTX, uint32_t fd,
                                                        uint64_t fs_rights_base,
                                                        uint64_t fs_rights_inheriting);
uint32_t Z_wasi_snapshot_preview1Z_fd_filestat_get(PE_WASI_CTX, uint32_t fd, uint32_t buf_ptr);
uint32_t Z_wasi_snapshot_preview1Z_fd_filestat_set_size(PE_WASI_CTX, uint32_t fd, uint64_t size);
uint32_t Z_wasi_snapshot_preview1Z_fd_filestat_set_times(PE_WASI_CTX, uint32_t fd, uint64_t atim,
                                                         uint64_t mtim, uint32_t fst_flags);
uint32_t Z_wasi_snapshot_preview1Z_fd_pread(PE_WASI_CTX, uint32_t fd, uint32_t iovs_ptr,
                                            uint32_t iovs_len, uint64_t offset,
                                            uint32_t nread_ptr);
uint32_t Z_wasi_snapshot_preview1Z_fd_prestat_get(PE_WASI_CTX, uint32_t fd, uint32_t buf_ptr);
uint32_t Z_wasi_snapshot_preview1Z_fd_prestat_dir_name(PE_WASI_CTX, uint32_t fd,
                                                       uint32_t path_ptr, uint32_t path_len);
uint32_t Z_wasi_snapshot_preview1Z_fd_pwrite(PE_WASI_CTX, uint32_t fd, uint32_t iovs_ptr,
                                             uint32_t iovs_len, uint64_t offset,
                                             uint32_t nwritten_ptr);
uint32_t Z_wasi_snapshot_preview1Z_fd_read(PE_WASI_CTX, uint32_t fd, uint32_t iovs_ptr,
                                           uint32_t iovs_len, uint32_t nread_ptr);
uint32_t Z_wasi_snapshot_preview1Z_fd_readdir(PE_WASI_CTX, uint32_t fd, uint32_t buf_ptr,
                                              uint32_t buf_len, uint64_t cookie,
                                              uint32_t bufused_ptr);
uint32_t Z_wasi_snapshot_preview1Z_fd_renumber(PE_WASI_CTX, uint32_t fd, uint32_t to);
uint32_t Z_wasi_snapshot_preview1Z_fd_seek(PE_WASI_CTX, uint32_t fd, uint64_t offset,
                                           uint32_t whence, uint32_t newoffset_ptr);
uint32_t Z_wasi_snapshot_preview1Z_fd_sync(PE_WASI_CTX, uint32_t fd);
uint32_t Z_wasi_snapshot_preview1Z_fd_tell(PE_WASI_CTX, uint32_t fd, uint32_t offset_ptr);
uint32_t Z_wasi_snapshot_preview1Z_fd_write(PE_WASI_CTX, uint32_t fd, uint32_t iovs_ptr,
                                            uint32_t iovs_len, uint32_t nwritten_ptr);
uint32_t Z_wasi_snapshot_preview1Z_path_create_directory(PE_WASI_CTX, uint32_t fd,
                                                         uint32_t path_ptr, uint32_t path_len);
uint32_t Z_wasi_snapshot_preview1Z_path_filestat_get(PE_WASI_CTX, uint32_t fd, uint32_t flags,
                                                     uint32_t path_ptr, uint32_t path_len,
                                                     uint32_t buf_ptr);
uint32_t Z_wasi_snapshot_preview1Z_path_filestat_set_times(PE_WASI_CTX, uint32_t fd,
                                                           uint32_t flags, uint32_t path_ptr,
                                                           uint32_t path_len, uint64_t atim,
                                                           uint64_t mtim, uint32_t fst_flags);
uint32_t Z_wasi_snapshot_preview1Z_path_link(PE_WASI_CTX, uint32_t old_fd, uint32_t old_flags,
                                             uint32_t old_path_ptr, uint32_t old_path_len,
                                             uint32_t new_fd, uint32_t new_path_ptr,
                                             uint32_t new_path_len);
uint32_t Z_wasi_snapshot_preview1Z_path_open(PE_WASI_CTX, uint32_t fd, uint32_t dirflags,
                                             uint32_t path_ptr, uint32_t path_len,
                                             uint32_t oflags, uint64_t fs_rights_base,
                                             uint64_t fs_rights_inheriting, uint32_t fdflags,
                                             uint32_t fd_ptr);
uint32_t Z_wasi_snapshot_preview1Z_path_readlink(PE_WASI_CTX, uint32_t fd, uint32_t path_ptr,
                                                 uint32_t path_len, uint32_t buf_ptr,
                                                 uint32_t buf_len, uint32_t bufused_ptr);
uint32_t Z_wasi_snapshot_preview1Z_path_remove_directory(PE_WASI_CTX, uint32_t fd,
                                                         uint32_t path_ptr, uint32_t path_len);
uint32_t Z_wasi_snapshot_preview1Z_path_rename(PE_WASI_CTX, uint32_t fd, uint32_t old_path_ptr,
                                               uint32_t old_path_len, uint32_t new_fd,
                                               uint32_t new_path_ptr, uint32_t new_path_len);
uint32_t Z_wasi_snapshot_preview1Z_path_symlink(PE_WASI_CTX, uint32_t old_path_ptr,
                                                uint32_t old_path_len, uint32_t fd,
                                                uint32_t new_path_ptr, uint32_t new_path_len);
uint32_t Z_wasi_snapshot_preview1Z_path_unlink_file(PE_WASI_CTX, uint32_t fd, uint32_t path_ptr,
                                                    uint32_t path_len);
uint32_t Z_wasi_snapshot_preview1Z_poll_oneoff(PE_WASI_CTX, uint32_t in_ptr, uint32_t out_ptr,
                                               uint32_t nsubscriptions, uint32_t nevents_ptr);
void Z_wasi_snapshot_preview1Z_proc_exit(PE_WASI_CTX, uint32_t rval);
uint32_t Z_wasi_snapshot_preview1Z_proc_raise(PE_WASI_CTX, uint32_t sig);
uint32_t Z_wasi_snapshot_preview1Z_random_get(PE_WASI_CTX, uint32_t buf_ptr, uint32_t buf_len);
uint32_t Z_wasi_snapshot_preview1Z_sched_yield(PE_WASI_CTX);
uint32_t Z_wasi_snapshot_preview1Z_sock_accept(PE_WASI_CTX, uint32_t fd, uint32_t flags,
                                               uint32_t fd_ptr);
uint32_t Z_wasi_snapshot_preview1Z_sock_recv(PE_WASI_CTX, uint32_t fd, uint32_t ri_data_ptr,
                                             uint32_t ri_data_len, uint32_t ri_flags,
                                             uint32_t ro_datalen_ptr, uint32_t ro_flags_ptr);
uint32_t Z_wasi_snapshot_preview1Z_sock_send(PE_WASI_CTX, uint32_t fd, uint32_t si_data_ptr,
                                             uint32_t si_data_len, uint32_t si_flags,
                                             uint32_t so_datalen_ptr);
uint32_t Z_wasi_snapshot_preview1Z_sock_shutdown(PE_WASI_CTX, uint32_t fd, uint32_t how);

#undef PE_WASI_CTX

#endif /* PE_WASI_ABI_H */
