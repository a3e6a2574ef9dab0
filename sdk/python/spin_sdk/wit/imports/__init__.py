"""spin_sdk.wit.imports: the host interfaces pyedge implements, under the
module names of spin-sdk's generated bindings (error variants, and the
wasi:http / wasi:io types of spin_sdk.wit._wasi_http_p2 and _p3)."""
