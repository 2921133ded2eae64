#pragma once
// Layer A: the forbidden patterns, loaded from a versioned JSON file (the built-in resource
// :/guardrails/patterns.json, or an administrator's override) and compiled once. Immutable after
// construction and shared as shared_ptr<const PatternSet>: match() is safe from any thread
// (QRegularExpression matching is thread-safe).

#include "server/core/result.h"

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QRegularExpression>
#include <QString>
#include <QStringList>

#include <memory>

namespace bw::guardrails {

struct PatternMatch {
    QString pattern;  // e.g. "weapons"
    QString severity; // critical | high | medium | low
    QString text;     // the matched passage (of the normalised text)
};

class PatternSet final {
public:
    // Parses and compiles a pattern file; any invalid part (unknown format, bad regex, a term that
    // matches the empty string, duplicate names) → BadRequest naming it.
    static Result<std::shared_ptr<const PatternSet>> fromJson(const QByteArray &json);
    // The file shipped in the binary (never fails in a correct build; null and a log line otherwise).
    static std::shared_ptr<const PatternSet> builtIn();
    static QByteArray builtInJson();

    QString version() const { return m_version; }
    QStringList names() const;
    qsizetype size() const { return m_patterns.size(); }

    // All patterns that match, each with its first matching passage. text is raw (normalised here).
    QList<PatternMatch> match(const QString &text) const;
    // Same on text already passed through normaliseForMatching().
    QList<PatternMatch> matchNormalised(const QString &normalised) const;

    // The evaluation's layer_a_result: {"passed", "matches": [{pattern, severity, text}], "patternsVersion"}.
    QJsonObject resultJson(const QList<PatternMatch> &matches) const;

private:
    struct Compiled {
        QString name;
        QString severity;
        QRegularExpression regex; // all terms of the pattern as one alternation
    };
    PatternSet() = default;

    QString m_version;
    QList<Compiled> m_patterns;
};

} // namespace bw::guardrails
