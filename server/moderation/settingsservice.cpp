#include "settingsservice.h"

#include "auditlog.h"

#include "server/core/secretstore.h"
#include "server/db/database.h"
#include "server/domain/accounts/heartbeatservice.h"

#include <QDir>
#include <QFileInfo>
#include <QSettings>

namespace bw::moderation {

namespace {

Status requireAdmin(const AdminCaller &actor)
{
    if (actor.moderatorId.isEmpty() || !actor.isAdmin())
        return ApiError::forbidden(QStringLiteral("Administrator role required"));
    return success();
}

} // namespace

SettingsService::SettingsService(db::Database &db, SecretStore *secrets, domain::HeartbeatService *heartbeat)
    : m_db(db), m_secrets(secrets), m_heartbeat(heartbeat)
{
}

Status SettingsService::saveConfigValue(const AdminCaller &actor, const QString &configFile, const QString &key,
                                        const QString &value, const QString &before)
{
    if (Status s = requireAdmin(actor); !s)
        return s;
    const QString trimmed = value.trimmed();
    QDir().mkpath(QFileInfo(configFile).absolutePath());
    {
        QSettings file(configFile, QSettings::IniFormat);
        file.setValue(key, trimmed);
        file.sync();
        if (file.status() != QSettings::NoError)
            return ApiError::internal(QStringLiteral("cannot write %1").arg(configFile));
    }
    auto entry = AuditEntry::byModerator(actor, QStringLiteral("settings.update"), QStringLiteral("setting"), key);
    entry.before = before;
    entry.after = trimmed;
    return audit::append(m_db.connection(), entry);
}

Status SettingsService::saveSecret(const AdminCaller &actor, const QString &name, const QByteArray &value)
{
    if (Status s = requireAdmin(actor); !s)
        return s;
    if (!m_secrets)
        return ApiError::internal(QStringLiteral("no secret store"));
    if (Status s = m_secrets->write(name, value); !s)
        return s;
    auto entry = AuditEntry::byModerator(actor, QStringLiteral("settings.secret"), QStringLiteral("secret"), name);
    entry.after = QJsonObject{{QStringLiteral("changed"), true}}; // never the secret itself
    return audit::append(m_db.connection(), entry);
}

Result<QJsonObject> SettingsService::updateHeartbeatInstructions(const AdminCaller &actor, const QJsonObject &instructions,
                                                                 int checkinIntervalSeconds, const QString &previousVersion)
{
    if (Status s = requireAdmin(actor); !s)
        return s.error();
    if (!m_heartbeat)
        return ApiError::internal(QStringLiteral("the heartbeat service is not running"));
    auto updated = m_heartbeat->updateInstructions(instructions, checkinIntervalSeconds, actor.email);
    if (!updated)
        return updated.error();
    auto entry = AuditEntry::byModerator(actor, QStringLiteral("heartbeat.instructions"), QStringLiteral("setting"),
                                         QString::fromLatin1(domain::HeartbeatService::kSettingsKey));
    entry.before = QJsonObject{{QStringLiteral("instructionsVersion"), previousVersion}};
    entry.after =
        QJsonObject{{QStringLiteral("instructionsVersion"), updated->value(QStringLiteral("instructionsVersion")).toString()},
                    {QStringLiteral("checkinIntervalSeconds"), checkinIntervalSeconds}};
    if (Status s = audit::append(m_db.connection(), entry); !s)
        return s.error();
    return updated;
}

} // namespace bw::moderation
