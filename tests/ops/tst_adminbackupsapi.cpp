// Backups and restores over the admin API (api.md §9) against the real server: who may call it,
// backups/verify/drill as operations followed to their end, validation of a restore request, a
// restore that really brings the database back, cancel and the audit trail.
#include "app/runtime.h"
#include "server/db/database.h"
#include "server/moderation/adminauthservice.h"
#include "tests/moderation/moderationtestdb.h"
#include "tests/support/apiserver.h"
#include "tests/support/httpclient.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

using namespace bw;
using namespace bw::test;

namespace {
QJsonValue dataOf(const HttpReply &r)
{
    return r.json().value("data");
}
QByteArray diagnose(const HttpReply &r)
{
    return QByteArray::number(r.status) + " " + r.body.left(2000);
}
} // namespace

class tst_AdminBackupsApi final : public QObject {
    Q_OBJECT
    PgFixture m_pg;
    std::unique_ptr<ApiServer> m_server;
    std::unique_ptr<db::Database> m_db;
    QString m_admin, m_moderator, m_adminId;

    HttpReply call(const QByteArray &method, const QByteArray &target, const QString &token = {}, const QByteArray &body = {})
    {
        QList<QPair<QByteArray, QByteArray>> headers;
        if (!token.isEmpty())
            headers << qMakePair(QByteArray("Authorization"), bearer(token));
        if (!body.isEmpty())
            headers << qMakePair(QByteArray("Content-Type"), QByteArray("application/json"));
        return httpRequest(m_server->port(), method, target, body, headers);
    }

    // Follows an operation (202 + Location) until it is no longer running; its final JSON.
    QJsonObject follow(const HttpReply &accepted)
    {
        if (accepted.status != 202) {
            qWarning("not accepted: %s", diagnose(accepted).constData());
            return {};
        }
        const QByteArray location = accepted.header("Location");
        QJsonObject op;
        QElapsedTimer t;
        t.start();
        while (t.elapsed() < 120000) {
            // A restore swaps the database under the session lookup: 503 + Retry-After means "again".
            const HttpReply r = call("GET", location, m_admin);
            if (r.status == 200) {
                op = dataOf(r).toObject();
                if (op.value("state").toString() != u"running")
                    return op;
            } else if (r.status != 503) {
                qWarning("following %s: %s", location.constData(), diagnose(r).constData());
                return {};
            }
            QTest::qWait(50);
        }
        return op;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(m_pg.start(), qPrintable(m_pg.lastError()));
        m_server = std::make_unique<ApiServer>(m_pg);
        QVERIFY2(m_server->start(), qPrintable(m_server->lastError()));
        m_db = std::make_unique<db::Database>(m_pg.settings(m_server->database()));
        moderation::AdminAuthService auth(*m_db);
        const auto admin = makeAdmin(auth, QStringLiteral("ada@example.org"), QStringLiteral("admin"));
        QVERIFY(admin && makeAdmin(auth, QStringLiteral("mo@example.org"), QStringLiteral("moderator")));
        m_adminId = admin->moderatorId;
        m_admin = auth.login(QStringLiteral("ada@example.org"), testPassword(), QStringLiteral("127.0.0.1"))->token;
        m_moderator = auth.login(QStringLiteral("mo@example.org"), testPassword(), QStringLiteral("127.0.0.1"))->token;
        m_db->releaseThisThread();
    }

    void cleanupTestCase()
    {
        if (m_db)
            m_db->releaseThisThread();
        m_db.reset();
        QVERIFY(m_server->stop());
    }

    void adminsOnly()
    {
        QCOMPARE(call("GET", "/api/v1/admin/backups").status, 401);
        QCOMPARE(call("GET", "/api/v1/admin/backups", m_moderator).status, 403);
        QCOMPARE(call("POST", "/api/v1/admin/backups", m_moderator).status, 403);
        QCOMPARE(call("POST", "/api/v1/admin/restores", m_moderator, R"({"confirm":"x"})").status, 403);
        QCOMPARE(call("GET", "/api/v1/admin/operations", m_moderator).status, 403);
        const HttpReply list = call("GET", "/api/v1/admin/backups", m_admin);
        QVERIFY2(list.status == 200 && dataOf(list).isArray(), diagnose(list));
    }

