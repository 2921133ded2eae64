#pragma once
// The Layer B prompt (guardrails.md step 6): the 15 domains, the forbidden patterns, the scale and
// the exact JSON object expected back. Pure functions: any thread.

#include <QString>
#include <QStringList>

namespace bw::guardrails {

// patternNames: the active Layer A pattern names (so an administrator's override is reflected).
QString classifierSystemPrompt(const QString &contentType, const QStringList &patternNames);
// The submission, labelled field by field, fenced so that instructions inside it stay data.
QString classifierUserMessage(const QString &contentType, const QString &labelledText);

} // namespace bw::guardrails
