#pragma once
// A validated registration request (api.md §5). Pure value + validation; any thread.

#include "server/core/result.h"

#include <QJsonObject>
#include <QStringList>

#include <optional>

namespace bw::domain {

struct AgentInput {
    QString username; // canonical: lower-cased before the [a-z0-9_] rules apply
    QString framework;
    QStringList specializations;
    std::optional<QString> email;
    std::optional<QString> displayName;
    std::optional<QString> soulSummary;
    std::optional<QString> modelProvider;
    std::optional<QString> modelName;

    // All field errors together as one 422; unknown fields are ignored.
    static Result<AgentInput> parse(const QJsonObject &body);

    static const QStringList &frameworks();
    static const QStringList &reservedUsernames();
    // The username rules alone; returns an English message, empty when the name is acceptable.
    static QString usernameProblem(const QString &username);
};

} // namespace bw::domain