    void backupVerifyDrillAndRestore()
    {
        // Something that exists before the backup and something that comes after it.
        const auto before = m_server->registerAgent(QStringLiteral("before_backup"));
        QVERIFY(!before.second.isEmpty());

        const QJsonObject backup = follow(call("POST", "/api/v1/admin/backups", m_admin, R"({"label":"api"})"));
        QCOMPARE(backup.value("state").toString(), QStringLiteral("succeeded"));
        QCOMPARE(backup.value("requestedBy").toString(), QStringLiteral("admin:ada@example.org"));
        const QString id = backup.value("result").toObject().value("id").toString();
        QVERIFY(!id.isEmpty());
        const HttpReply one = call("GET", "/api/v1/admin/backups/" + id.toUtf8(), m_admin);
        QVERIFY2(one.status == 200 && dataOf(one).toObject().value("status").toString() == u"completed", diagnose(one));

        const QJsonObject verify = follow(call("POST", "/api/v1/admin/backups/" + id.toUtf8() + "/verify", m_admin));
        QCOMPARE(verify.value("state").toString(), QStringLiteral("succeeded"));
        QVERIFY(verify.value("result").toObject().value("ok").toBool());
        const QJsonObject drill = follow(call("POST", "/api/v1/admin/backups/" + id.toUtf8() + "/drill", m_admin));
        QCOMPARE(drill.value("state").toString(), QStringLiteral("succeeded"));
        QVERIFY(drill.value("result").toObject().value("ok").toBool());
        QCOMPARE(call("POST", "/api/v1/admin/backups/00000000-0000-0000-0000-000000000000/verify", m_admin).status, 404);

        const auto after = m_server->registerAgent(QStringLiteral("after_backup"));
        QVERIFY(!after.second.isEmpty());
        QCOMPARE(call("GET", "/api/v1/agents/me", after.second).status, 200);

        // Bad requests change nothing: wrong confirmation, neither or both sources, unknown backup.
        const QByteArray database = m_server->database().toUtf8();
        const HttpReply wrong =
            call("POST", "/api/v1/admin/restores", m_admin, R"({"backupId":")" + id.toUtf8() + R"(","confirm":"nope"})");
        QCOMPARE(wrong.status, 422);
        QVERIFY(
            wrong.json().value("error").toObject().value("details").toObject().value("fields").toObject().contains("confirm"));
        QCOMPARE(call("POST", "/api/v1/admin/restores", m_admin, R"({"confirm":")" + database + R"("})").status, 422);
        QCOMPARE(
            call("POST", "/api/v1/admin/restores", m_admin,
                 R"({"backupId":")" + id.toUtf8() + R"(","targetTime":"2026-01-01T00:00:00Z","confirm":")" + database + R"("})")
                .status,
            422);
        QCOMPARE(call("POST", "/api/v1/admin/restores", m_admin, "{not json").status, 400);
        QCOMPARE(call("POST", "/api/v1/admin/restores", m_admin,
                      R"({"backupId":"00000000-0000-0000-0000-000000000000","confirm":")" + database + R"("})")
                     .status,
                 404);
        QCOMPARE(call("GET", "/api/v1/agents/me", after.second).status, 200);

        const QJsonObject restore = follow(call("POST", "/api/v1/admin/restores", m_admin,
                                                R"({"backupId":")" + id.toUtf8() + R"(","confirm":")" + database + R"("})"));
        QVERIFY2(restore.value("state").toString() == u"succeeded", QJsonDocument(restore).toJson().constData());
        QVERIFY(!restore.value("result").toObject().value("restoreId").toString().isEmpty());
        // The database is the backup's again: the agent made after it is gone, the one before remains.
        QTRY_COMPARE_WITH_TIMEOUT(call("GET", "/ready").status, 200, 30000);
        QCOMPARE(call("GET", "/api/v1/agents/me", after.second).status, 401);
        QCOMPARE(call("GET", "/api/v1/agents/me", before.second).status, 200);

        // Every action is in the audit log with the administrator who asked (carried over the restore).
        const HttpReply audit = call("GET", "/api/v1/admin/audit-log?targetType=operation&limit=50", m_admin);
        QVERIFY2(audit.status == 200, diagnose(audit));
        QStringList actions;
        for (const QJsonValue &row : dataOf(audit).toArray()) {
            QCOMPARE(row.toObject().value("actorId").toString(), m_adminId);
            actions << row.toObject().value("action").toString();
        }
        for (const char *expected : {"ops.backup.start", "ops.verify.start", "ops.drill.start", "ops.restore.start"})
            QVERIFY2(actions.contains(QLatin1StringView(expected)), qPrintable(actions.join(u',')));
    }

    void operationsListAndCancel()
    {
        const HttpReply list = call("GET", "/api/v1/admin/operations", m_admin);
        QVERIFY2(list.status == 200 && dataOf(list).toArray().size() >= 4, diagnose(list));
        const QString finished = dataOf(list).toArray().first().toObject().value("id").toString();
        QCOMPARE(call("POST", "/api/v1/admin/operations/" + finished.toUtf8() + "/cancel", m_admin).status, 409);
        QCOMPARE(call("GET", "/api/v1/admin/operations/unknown", m_admin).status, 404);
        QCOMPARE(call("POST", "/api/v1/admin/operations/unknown/cancel", m_admin).status, 404);
    }

    void archiveStatusSaysWhy()
    {
        // The test server's database is external: no archive here, and the window says so.
        const HttpReply archive = call("GET", "/api/v1/admin/backups/archive", m_admin);
        QVERIFY2(archive.status == 200, diagnose(archive));
        const QJsonObject window = dataOf(archive).toObject().value("window").toObject();
        QCOMPARE(window.value("available").toBool(), false);
        QVERIFY(window.value("text").toString().startsWith(u"not yet: the database is external"));
    }
};

QTEST_GUILESS_MAIN(tst_AdminBackupsApi)
#include "tst_adminbackupsapi.moc"
