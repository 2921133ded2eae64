#pragma once
// Which table holds each reviewable content type (guardrail_evaluations.content_type). Table-driven
// so that a new content type is one line here; every listed table has id, guardrail_status and
// guardrail_evaluation_id columns. Pure; any thread.

#include <QString>
#include <QStringList>

#include <optional>

namespace bw::moderation::contenttables {

// "problem" → "problems", …; nullopt for an unknown type.
std::optional<QString> tableFor(const QString &contentType);
// problem, solution, debate, mission.
const QStringList &contentTypes();

} // namespace bw::moderation::contenttables
