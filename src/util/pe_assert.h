/*
 * pe_assert.h -- invariants written as code, not only as prose.
 *
 * PE_ASSERT(x)  a rule the code relies on and cannot go on without: a
 *               bound already checked upstream, a thread's ownership, the
 *               state an object must be in. Checked in every build: it
 *               costs a compare, and in a sandbox host a broken invariant
 *               is a security bug, so the process stops naming the rule,
 *               file and line rather than run on with corrupt state.
 * ALWAYS(x)     a condition believed always true (NEVER: never true) that
 * NEVER(x)      the code handles anyway, SQLite's convention:
 *                   if (NEVER(n > cap)) return false;
 *               In debug builds (PE_DEBUG: unit-asan, fuzz, make SAN=...) a
 *               wrong belief aborts, so the tests find it; in release
 *               builds each is its condition and the handling code runs.
 * PE_MUST_CHECK on a function whose result says whether it did its work:
 *               ignoring it is a compile error (-Werror).
 */
#ifndef PE_ASSERT_H
#define PE_ASSERT_H

#define PE_ASSERT(x) ((x) ? (void)0 : pe_assert_fail(#x, __FILE__, __LINE__))

#ifdef PE_DEBUG
#define ALWAYS(x) ((x) ? 1 : (pe_assert_fail(#x, __FILE__, __LINE__), 0))
#define NEVER(x) ((x) ? (pe_assert_fail(#x, __FILE__, __LINE__), 1) : 0)
#else
#define ALWAYS(x) (!!(x))
#define NEVER(x) (!!(x))
#endif

#define PE_MUST_CHECK __attribute__((warn_unused_result))

/* Writes "pyedge: invariant broken at FILE:LINE: EXPR" to stderr and aborts. */
_Noreturn void pe_assert_fail(const char *expr, const char *file, int line);

#endif /* PE_ASSERT_H */
