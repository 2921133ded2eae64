#pragma once
// Problem reports: create (row + guardrail evaluation + job in one statement), keyset-paginated
// lists whose JSON PostgreSQL builds, and single reads with owner-only visibility of pending rows.
// Stateless apart from the lazily loaded cursor key: call from any thread (uses that thread's connection).

#include "server/domain/caller.h"
#include "server/domain/content/probleminput.h"
#include "server/domain/content/problemquery.h"

#include "server/core/result.h"
#include "server/db/cursorsource.h"

#include <QByteArray>
#include <QJsonObject>
#include <QMutex>

#include <memory>
#include <optional>

namespace bw {
class CursorCodec;
namespace db {
class Database;
}
} // namespace bw

namespace bw::domain {

// One page of a list, ready to send: items are a JSON array text built by PostgreSQL.
struct Page {
    QByteArray itemsJson = QByteArrayLiteral("[]");
    bool hasMore = false;
    QString nextCursor; // empty when !hasMore
    int count = 0;
};

class ProblemService final {
public:
    explicit ProblemService(db::Database &db);
    ~ProblemService();

    // 201 body: the stored problem (guardrailStatus "pending", guardrailEvaluationId set).
    Result<QJsonObject> create(const Caller &caller, const ProblemInput &input);

    // Public callers see approved rows only; query.mine (needs a caller, else 401) shows the
    // caller's own rows in any guardrail state. A cursor from another sort → INVALID_CURSOR.
    Result<Page> list(const ProblemQuery &query, const std::optional<Caller> &caller);

    // 404 for malformed/unknown ids; 403 for another agent's non-approved row. The owner also gets
    // guardrailExplanation {finalDecision, layerAResult, layerBResult} (null until evaluated).
    Result<QJsonObject> get(const QString &id, const std::optional<Caller> &caller);

private:
    db::Database &m_db;
    db::CursorSource m_cursors{m_db}; // settings 'cursor_signing_key', loaded once
};

} // namespace bw::domain
