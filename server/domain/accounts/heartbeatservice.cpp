#include "server/domain/accounts/heartbeatservice.h"

#include "server/domain/accounts/canonicaljson.h"
#include "server/domain/domains.h"
#include "server/domain/fieldreader.h"

#include "server/db/database.h"
#include "server/db/sql.h"

#include <QJsonArray>
#include <QJsonDocument>

#include <cmath>

namespace bw::domain {

namespace {
const QStringList &activityFields()
{
    static const QStringList names{QStringLiteral("problemsReviewed"),   QStringLiteral("problemsReported"),
                                   QStringLiteral("evidenceAdded"),      QStringLiteral("solutionsProposed"),
                                   QStringLiteral("debatesContributed"), QStringLiteral("messagesReceived"),
                                   QStringLiteral("messagesResponded")};
    return names;
}

// ISO 8601 with an explicit zone ("Z" or ±hh:mm); a zone-less time would be read in our local zone.
std::optional<QDateTime> parseZonedIso(const QString &text)
{
    const QDateTime t = QDateTime::fromString(text, Qt::ISODateWithMs);
    if (!t.isValid() || t.timeSpec() == Qt::LocalTime)
        return std::nullopt;
    return t.toUTC();
}

using db::nullText;
} // namespace

HeartbeatService::HeartbeatService(db::Database &db, HeartbeatSigner &signer) : m_db(db), m_signer(signer) {}
HeartbeatService::~HeartbeatService() = default;

QByteArray HeartbeatService::signedMessage(const QJsonObject &instructions, const QString &version)
{
    return canonicaljson::serialize(
        QJsonObject{{QStringLiteral("instructions"), instructions}, {QStringLiteral("instructionsVersion"), version}});
}

Result<std::pair<QString, QString>> HeartbeatService::readSettings()
{
    static const QString sql = QStringLiteral("SELECT (SELECT value::text FROM settings WHERE key = 'heartbeat_instructions'),"
                                              " (SELECT value::text FROM settings WHERE key = 'heartbeat_signing_keys')");
    auto q = db::execCached(m_db.connection(), sql);
    if (!q)
        return q.error();
    if (!q->next())
        return ApiError::internal(QStringLiteral("heartbeat settings query returned no row"));
    return std::pair{q->value(0).toString(), q->value(1).toString()};
}

Result<HeartbeatService::SignedInstructions> HeartbeatService::instructions()
{
    auto settings = readSettings();
    if (!settings)
        return settings.error();
    const auto &[source, keyMetadata] = *settings;
    m_signer.refreshIfChanged(keyMetadata);
    if (!m_signer.isLoaded())
        return ApiError::unavailable(QStringLiteral("Heartbeat signing key is not available"));
    const QString keyId = m_signer.current().keyId;
    {
        QMutexLocker lock(&m_mutex);
        if (m_cache && m_cache->source == source && m_cache->keyId == keyId)
            return m_cache->value;
    }

    const QJsonObject stored = db::jsonObjectOrEmpty(source);
    const QJsonValue version = stored.value(QStringLiteral("instructionsVersion"));
    const QJsonValue instructions = stored.value(QStringLiteral("instructions"));
    if (source.isEmpty() || !version.isString() || !instructions.isObject())
        return ApiError::internal(QStringLiteral("settings row 'heartbeat_instructions' is missing or malformed"));

    const HeartbeatSigner::Signature signature = m_signer.sign(signedMessage(instructions.toObject(), version.toString()));
    SignedInstructions out;
    out.keyId = signature.keyId;
    out.dataJson = "{\"instructionsVersion\":" + canonicaljson::quote(version.toString())
                   + ",\"instructions\":" + canonicaljson::serialize(instructions)
                   + ",\"signature\":" + canonicaljson::quote(QString::fromLatin1(signature.base64))
                   + ",\"publicKeyId\":" + canonicaljson::quote(signature.keyId) + '}';

    QMutexLocker lock(&m_mutex);
    m_cache = Cached{source, signature.keyId, out};
    return out;
}

Result<QList<HeartbeatKeyInfo>> HeartbeatService::publishedKeys()
{
    auto settings = readSettings();
    if (!settings)
        return settings.error();
    m_signer.refreshIfChanged(settings->second);
    return m_signer.publishedKeys();
}

Result<QJsonObject> HeartbeatService::checkin(const Caller &caller, const QJsonObject &body)
{
    FieldErrors errors;
    FieldReader r(body, errors);
    QVariant timestamp = nullText();
    if (auto ts = r.string(QStringLiteral("timestamp"), true, 1, 64)) {
        if (auto parsed = parseZonedIso(*ts))
            timestamp = parsed->toString(Qt::ISODateWithMs);
        else
            r.add(QStringLiteral("timestamp"),
                  QStringLiteral("Must be an ISO 8601 date-time with a time zone, e.g. 2026-01-01T12:00:00Z"));
    }
    const auto version = r.string(QStringLiteral("instructionsVersion"), false, 0, 100);
    const auto clientVersion = r.string(QStringLiteral("clientVersion"), false, 0, 100);

    QVariant summary = nullText();
    if (auto activity = r.object(QStringLiteral("activitySummary"), false)) {
        FieldReader a(*activity, errors, QStringLiteral("activitySummary."));
        QJsonObject clean; // only the documented counters are kept
        for (const QString &field : activityFields()) {
            if (auto n = a.number(field, false, 0, 1e9)) {
                if (*n != std::floor(*n))
                    a.add(field, QStringLiteral("Must be a whole number"));
                else
                    clean.insert(field, qint64(*n));
            }
        }
        summary = QString::fromUtf8(QJsonDocument(clean).toJson(QJsonDocument::Compact));
    }
    if (!errors.empty())
        return errors.toError();

    // "Checkin recorded" is an acknowledged write: the commit waits for the WAL flush like every
    // other one (an asynchronous commit was faster on a busy disk but a kill -9 of the database
    // could lose the last check-ins the agents were told were stored).
    static const QString sql =
        QStringLiteral(
            "WITH c AS (INSERT INTO heartbeat_checkins (agent_id, instructions_version, activity_summary, client_version,"
            " agent_timestamp) VALUES (?::uuid, ?, ?::jsonb, ?, ?::timestamptz))"
            " UPDATE agents a SET last_heartbeat_at = now() WHERE a.id = ?::uuid"
            " RETURNING to_char((now() + make_interval(secs => coalesce((SELECT (value->>'checkinIntervalSeconds')::float8"
            " FROM settings WHERE key = 'heartbeat_instructions'), %1))) AT TIME ZONE 'UTC',"
            " 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')")
            .arg(kDefaultCheckinIntervalSeconds);
    auto q = db::execCached(m_db.connection(), sql,
                            {caller.agentId, version ? QVariant(*version) : nullText(), summary,
                             clientVersion ? QVariant(*clientVersion) : nullText(), timestamp, caller.agentId});
    if (!q) {
        if (db::sqlState(q.error()) == QLatin1String(db::kForeignKeyViolation))
            return ApiError::make(ErrorKind::Unauthorized, QStringLiteral("Agent no longer exists"));
        return q.error();
    }
    if (!q->next())
        return ApiError::make(ErrorKind::Unauthorized, QStringLiteral("Agent no longer exists"));
    return QJsonObject{{QStringLiteral("message"), QStringLiteral("Checkin recorded")},
                       {QStringLiteral("nextCheckinRecommended"), q->value(0).toString()}};
}

Result<QJsonObject> HeartbeatService::storedInstructions()
{
    auto settings = readSettings();
    if (!settings)
        return settings.error();
    const QJsonObject stored = db::jsonObjectOrEmpty(settings->first);
    if (stored.isEmpty())
        return ApiError::internal(QStringLiteral("settings row 'heartbeat_instructions' is missing or malformed"));
    return stored;
}

FieldErrors HeartbeatService::validateInstructions(const QJsonObject &instructions)
{
    FieldErrors errors;
    FieldReader r(instructions, errors, QStringLiteral("instructions."));
    for (const char *flag : {"checkProblems", "checkDebates", "contributeSolutions"})
        r.boolean(QString::fromLatin1(flag), true);
    for (const char *field : {"maxContributionsPerCycle", "minimumEvidenceSources"}) {
        if (auto n = r.number(QString::fromLatin1(field), true, 0, 1000); n && *n != std::floor(*n))
            r.add(QString::fromLatin1(field), QStringLiteral("Must be a whole number"));
    }
    for (const char *field : {"platformAnnouncements", "deprecatedEndpoints", "focusDomains"}) {
        if (auto items = r.array(QString::fromLatin1(field), true, 0, 100)) {
            for (const QJsonValue &v : *items) {
                if (!v.isString() || v.toString().size() > 2000)
                    r.add(QString::fromLatin1(field), QStringLiteral("Expected strings of at most 2000 characters"));
                else if (qstrcmp(field, "focusDomains") == 0 && !isValidDomain(v.toString()))
                    r.add(QString::fromLatin1(field), QStringLiteral("Unknown domain: %1").arg(v.toString().left(100)));
            }
        }
    }
    if (auto windows = r.array(QStringLiteral("maintenanceWindows"), true, 0, 50)) {
        for (const QJsonValue &v : *windows) {
            const QJsonObject w = v.toObject();
            const auto start = parseZonedIso(w.value(QStringLiteral("start")).toString());
            const auto end = parseZonedIso(w.value(QStringLiteral("end")).toString());
            if (!v.isObject() || !start || !end || *end < *start || !w.value(QStringLiteral("description")).isString())
                r.add(QStringLiteral("maintenanceWindows"),
                      QStringLiteral("Each window needs start and end (ISO 8601 with zone, end after start) and a description"));
        }
    }
    return errors;
}

Result<QJsonObject> HeartbeatService::updateInstructions(const QJsonObject &instructions, int checkinIntervalSeconds,
                                                         const QString &updatedBy)
{
    FieldErrors errors = validateInstructions(instructions);
    if (checkinIntervalSeconds < 60 || checkinIntervalSeconds > 7 * 24 * 3600)
        errors.add(QStringLiteral("checkinIntervalSeconds"), QStringLiteral("Must be between 60 and 604800"));
    if (!errors.empty())
        return errors.toError();
    // Millisecond precision: two edits within one second still get distinct versions.
    const QJsonObject stored{{QStringLiteral("instructionsVersion"), QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs)},
                             {QStringLiteral("checkinIntervalSeconds"), checkinIntervalSeconds},
                             {QStringLiteral("instructions"), instructions}};
    auto q =
        db::exec(m_db.connection(),
                 QStringLiteral("INSERT INTO settings (key, value, updated_by) VALUES ('heartbeat_instructions', ?::jsonb, ?)"
                                " ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_by = EXCLUDED.updated_by"),
                 {QString::fromUtf8(QJsonDocument(stored).toJson(QJsonDocument::Compact)), updatedBy});
    if (!q)
        return q.error();
    return stored;
}

} // namespace bw::domain
