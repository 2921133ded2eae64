#pragma once
// Names the threads we start (top -H, gdb, /proc/<pid>/task/*/comm) and tags the two kinds that
// must never run SQL — the desktop's GUI thread and the HTTP I/O threads — so bw::db can refuse it.
// Everything here acts on the calling thread only; docs/threads.md lists every thread.

namespace bw {

enum class ThreadRole : unsigned char {
    Other,  // workers, pools, helpers, tests: SQL allowed
    Gui,    // the desktop's main (QApplication) thread
    HttpIo, // an Asio thread of the HTTP server
};

// Linux keeps 15 characters of a thread name; longer names are cut there.
void setCurrentThreadName(const char *name);
void setCurrentThreadRole(ThreadRole role);
ThreadRole currentThreadRole();

// The SQL-thread check. Default: on when built with BW_THREAD_CHECKS (the CMake option, ON for
// Debug), else off; the environment variable BW_THREAD_CHECKS=1 or 0 overrides it at start, and
// setThreadChecksEnabled() at run time (tests).
bool threadChecksEnabled();
void setThreadChecksEnabled(bool on);

// Called where SQL starts (db::exec, db::Transaction, Database::connection). With checks on, SQL on
// the GUI thread or an HTTP I/O thread is a bug: it logs what was called where and aborts.
// Costs one thread-local read on the threads that may run SQL.
void checkSqlThread(const char *where);

} // namespace bw
