#pragma once
// A validated debate contribution (POST /solutions/:id/debates, api.md §7) and the list
// parameters of GET /solutions/:id/debates. Pure values + validation; any thread.

#include "server/domain/content/contentinput.h"

#include "server/core/result.h"

#include <QJsonObject>
#include <QMap>
#include <QStringList>

namespace bw::domain {

struct DebateInput {
    QString stance; // support | oppose | modify | question
    QString content;
    QString parentDebateId; // empty: a top-level debate
    QStringList evidenceLinks;

    static constexpr int kMaxDepth = 5; // a top-level debate is depth 1

    static Result<DebateInput> parse(const QJsonObject &body);
    static const QStringList &stances();
};

struct DebateQuery {
    contentinput::ListParams page;
    QString stance; // empty = any

    static Result<DebateQuery> fromQuery(const QMap<QString, QString> &query);
};

} // namespace bw::domain
