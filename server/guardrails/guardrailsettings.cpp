#include "guardrailsettings.h"

#include "server/db/database.h"
#include "server/db/sql.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QSqlQuery>

#include <cmath>

namespace bw::guardrails {

namespace {
Q_LOGGING_CATEGORY(lcSettings, "bw.guardrails.settings")

struct Entry {
    const char *key;
    enum Kind { Int, Double, Provider, Text, Url } kind;
    double min = 0;
    double max = 0;
    int GuardrailConfig::*intMember = nullptr;
    double GuardrailConfig::*doubleMember = nullptr;
    QString GuardrailConfig::*textMember = nullptr;
};

const QList<Entry> &entries()
{
    using G = GuardrailConfig;
    static const QList<Entry> all = {
        {"guardrails/provider", Entry::Provider, 0, 0, nullptr, nullptr, &G::provider},
        {"guardrails/model", Entry::Text, 0, 200, nullptr, nullptr, &G::model},
        {"guardrails/base_url", Entry::Url, 0, 2000, nullptr, nullptr, &G::baseUrl},
        {"guardrails/timeout_ms", Entry::Int, 100, 600000, &G::timeoutMs},
        {"guardrails/budget_cents", Entry::Int, 0, 100000000, &G::budgetCents},
        {"guardrails/price_input_cents_per_mtok", Entry::Double, -1, 1e7, nullptr, &G::priceInputCentsPerMTok},
        {"guardrails/price_output_cents_per_mtok", Entry::Double, -1, 1e7, nullptr, &G::priceOutputCentsPerMTok},
        {"guardrails/cache_ttl_seconds", Entry::Int, 0, 30 * 86400, &G::cacheTtlSeconds},
        {"guardrails/approve_threshold", Entry::Double, 0, 1, nullptr, &G::approveThreshold},
        {"guardrails/flag_threshold", Entry::Double, 0, 1, nullptr, &G::flagThreshold},
        {"guardrails/composite_reject_below", Entry::Double, 0, 100, nullptr, &G::compositeRejectBelow},
        {"guardrails/composite_flag_below", Entry::Double, 0, 100, nullptr, &G::compositeFlagBelow},
        {"guardrails/verified_min_age_days", Entry::Int, 0, 3650, &G::verifiedMinAgeDays},
        {"guardrails/verified_min_approved", Entry::Int, 0, 100000, &G::verifiedMinApproved},
    };
    return all;
}

const Entry *entryFor(const QString &key)
{
    for (const Entry &e : entries())
        if (key == QLatin1String(e.key))
            return &e;
    return nullptr;
}

QString jsonText(const QJsonValue &v)
{
    // QJsonDocument only serialises containers: wrap and strip the brackets.
    const QByteArray a = QJsonDocument(QJsonArray{v}).toJson(QJsonDocument::Compact);
    return QString::fromUtf8(a.mid(1, a.size() - 2));
}

QJsonValue parseJsonText(const QString &text)
{
    const QJsonDocument doc = QJsonDocument::fromJson(('[' + text + ']').toUtf8());
    return doc.isArray() && !doc.array().isEmpty() ? doc.array().first() : QJsonValue(QJsonValue::Undefined);
}

QString crossCheck(const GuardrailConfig &c)
{
    if (c.flagThreshold > c.approveThreshold)
        return QStringLiteral("flag_threshold must not exceed approve_threshold");
    if (c.compositeRejectBelow > c.compositeFlagBelow)
        return QStringLiteral("composite_reject_below must not exceed composite_flag_below");
    return {};
}
} // namespace

GuardrailSettingsStore::GuardrailSettingsStore(db::Database &db, GuardrailConfig nodeConfig, std::chrono::milliseconds refresh)
    : m_db(db), m_node(std::move(nodeConfig)), m_refresh(refresh)
{
}

const QStringList &GuardrailSettingsStore::keys()
{
    static const QStringList k = [] {
        QStringList out;
        for (const Entry &e : entries())
            out << QLatin1String(e.key);
        return out;
    }();
    return k;
}

QString GuardrailSettingsStore::apply(GuardrailConfig &config, const QString &key, const QJsonValue &value)
{
    const Entry *e = entryFor(key);
    if (!e)
        return QStringLiteral("unknown guardrail setting");
    switch (e->kind) {
    case Entry::Int:
    case Entry::Double: {
        const double d = value.toDouble(std::nan(""));
        if (!value.isDouble() || !std::isfinite(d) || d < e->min || d > e->max)
            return QStringLiteral("expected a number from %1 to %2").arg(e->min).arg(e->max);
        if (e->kind == Entry::Int) {
            if (d != std::floor(d))
                return QStringLiteral("expected a whole number");
            config.*(e->intMember) = int(d);
        } else {
            config.*(e->doubleMember) = d;
        }
        return {};
    }
    case Entry::Provider: {
        const QString s = value.toString().trimmed().toLower();
        if (s != u"none" && s != u"anthropic" && s != u"openai-compatible")
            return QStringLiteral("expected none, anthropic or openai-compatible");
        config.*(e->textMember) = s;
        return {};
    }
    case Entry::Text:
    case Entry::Url: {
        if (!value.isString() || value.toString().size() > e->max)
            return QStringLiteral("expected a string of at most %1 characters").arg(e->max);
        const QString s = value.toString().trimmed();
        if (e->kind == Entry::Url && !s.isEmpty() && !s.startsWith(u"http://") && !s.startsWith(u"https://"))
            return QStringLiteral("expected an http:// or https:// URL");
        config.*(e->textMember) = s;
        return {};
    }
    }
    return QStringLiteral("unsupported");
}

QJsonValue GuardrailSettingsStore::valueOf(const GuardrailConfig &config, const QString &key)
{
    const Entry *e = entryFor(key);
    if (!e)
        return QJsonValue::Undefined;
    if (e->intMember)
        return config.*(e->intMember);
    if (e->doubleMember)
        return config.*(e->doubleMember);
    return config.*(e->textMember);
}

void GuardrailSettingsStore::invalidate()
{
    QMutexLocker lock(&m_mutex);
    m_loadedAt = {};
}

Result<std::shared_ptr<const PolicySnapshot>> GuardrailSettingsStore::current()
{
    QMutexLocker lock(&m_mutex);
    const auto now = std::chrono::steady_clock::now();
    if (m_snapshot && m_loadedAt != std::chrono::steady_clock::time_point() && now - m_loadedAt < m_refresh)
        return m_snapshot;
    auto loaded = load();
    if (!loaded) {
        if (!m_snapshot)
            return loaded.error();
        qCWarning(lcSettings).noquote() << "keeping the previous guardrail settings:" << loaded.error().message;
        m_loadedAt = now; // retry after the next refresh interval, not on every evaluation
        return m_snapshot;
    }
    m_snapshot = *loaded;
    m_loadedAt = now;
    return m_snapshot;
}

Result<std::shared_ptr<const PolicySnapshot>> GuardrailSettingsStore::load()
{
    auto q =
        db::exec(m_db.connection(),
                 QStringLiteral("SELECT key, value::text, coalesce(updated_by, '') FROM settings WHERE key LIKE 'guardrails/%'"));
    if (!q)
        return q.error();
    auto snapshot = std::make_shared<PolicySnapshot>();
    snapshot->policy = m_node;
    QString patternsJson;
    while (q->next()) {
        const QString key = q->value(0).toString();
        const QString text = q->value(1).toString();
        if (key == QLatin1String(kPatternsKey)) {
            patternsJson = text;
            continue;
        }
        if (q->value(2).toString() == u"migration" || !entryFor(key))
            continue; // untouched default: this node's configuration applies
        if (const QString why = apply(snapshot->policy, key, parseJsonText(text)); !why.isEmpty())
            qCWarning(lcSettings).noquote() << "ignoring setting" << key << "=" << text << ":" << why;
    }

    snapshot->patterns = PatternSet::builtIn();
    snapshot->patternsSource = QStringLiteral("built-in");
    if (!patternsJson.isEmpty()) {
        if (m_snapshot && patternsJson == m_patternsJson && m_snapshot->patternsSource == u"settings") {
            snapshot->patterns = m_snapshot->patterns;
            snapshot->patternsSource = m_snapshot->patternsSource;
        } else if (auto parsed = PatternSet::fromJson(patternsJson.toUtf8())) {
            snapshot->patterns = *parsed;
            snapshot->patternsSource = QStringLiteral("settings");
            m_patternsJson = patternsJson;
        } else {
            qCCritical(lcSettings).noquote()
                << "guardrails/patterns override rejected, using the built-in patterns:" << parsed.error().message;
        }
    }
    if (!snapshot->patterns)
        return ApiError::internal(QStringLiteral("no usable Layer A pattern set"));
    return std::shared_ptr<const PolicySnapshot>(std::move(snapshot));
}

Status GuardrailSettingsStore::syncNodeConfig()
{
    QJsonObject values;
    for (const QString &key : keys())
        values.insert(key, valueOf(m_node, key));
    auto q = db::exec(m_db.connection(),
                      QStringLiteral("UPDATE settings s SET value = v.value FROM jsonb_each(?::jsonb) v"
                                     " WHERE s.key = v.key AND s.updated_by = 'migration' AND s.value <> v.value"),
                      {QString::fromUtf8(QJsonDocument(values).toJson(QJsonDocument::Compact))});
    if (!q)
        return q.error();
    invalidate();
    return success();
}

Status GuardrailSettingsStore::update(const QString &key, const QJsonValue &value, const QString &actorType,
                                      const QString &actorId)
{
    QString after;
    if (key == QLatin1String(kPatternsKey)) {
        if (!value.isObject())
            return ApiError::badRequest(QStringLiteral("guardrails/patterns must be a pattern file object"));
        if (auto parsed = PatternSet::fromJson(QJsonDocument(value.toObject()).toJson(QJsonDocument::Compact)); !parsed)
            return parsed.error();
    } else {
        auto snapshot = current();
        if (!snapshot)
            return snapshot.error();
        GuardrailConfig candidate = (*snapshot)->policy;
        if (const QString why = apply(candidate, key, value); !why.isEmpty())
            return ApiError::badRequest(QStringLiteral("%1: %2").arg(key, why));
        if (const QString why = crossCheck(candidate); !why.isEmpty())
            return ApiError::badRequest(why);
    }
    after = jsonText(value);

    Status written = db::inTransaction(m_db.connection(), [&]() -> Status {
        auto q = db::exec(
            m_db.connection(),
            QStringLiteral(
                "WITH old AS (SELECT value FROM settings WHERE key = ? FOR UPDATE),"
                " up AS (INSERT INTO settings (key, value, updated_by) VALUES (?, ?::jsonb, ?)"
                "  ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_by = EXCLUDED.updated_by RETURNING value)"
                " INSERT INTO audit_log (actor_type, actor_id, action, target_type, target_id, before, after)"
                " SELECT ?, nullif(?, '')::uuid, 'settings.update', 'setting', ?, (SELECT value FROM old), (SELECT value FROM up)"),
            {key, key, after, actorId.isEmpty() ? actorType : actorId, actorType, actorId, key});
        if (!q)
            return q.error();
        return success();
    });
    if (!written)
        return written;
    invalidate();
    return success();
}

} // namespace bw::guardrails
