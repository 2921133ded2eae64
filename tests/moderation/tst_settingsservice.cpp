// SettingsService against a real PostgreSQL: a config-file value and a keychain secret are saved
// with their audit rows (never the secret's value), the heartbeat instructions get a new signed
// version and an audit row, and moderators change nothing.

#include "moderationtestdb.h"

#include "server/core/secretstore.h"
#include "server/domain/accounts/heartbeatservice.h"
#include "server/domain/accounts/heartbeatsigner.h"
#include "server/moderation/settingsservice.h"
#include "tests/support/pgfixture.h"

#include <QFileInfo>
#include <QSettings>
#include <QTemporaryDir>
#include <QTest>

using namespace bw;
using namespace bw::moderation;
using namespace bw::test;

namespace {
AdminCaller caller(const QString &role)
{
    AdminCaller c;
    c.moderatorId = ids::newUuid(); // audit_log.actor_id has no foreign key
    c.email = role + QStringLiteral("@example.org");
    c.role = role;
    return c;
}
} // namespace

class tst_SettingsService final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void configValueIsWrittenAndAudited();
    void secretIsStoredAndAuditedWithoutItsValue();
    void heartbeatInstructionsGetANewVersionAndAnAuditRow();
    void moderatorsChangeNothing();

private:
    QSqlDatabase db() { return m_database->connection(); }
    QString auditRow(const QString &action, const QString &targetId);
    PgFixture m_pg;
    QTemporaryDir m_dir;
    std::unique_ptr<db::Database> m_database;
    MemorySecretStore m_secrets;
    std::unique_ptr<domain::HeartbeatSigner> m_signer;
    std::unique_ptr<domain::HeartbeatService> m_heartbeat;
    std::unique_ptr<SettingsService> m_settings;
    AdminCaller m_admin = caller(QStringLiteral("admin"));
};

QString tst_SettingsService::auditRow(const QString &action, const QString &targetId)
{
    // "<actor>|<target type>|<before>|<after>" of the newest matching row; "" when none.
    return scalar(db(),
                  QStringLiteral("SELECT actor_id::text || '|' || target_type || '|' || coalesce(before::text, 'null')"
                                 " || '|' || coalesce(after::text, 'null') FROM audit_log WHERE action = ? AND target_id = ?"
                                 " ORDER BY id DESC LIMIT 1"),
                  {action, targetId})
        .toString();
}

void tst_SettingsService::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QVERIFY2(m_pg.start(), qPrintable(m_pg.lastError()));
    const QString name = m_pg.createMigratedDatabase();
    QVERIFY(!name.isEmpty());
    m_database = std::make_unique<db::Database>(m_pg.settings(name));
    m_signer = std::make_unique<domain::HeartbeatSigner>(m_secrets, *m_database);
    const Status loaded = m_signer->loadOrCreate();
    QVERIFY2(loaded, qPrintable(loaded ? QString() : loaded.error().message));
    m_heartbeat = std::make_unique<domain::HeartbeatService>(*m_database, *m_signer);
    m_settings = std::make_unique<SettingsService>(*m_database, &m_secrets, m_heartbeat.get());
}

void tst_SettingsService::cleanupTestCase()
{
    m_settings.reset();
    m_heartbeat.reset();
    m_signer.reset();
    if (m_database)
        m_database->releaseThisThread();
    m_database.reset();
}

void tst_SettingsService::configValueIsWrittenAndAudited()
{
    const QString file = m_dir.filePath(QStringLiteral("new/folder/betterworld.conf"));
    const Status s = m_settings->saveConfigValue(m_admin, file, QStringLiteral("smtp/host"),
                                                 QStringLiteral("  mail.example.org "), QStringLiteral("old.example.org"));
    QVERIFY2(s, qPrintable(s ? QString() : s.error().message));
    QCOMPARE(QSettings(file, QSettings::IniFormat).value(QStringLiteral("smtp/host")).toString(),
             QStringLiteral("mail.example.org"));
    QCOMPARE(auditRow(QStringLiteral("settings.update"), QStringLiteral("smtp/host")),
             m_admin.moderatorId + QStringLiteral("|setting|\"old.example.org\"|\"mail.example.org\""));
}

