/*
 * wasi_errno.c -- Linux errno to WASI errno, and what EINTR means here.
 *
 * Every Linux errno has a WASI counterpart or the nearest meaning; anything
 * unknown becomes EIO rather than leaking a host-specific number.
 *
 * EINTR: the runtime interrupts a blocking host call with a signal when the
 * guest's deadline passes (or it is interrupted from another thread). The
 * blocking loops call pe_wasi_interrupted() on EINTR: it ends the call with a
 * timeout trap if the runtime says so, otherwise the loop retries.
 */
#include <errno.h>

#include "runtime/pe_rt.h"
#include "pe_wasi_int.h"

uint32_t pe_wasi_errno(int e) {
  switch (e) {
    case 0: return PE_WASI_ESUCCESS;
    case E2BIG: return PE_WASI_E2BIG;
    case EACCES: return PE_WASI_EACCES;
    case EADDRINUSE: return PE_WASI_EADDRINUSE;
    case EADDRNOTAVAIL: return PE_WASI_EADDRNOTAVAIL;
    case EAFNOSUPPORT: return PE_WASI_EAFNOSUPPORT;
    case EAGAIN: return PE_WASI_EAGAIN;
#if EWOULDBLOCK != EAGAIN
    case EWOULDBLOCK: return PE_WASI_EAGAIN;
#endif
    case EALREADY: return PE_WASI_EALREADY;
    case EBADF: return PE_WASI_EBADF;
    case EBADMSG: return PE_WASI_EBADMSG;
    case EBUSY: return PE_WASI_EBUSY;
    case ECANCELED: return PE_WASI_ECANCELED;
    case ECHILD: return PE_WASI_ECHILD;
    case ECONNABORTED: return PE_WASI_ECONNABORTED;
    case ECONNREFUSED: return PE_WASI_ECONNREFUSED;
    case ECONNRESET: return PE_WASI_ECONNRESET;
    case EDEADLK: return PE_WASI_EDEADLK;
#if defined(EDEADLOCK) && EDEADLOCK != EDEADLK
    case EDEADLOCK: return PE_WASI_EDEADLK;
#endif
    case EDESTADDRREQ: return PE_WASI_EDESTADDRREQ;
    case EDOM: return PE_WASI_EDOM;
    case EDQUOT: return PE_WASI_EDQUOT;
    case EEXIST: return PE_WASI_EEXIST;
    case EFAULT: return PE_WASI_EFAULT;
    case EFBIG: return PE_WASI_EFBIG;
    case EHOSTUNREACH: return PE_WASI_EHOSTUNREACH;
    case EHOSTDOWN: return PE_WASI_EHOSTUNREACH;
    case EIDRM: return PE_WASI_EIDRM;
    case EILSEQ: return PE_WASI_EILSEQ;
    case EINPROGRESS: return PE_WASI_EINPROGRESS;
    case EINTR: return PE_WASI_EINTR;
    case EINVAL: return PE_WASI_EINVAL;
    case EIO: return PE_WASI_EIO;
    case EISCONN: return PE_WASI_EISCONN;
    case EISDIR: return PE_WASI_EISDIR;
    case ELOOP: return PE_WASI_ELOOP;
    case EMFILE: return PE_WASI_EMFILE;
    case EMLINK: return PE_WASI_EMLINK;
    case EMSGSIZE: return PE_WASI_EMSGSIZE;
    case EMULTIHOP: return PE_WASI_EMULTIHOP;
    case ENAMETOOLONG: return PE_WASI_ENAMETOOLONG;
    case ENETDOWN: return PE_WASI_ENETDOWN;
    case ENETRESET: return PE_WASI_ENETRESET;
    case ENETUNREACH: return PE_WASI_ENETUNREACH;
    case ENFILE: return PE_WASI_ENFILE;
    case ENOBUFS: return PE_WASI_ENOBUFS;
    case ENODEV: return PE_WASI_ENODEV;
    case ENOMEDIUM: return PE_WASI_ENODEV;
    case ENOENT: return PE_WASI_ENOENT;
    case ENOEXEC: return PE_WASI_ENOEXEC;
    case ENOLCK: return PE_WASI_ENOLCK;
    case ENOLINK: return PE_WASI_ENOLINK;
    case ENOMEM: return PE_WASI_ENOMEM;
    case ENOMSG: return PE_WASI_ENOMSG;
    case ENODATA: return PE_WASI_ENOMSG;
    case ENOPROTOOPT: return PE_WASI_ENOPROTOOPT;
    case ENOSPC: return PE_WASI_ENOSPC;
    case ENOSYS: return PE_WASI_ENOSYS;
    case ENOTCONN: return PE_WASI_ENOTCONN;
    case ENOTDIR: return PE_WASI_ENOTDIR;
    case ENOTEMPTY: return PE_WASI_ENOTEMPTY;
    case ENOTRECOVERABLE: return PE_WASI_ENOTRECOVERABLE;
    case ENOTSOCK: return PE_WASI_ENOTSOCK;
    case ENOTSUP: return PE_WASI_ENOTSUP;
#if EOPNOTSUPP != ENOTSUP
    case EOPNOTSUPP: return PE_WASI_ENOTSUP;
#endif
    case ENOTTY: return PE_WASI_ENOTTY;
    case ENXIO: return PE_WASI_ENXIO;
    case EOVERFLOW: return PE_WASI_EOVERFLOW;
    case EOWNERDEAD: return PE_WASI_EOWNERDEAD;
    case EPERM: return PE_WASI_EPERM;
    case EPIPE: return PE_WASI_EPIPE;
    case ESHUTDOWN: return PE_WASI_EPIPE;
    case EPROTO: return PE_WASI_EPROTO;
    case EPROTONOSUPPORT: return PE_WASI_EPROTONOSUPPORT;
    case ESOCKTNOSUPPORT: return PE_WASI_EPROTONOSUPPORT;
    case EPFNOSUPPORT: return PE_WASI_EAFNOSUPPORT;
    case EPROTOTYPE: return PE_WASI_EPROTOTYPE;
    case ERANGE: return PE_WASI_ERANGE;
    case EROFS: return PE_WASI_EROFS;
    case ESPIPE: return PE_WASI_ESPIPE;
    case ESRCH: return PE_WASI_ESRCH;
    case ESTALE: return PE_WASI_ESTALE;
    case ETIMEDOUT: return PE_WASI_ETIMEDOUT;
    case ETIME: return PE_WASI_ETIMEDOUT;
    case ETXTBSY: return PE_WASI_ETXTBSY;
    case EXDEV: return PE_WASI_EXDEV;
    case ENOTUNIQ: return PE_WASI_EINVAL;
    case ENOTBLK: return PE_WASI_ENOTSUP;
    case EUCLEAN: return PE_WASI_EIO;
    default: return PE_WASI_EIO;
  }
}

uint32_t pe_wasi_resolve_errno(int e) {
  return e == EXDEV ? PE_WASI_ENOTCAPABLE : pe_wasi_errno(e);
}

void pe_wasi_interrupted(void) {
  if (pe_rt_should_stop()) pe_rt_trap(PE_RT_TRAP_TIMEOUT);
}
