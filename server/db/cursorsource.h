#pragma once
// The installation's keyset-cursor codec (server/core/cursor.h), keyed by settings
// 'cursor_signing_key' and loaded on first use — the one loader behind every paginated list
// (problems, solutions, debates, agents, review queue, jobs, audit log). Thread-safe; the load
// runs on the calling thread's connection.

#include "server/core/result.h"

#include <QMutex>

#include <memory>

namespace bw {
class CursorCodec;
}

namespace bw::db {

class Database;

// Caches the codec for a service: settings 'cursor_signing_key' is read on the first codec() call
// (Internal error while the row is missing or empty, retried on the next call). Loaded once; the key only changes when an operator rotates it
// (then restart).
class CursorSource final {
public:
    explicit CursorSource(Database &db) : m_db(db) {}
    Result<std::shared_ptr<const CursorCodec>> codec();

private:
    Database &m_db;
    QMutex m_mutex;
    std::shared_ptr<const CursorCodec> m_codec;
};

} // namespace bw::db