void tst_SettingsService::secretIsStoredAndAuditedWithoutItsValue()
{
    const Status s = m_settings->saveSecret(m_admin, QStringLiteral("smtp-password"), QByteArrayLiteral("hunter2"));
    QVERIFY2(s, qPrintable(s ? QString() : s.error().message));
    auto stored = m_secrets.read(QStringLiteral("smtp-password"));
    QVERIFY(stored && stored->has_value());
    QCOMPARE(**stored, QByteArrayLiteral("hunter2"));
    const QString row = auditRow(QStringLiteral("settings.secret"), QStringLiteral("smtp-password"));
    QCOMPARE(row, m_admin.moderatorId + QStringLiteral("|secret|null|{\"changed\": true}"));
    QVERIFY(!row.contains(QStringLiteral("hunter2")));
}

void tst_SettingsService::heartbeatInstructionsGetANewVersionAndAnAuditRow()
{
    auto before = m_heartbeat->storedInstructions();
    QVERIFY(before);
    const QString previous = before->value(QStringLiteral("instructionsVersion")).toString();
    const QJsonObject instructions = before->value(QStringLiteral("instructions")).toObject();
    auto updated = m_settings->updateHeartbeatInstructions(m_admin, instructions, 1800, previous);
    QVERIFY2(updated, qPrintable(updated ? QString() : updated.error().message));
    const QString version = updated->value(QStringLiteral("instructionsVersion")).toString();
    QVERIFY(!version.isEmpty());
    QVERIFY(version != previous);
    QCOMPARE(updated->value(QStringLiteral("checkinIntervalSeconds")).toInt(), 1800);
    const QString row =
        auditRow(QStringLiteral("heartbeat.instructions"), QString::fromLatin1(domain::HeartbeatService::kSettingsKey));
    QVERIFY2(row.startsWith(m_admin.moderatorId + QStringLiteral("|setting|")), qPrintable(row));
    QVERIFY2(row.contains(QStringLiteral("\"instructionsVersion\": \"%1\"").arg(version)), qPrintable(row));
    QVERIFY2(row.contains(QStringLiteral("\"checkinIntervalSeconds\": 1800")), qPrintable(row));
}

void tst_SettingsService::moderatorsChangeNothing()
{
    const AdminCaller moderator = caller(QStringLiteral("moderator"));
    const QString file = m_dir.filePath(QStringLiteral("moderator.conf"));
    const Status config = m_settings->saveConfigValue(moderator, file, QStringLiteral("smtp/host"), QStringLiteral("x"), {});
    const Status secret = m_settings->saveSecret(moderator, QStringLiteral("moderator-secret"), QByteArrayLiteral("x"));
    auto heartbeat = m_settings->updateHeartbeatInstructions(moderator, {}, 1800, {});
    QVERIFY(!config && !secret && !heartbeat);
    QCOMPARE(config.error().kind, ErrorKind::Forbidden);
    QCOMPARE(secret.error().kind, ErrorKind::Forbidden);
    QCOMPARE(heartbeat.error().kind, ErrorKind::Forbidden);
    QVERIFY(!QFileInfo::exists(file));
    auto stored = m_secrets.read(QStringLiteral("moderator-secret"));
    QVERIFY(stored && !stored->has_value());
    QCOMPARE(
        scalar(db(), QStringLiteral("SELECT count(*) FROM audit_log WHERE actor_id = ?::uuid"), {moderator.moderatorId}).toInt(),
        0);
}

QTEST_GUILESS_MAIN(tst_SettingsService)
#include "tst_settingsservice.moc"
