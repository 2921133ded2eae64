#include "server/core/threadrole.h"

#include <QByteArray>
#include <QtGlobal>

#include <atomic>
#include <cstring>

#include <pthread.h>

#ifndef BW_THREAD_CHECKS_DEFAULT
#define BW_THREAD_CHECKS_DEFAULT 0
#endif

namespace bw {

namespace {

thread_local ThreadRole t_role = ThreadRole::Other;

bool initialChecks()
{
    const QByteArray env = qgetenv("BW_THREAD_CHECKS").trimmed().toLower();
    if (env == "1" || env == "on" || env == "true")
        return true;
    if (env == "0" || env == "off" || env == "false")
        return false;
    return BW_THREAD_CHECKS_DEFAULT != 0;
}

std::atomic_bool &checksFlag()
{
    static std::atomic_bool flag{initialChecks()};
    return flag;
}

const char *roleName(ThreadRole role)
{
    switch (role) {
    case ThreadRole::Gui:
        return "GUI";
    case ThreadRole::HttpIo:
        return "HTTP I/O";
    case ThreadRole::Other:
        break;
    }
    return "worker";
}

} // namespace

void setCurrentThreadName(const char *name)
{
    char cut[16] = {};
    std::strncpy(cut, name, sizeof cut - 1); // pthread_setname_np refuses names over 15 chars
    pthread_setname_np(pthread_self(), cut);
}

void setCurrentThreadRole(ThreadRole role)
{
    t_role = role;
}
ThreadRole currentThreadRole()
{
    return t_role;
}

bool threadChecksEnabled()
{
    return checksFlag().load(std::memory_order_relaxed);
}
void setThreadChecksEnabled(bool on)
{
    checksFlag().store(on, std::memory_order_relaxed);
}

void checkSqlThread(const char *where)
{
    const ThreadRole role = t_role;
    if (role == ThreadRole::Other || !threadChecksEnabled()) [[likely]]
        return;
    char name[16] = {};
    pthread_getname_np(pthread_self(), name, sizeof name);
    // qFatal: flushed through the log writer, then abort() — a core dump shows the caller.
    qFatal("thread check: %s on the %s thread \"%s\"; SQL belongs on the request pool or a worker thread "
           "(docs/threads.md)",
           where, roleName(role), name);
}

} // namespace bw
