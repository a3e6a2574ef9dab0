/*
 * embedded.h -- headers that generated module code is compiled against,
 * embedded in the executable at build time (toolchain/embed.sh), so that a
 * module is always built against the runtime that will load it.
 */
#ifndef PE_EMBEDDED_H
#define PE_EMBEDDED_H

extern const char pe_embedded_wasm_rt_h[];
extern const char pe_embedded_pe_rt_h[];
extern const char pe_embedded_pe_wasi_abi_h[];
extern const char pe_embedded_pe_host_abi_h[];

#endif /* PE_EMBEDDED_H */
