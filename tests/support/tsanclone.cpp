// Linked into every test of a BW_TSAN build (tests/support/CMakeLists.txt), nowhere else.
//
// QProcess (Qt 6.4's forkfd) starts children with clone(CLONE_VM | CLONE_VFORK), vfork-style. The
// clone interceptor of GCC 12's libtsan (and clang 14's) then runs its fork-child bookkeeping in the
// child, which shares the parent's memory: with clang that is a CHECK failure, with GCC the parent is
// left believing it forked while multi-threaded — it ignores all further accesses of that thread
// and dies at the next thread it starts. This clone() takes precedence over libtsan's and drops
// CLONE_VM, so the child gets its own copy of memory (what fork() does; QProcess reports exec errors
// through a pipe, not through shared memory), then passes the call on to the interceptor.
#include <dlfcn.h>
#include <sched.h>
#include <sys/types.h>

#include <cstdarg>

extern "C" int clone(int (*fn)(void *), void *stack, int flags, void *arg, ...)
{
    va_list ap;
    va_start(ap, arg);
    auto *parentTid = va_arg(ap, pid_t *);
    void *tls = va_arg(ap, void *);
    auto *childTid = va_arg(ap, pid_t *);
    va_end(ap);
    using Clone = int (*)(int (*)(void *), void *, int, void *, ...);
    static const auto next = reinterpret_cast<Clone>(::dlsym(RTLD_NEXT, "clone")); // libtsan's
    if ((flags & CLONE_VM) && (flags & CLONE_VFORK))
        flags &= ~CLONE_VM;
    return next(fn, stack, flags, arg, parentTid, tls, childTid);
}
