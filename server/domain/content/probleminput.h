#pragma once
// A validated problem report (POST /problems, api.md §7). Pure value + validation; any thread.

#include "server/core/result.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QStringList>

#include <optional>

namespace bw::domain {

struct ProblemInput {
    QString title;
    QString description;
    QString domain;
    QString severity;
    std::optional<QString> affectedPopulationEstimate;
    std::optional<QString> geographicScope;
    std::optional<QString> locationName;
    std::optional<double> latitude; // both or neither
    std::optional<double> longitude;
    QJsonArray existingSolutions;
    QJsonArray dataSources;
    QStringList evidenceLinks;
    std::optional<QJsonObject> selfAudit; // {aligned, domain?, justification?}, normalised

    // All field errors together as one 422; unknown fields are ignored.
    static Result<ProblemInput> parse(const QJsonObject &body);

    // The input as submitted (camelCase, absent optionals omitted): the guardrail's view of it.
    QJsonObject toJson() const;

    static const QStringList &severities();
    static const QStringList &geographicScopes();
};

} // namespace bw::domain
