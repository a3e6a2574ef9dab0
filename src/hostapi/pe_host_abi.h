/*
 * pe_host_abi.h -- host functions of the "pyedge" import module, with the
 * prototypes wasm2c 1.0.32 gives them (module "pyedge", instance struct
 * Z_pyedge_instance_t). Compiled next to every generated module so that a
 * module importing one with another signature fails to build.
 *
 *   log(level i32, ptr i32, len i32)         a log line from the guest
 *   version(buf i32, cap i32) -> i32         writes pyedge's version, returns
 *                                            its full length
 *   call(svc i32, svc_len i32, in i32, in_len i32) -> i32
 *                                            a host-service request
 *                                            (pe_hostcall.h); reply length
 *                                            or -1 without services
 *   reply(buf i32, cap i32) -> i32           copies out the kept reply
 *
 * The runtime passes the same host pointer (a pe_wasi context) for every
 * import module, so Z_pyedge_instance_t is that context too.
 */
#ifndef PE_HOST_ABI_H
#define PE_HOST_ABI_H

#include <stdint.h>

struct Z_pyedge_instance_t;

void Z_pyedgeZ_log(struct Z_pyedge_instance_t *, uint32_t, uint32_t, uint32_t);
uint32_t Z_pyedgeZ_version(struct Z_pyedge_instance_t *, uint32_t, uint32_t);
uint32_t Z_pyedgeZ_call(struct Z_pyedge_instance_t *, uint32_t, uint32_t, uint32_t, uint32_t);
uint32_t Z_pyedgeZ_reply(struct Z_pyedge_instance_t *, uint32_t, uint32_t);

#endif /* PE_HOST_ABI_H */
