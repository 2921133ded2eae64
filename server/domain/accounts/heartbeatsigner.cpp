#include "server/domain/accounts/heartbeatsigner.h"

#include "server/core/secretstore.h"
#include "server/db/database.h"
#include "server/db/sql.h"

#include <QJsonDocument>
#include <QLoggingCategory>
#include <QProcessEnvironment>

Q_LOGGING_CATEGORY(lcHeartbeatKeys, "bw.heartbeat.keys")

namespace bw::domain {

struct HeartbeatSigner::State {
    std::optional<Ed25519Key> current;
    std::optional<Ed25519Key> previous;
    HeartbeatKeyInfo currentInfo;
    HeartbeatKeyInfo previousInfo; // keyId empty when there is none
    QString metadataText;          // settings value as last read or written
};

namespace {
QString iso(const QDateTime &t)
{
    return t.toUTC().toString(Qt::ISODateWithMs);
}
QDateTime parseIso(const QJsonValue &v)
{
    QDateTime t = QDateTime::fromString(v.toString(), Qt::ISODateWithMs);
    return t.isValid() ? t.toUTC() : QDateTime();
}

QString environmentValueName(const char *secretName)
{
    return FileSecretStore::environmentName(QString::fromLatin1(secretName));
}

QJsonObject metadataJson(const HeartbeatKeyInfo &current, const HeartbeatKeyInfo &previous)
{
    QJsonObject cur{{QStringLiteral("keyId"), current.keyId},
                    {QStringLiteral("publicKey"), current.publicKey},
                    {QStringLiteral("notBefore"), iso(current.notBefore)}};
    QJsonValue prev(QJsonValue::Null);
    if (!previous.keyId.isEmpty())
        prev = QJsonObject{{QStringLiteral("keyId"), previous.keyId},
                           {QStringLiteral("publicKey"), previous.publicKey},
                           {QStringLiteral("notBefore"), iso(previous.notBefore)},
                           {QStringLiteral("notAfter"), iso(previous.notAfter)}};
    return QJsonObject{{QStringLiteral("current"), cur}, {QStringLiteral("previous"), prev}};
}

Result<QString> readMetadataText(db::Database &db)
{
    auto text = db::scalar(db::exec(db.connection(), QStringLiteral("SELECT value::text FROM settings WHERE key = ?"),
                                    {QString::fromLatin1(HeartbeatSigner::kSettingsKey)}));
    if (!text)
        return text.error();
    return text->toString();
}

} // namespace

QJsonObject HeartbeatKeyInfo::toJson() const
{
    return QJsonObject{{QStringLiteral("keyId"), keyId},
                       {QStringLiteral("algorithm"), QStringLiteral("Ed25519")},
                       {QStringLiteral("publicKey"), publicKey},
                       {QStringLiteral("notBefore"), iso(notBefore)},
                       {QStringLiteral("notAfter"), notAfter.isValid() ? QJsonValue(iso(notAfter)) : QJsonValue()}};
}

HeartbeatSigner::HeartbeatSigner(SecretStore &secrets, db::Database &db) : m_secrets(secrets), m_db(db) {}
HeartbeatSigner::~HeartbeatSigner() = default;

Result<std::optional<Ed25519Key>> HeartbeatSigner::readKey(const char *name) const
{
    // The environment wins whatever the backend, so all nodes of a cluster can share one key.
    const QString env = environmentValueName(name);
    QByteArray text = qgetenv(env.toLatin1().constData());
    QString origin = env;
    if (text.isEmpty()) {
        auto stored = m_secrets.read(QString::fromLatin1(name));
        if (!stored)
            return ApiError::internal(QStringLiteral("cannot read secret %1 from %2: %3")
                                          .arg(QString::fromLatin1(name), m_secrets.description(), stored.error().message));
        if (!*stored)
            return std::optional<Ed25519Key>();
        text = **stored;
        origin = m_secrets.description();
    }
    auto key = Ed25519Key::fromSecret(text);
    if (!key)
        return ApiError::internal(QStringLiteral("secret %1 (%2) is not a usable Ed25519 key: %3")
                                      .arg(QString::fromLatin1(name), origin, key.error().message));
    return std::optional<Ed25519Key>(*key);
}

Status HeartbeatSigner::loadOrCreate()
{
    auto current = readKey(kSecretName);
    if (!current)
        return current.error();
    auto previous = readKey(kPreviousSecretName);
    if (!previous)
        return previous.error();
    auto metadataText = readMetadataText(m_db);
    if (!metadataText)
        return metadataText.error();

    if (!*current) {
        auto created = Ed25519Key::generate();
        if (!created)
            return created.error();
        if (Status w = m_secrets.write(QString::fromLatin1(kSecretName), created->secretText()); !w)
            return ApiError::internal(QStringLiteral("cannot store the new heartbeat signing key in %1: %2")
                                          .arg(m_secrets.description(), w.error().message));
        qCInfo(lcHeartbeatKeys).noquote() << "created heartbeat signing key" << created->keyId() << "in"
                                          << m_secrets.description();
        *current = *created;
    }
    return adopt(*current, *previous, *metadataText, true);
}

Status HeartbeatSigner::adopt(std::optional<Ed25519Key> current, std::optional<Ed25519Key> previous, const QString &metadataText,
                              bool persist)
{
    const QJsonObject metadata = db::jsonObjectOrEmpty(metadataText);
    const QDateTime now = QDateTime::currentDateTimeUtc();
    const QJsonObject metaCurrent = metadata.value(QStringLiteral("current")).toObject();
    const QJsonObject metaPrevious = metadata.value(QStringLiteral("previous")).toObject();
    const QString metaCurrentId = metaCurrent.value(QStringLiteral("keyId")).toString();
    const QString metaPreviousId = metaPrevious.value(QStringLiteral("keyId")).toString();

    auto state = std::make_shared<State>();
    state->current = current;
    state->currentInfo.keyId = current->keyId();
    state->currentInfo.publicKey = current->spkiBase64();
    state->currentInfo.notBefore =
        metaCurrentId == state->currentInfo.keyId ? parseIso(metaCurrent.value(QStringLiteral("notBefore"))) : now;
    if (!state->currentInfo.notBefore.isValid())
        state->currentInfo.notBefore = now;

    if (!metaCurrentId.isEmpty() && metaCurrentId != state->currentInfo.keyId && metaPreviousId != state->currentInfo.keyId) {
        const QString text = QString::fromUtf8(QJsonDocument(metadata).toJson(QJsonDocument::Compact));
        bool warn = false;
        {
            QMutexLocker lock(&m_mutex);
            warn = m_warnedFor != text;
            m_warnedFor = text;
        }
        if (warn) {
            qCWarning(lcHeartbeatKeys).noquote()
                << "this node's heartbeat signing key" << state->currentInfo.keyId << "differs from" << metaCurrentId
                << "recorded in the database; agents pinning the other key will reject our signatures."
                << "Nodes sharing a database must share the secret (BW_SECRET_HEARTBEAT_SIGNING_KEY).";
        }
    }

    if (previous && previous->keyId() != state->currentInfo.keyId) {
        HeartbeatKeyInfo info;
        info.keyId = previous->keyId();
        info.publicKey = previous->spkiBase64();
        if (metaPreviousId == info.keyId) {
            info.notBefore = parseIso(metaPrevious.value(QStringLiteral("notBefore")));
            info.notAfter = parseIso(metaPrevious.value(QStringLiteral("notAfter")));
        } else if (metaCurrentId == info.keyId) {
            // Rotated (secrets written) but the metadata was not updated yet: the overlap starts now.
            info.notBefore = parseIso(metaCurrent.value(QStringLiteral("notBefore")));
        }
        if (!info.notBefore.isValid())
            info.notBefore = now;
        if (!info.notAfter.isValid())
            info.notAfter = now.addDays(kOverlapDays);
        if (info.notAfter > now) {
            state->previous = previous;
            state->previousInfo = info;
        } else if (persist && qEnvironmentVariableIsEmpty(environmentValueName(kPreviousSecretName).toLatin1().constData())) {
            // The overlap is over: the old private key has no further use.
            if (Status r = m_secrets.remove(QString::fromLatin1(kPreviousSecretName)); !r)
                qCWarning(lcHeartbeatKeys).noquote() << "cannot remove the expired previous heartbeat key:" << r.error().message;
            else
                qCInfo(lcHeartbeatKeys).noquote() << "previous heartbeat key" << info.keyId << "expired and was removed";
        }
    }

    const QJsonObject wanted = metadataJson(state->currentInfo, state->previousInfo);
    state->metadataText = metadataText;
    if (persist && wanted != metadata) {
        auto q = db::exec(
            m_db.connection(),
            QStringLiteral("INSERT INTO settings (key, value, updated_by) VALUES (?, ?::jsonb, 'heartbeat-signer')"
                           " ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_by = EXCLUDED.updated_by"
                           " RETURNING value::text"),
            {QString::fromLatin1(kSettingsKey), QString::fromUtf8(QJsonDocument(wanted).toJson(QJsonDocument::Compact))});
        if (!q)
            return q.error();
        if (q->next())
            state->metadataText = q->value(0).toString();
    }
    QMutexLocker lock(&m_mutex);
    m_state = std::move(state);
    return success();
}

Result<HeartbeatKeyInfo> HeartbeatSigner::rotate()
{
    if (!qEnvironmentVariableIsEmpty(environmentValueName(kSecretName).toLatin1().constData()))
        return ApiError::badRequest(
            QStringLiteral(
                "the heartbeat key comes from %1; rotate it by setting a new %1 (and the old value as %2) on every node")
                .arg(environmentValueName(kSecretName), environmentValueName(kPreviousSecretName)));
    if (Status loaded = loadOrCreate(); !loaded)
        return loaded.error();
    std::shared_ptr<const State> old;
    {
        QMutexLocker lock(&m_mutex);
        old = m_state;
    }
    auto next = Ed25519Key::generate();
    if (!next)
        return next.error();
    // Previous first: a crash in between leaves previous == current, which loads as one key.
    if (Status w = m_secrets.write(QString::fromLatin1(kPreviousSecretName), old->current->secretText()); !w)
        return ApiError::internal(QStringLiteral("cannot store the previous heartbeat key: %1").arg(w.error().message));
    if (Status w = m_secrets.write(QString::fromLatin1(kSecretName), next->secretText()); !w)
        return ApiError::internal(QStringLiteral("cannot store the new heartbeat key: %1").arg(w.error().message));

    const QDateTime now = QDateTime::currentDateTimeUtc();
    HeartbeatKeyInfo previous = old->currentInfo;
    previous.notAfter = now.addDays(kOverlapDays);
    HeartbeatKeyInfo current{next->keyId(), next->spkiBase64(), now, {}};
    // Written explicitly: this row is how running servers learn about the rotation.
    auto written =
        db::exec(m_db.connection(),
                 QStringLiteral("INSERT INTO settings (key, value, updated_by) VALUES (?, ?::jsonb, 'keys rotate-heartbeat')"
                                " ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_by = EXCLUDED.updated_by"
                                " RETURNING value::text"),
                 {QString::fromLatin1(kSettingsKey),
                  QString::fromUtf8(QJsonDocument(metadataJson(current, previous)).toJson(QJsonDocument::Compact))});
    if (!written)
        return written.error();
    const QString metadataText = written->next() ? written->value(0).toString() : QString();
    if (Status s = adopt(*next, old->current, metadataText, false); !s)
        return s.error();
    qCInfo(lcHeartbeatKeys).noquote() << "heartbeat signing key rotated:" << previous.keyId << "→" << current.keyId
                                      << "; the previous key stays valid until" << iso(previous.notAfter);
    return this->current();
}

void HeartbeatSigner::refreshIfChanged(const QString &metadataText)
{
    std::shared_ptr<const State> state;
    {
        QMutexLocker lock(&m_mutex);
        state = m_state;
    }
    if (!state || state->metadataText == metadataText)
        return;
    // Another process rotated (or a node wrote its view): re-read this node's secrets.
    auto current = readKey(kSecretName);
    auto previous = readKey(kPreviousSecretName);
    if (!current || !previous || !*current) {
        qCWarning(lcHeartbeatKeys).noquote() << "cannot reload the heartbeat keys; keeping the loaded ones:"
                                             << (!current    ? current.error().message
                                                 : !previous ? previous.error().message
                                                             : QStringLiteral("secret missing"));
        QMutexLocker lock(&m_mutex);
        auto copy = std::make_shared<State>(*m_state);
        copy->metadataText = metadataText;
        m_state = copy;
        return;
    }
    if (Status s = adopt(*current, *previous, metadataText, false); !s)
        qCWarning(lcHeartbeatKeys).noquote() << "heartbeat key reload failed:" << s.error().message;
    else if (state->currentInfo.keyId != this->current().keyId)
        qCInfo(lcHeartbeatKeys).noquote() << "heartbeat signing key is now" << this->current().keyId;
}

HeartbeatSigner::Signature HeartbeatSigner::sign(const QByteArray &message) const
{
    std::shared_ptr<const State> state;
    {
        QMutexLocker lock(&m_mutex);
        state = m_state;
    }
    if (!state || !state->current)
        return {};
    return {state->currentInfo.keyId, state->current->sign(message).toBase64()};
}

HeartbeatKeyInfo HeartbeatSigner::current() const
{
    QMutexLocker lock(&m_mutex);
    return m_state ? m_state->currentInfo : HeartbeatKeyInfo{};
}

QList<HeartbeatKeyInfo> HeartbeatSigner::publishedKeys() const
{
    std::shared_ptr<const State> state;
    {
        QMutexLocker lock(&m_mutex);
        state = m_state;
    }
    QList<HeartbeatKeyInfo> keys;
    if (!state || !state->current)
        return keys;
    keys << state->currentInfo;
    if (!state->previousInfo.keyId.isEmpty() && state->previousInfo.notAfter > QDateTime::currentDateTimeUtc())
        keys << state->previousInfo;
    return keys;
}

bool HeartbeatSigner::isLoaded() const
{
    QMutexLocker lock(&m_mutex);
    return m_state && m_state->current;
}

} // namespace bw::domain
