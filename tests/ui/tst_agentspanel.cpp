// AgentsPanel against a real PostgreSQL: search, detail (heartbeat age, submissions by guardrail
// status, rate-limit state), audited administrator actions that reach the database, the codes the
// verification sink holds, and a read-only view for moderators.
#include "ui/agents/agentlistmodel.h"
#include "ui/agents/agentspanel.h"

#include "server/domain/accounts/agentservice.h"
#include "server/domain/accounts/verificationservice.h"
#include "server/domain/mail/mailer.h"
#include "server/moderation/adminopsservice.h"
#include "tests/ui/consoletestdb.h"

#include <QAbstractItemModelTester>
#include <QLabel>
#include <QPushButton>
#include <QSignalSpy>

using bw::ui::AgentListModel;

class tst_AgentsPanel final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QVERIFY2(m_pg.start(), qPrintable(m_pg.lastError())); }
    void init();
    void cleanup();
    void modelsPassTheTester();
    void searchFindsAgents();
    void detailShowsHeartbeatSubmissionsAndLimit();
    void deactivateReachesDatabaseAndAudit();
    void verifyAndOverride();
    void heldCodeIsShownWithoutSmtp();
    void moderatorIsReadOnly();

private:
    QString insertAgent(const QString &username, const QString &email = {});
    bw::ui::ConsoleContext context(const QString &role)
    {
        bw::ui::ConsoleContext c;
        c.config = &m_config;
        c.adminOps = m_ops.get();
        c.verification = m_verification.get();
        c.admin = bw::test::consoleCaller(role);
        m_db.addTo(c); // after config, secrets, heartbeat: the services read them
        return c;
    }

    bw::test::PgFixture m_pg;
    bw::test::ConsoleDb m_db;
    bw::Config m_config;
    std::unique_ptr<bw::moderation::AdminOpsService> m_ops;
    std::unique_ptr<bw::domain::AgentService> m_agents;
    std::unique_ptr<bw::domain::VerificationService> m_verification;
};

void tst_AgentsPanel::init()
{
    QVERIFY(m_db.open(m_pg));
    m_ops = std::make_unique<bw::moderation::AdminOpsService>(*m_db.database);
    m_agents = std::make_unique<bw::domain::AgentService>(*m_db.database);
    m_verification = std::make_unique<bw::domain::VerificationService>(*m_db.database, *m_agents, nullptr);
}

void tst_AgentsPanel::cleanup()
{
    m_verification.reset();
    m_agents.reset();
    m_ops.reset();
    m_db.close();
}

QString tst_AgentsPanel::insertAgent(const QString &username, const QString &email)
{
    return bw::test::scalar(*m_db.database,
                            QStringLiteral("INSERT INTO agents (username, framework, api_key_hash, api_key_prefix, email)"
                                           " VALUES (?, 'custom', md5(?), left(md5(?), 12), nullif(?, '')) RETURNING id::text"),
                            {username, username, username, email});
}

void tst_AgentsPanel::modelsPassTheTester()
{
    AgentListModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    const QDateTime now = QDateTime::currentDateTimeUtc();
    bw::ui::AgentRow a;
    a.id = QStringLiteral("a");
    a.username = QStringLiteral("alpha");
    a.lastHeartbeatAt = now.addSecs(-7200);
    a.createdAt = now;
    bw::ui::AgentRow b = a;
    b.id = QStringLiteral("b");
    b.lastHeartbeatAt = {};
    model.setAgents({a, b}, now);
    QCOMPARE(model.rowCount(), 2);
    QCOMPARE(model.index(0, AgentListModel::Heartbeat).data().toString(),
             AgentListModel::tr("%1 ago").arg(AgentListModel::age(7200)));
    a.rateLimitOverride = 5;
    model.updateAgent(a);
    QVERIFY(model.index(0, AgentListModel::RateLimit).data().toString().contains(QStringLiteral("5")));
    model.setAgents({}, now);
    QCOMPARE(model.rowCount(), 0);

    bw::ui::HeldCodeModel codes;
    QAbstractItemModelTester codesTester(&codes, QAbstractItemModelTester::FailureReportingMode::QtTest);
    codes.setCodes({{QStringLiteral("a"), QStringLiteral("alpha"), QStringLiteral("a@x.org"), QStringLiteral("123456"), now}});
    QCOMPARE(codes.index(0, bw::ui::HeldCodeModel::Code).data().toString(), QStringLiteral("123456"));
}

void tst_AgentsPanel::searchFindsAgents()
{
    insertAgent(QStringLiteral("river_watch"), QStringLiteral("river@example.org"));
    insertAgent(QStringLiteral("school_helper"));
    insertAgent(QStringLiteral("rivet_agent"));
    bw::ui::AgentsPanel panel(context(QStringLiteral("admin")));
    QSignalSpy loaded(&panel, &bw::ui::AgentsPanel::listLoaded);
    panel.refresh();
    QTRY_COMPARE(panel.model()->rowCount(), 3);
    panel.setSearchText(QStringLiteral("RIV"));
    QTRY_COMPARE(panel.model()->rowCount(), 2);
    panel.setSearchText(QStringLiteral("river@"));
    QTRY_COMPARE(panel.model()->rowCount(), 1);
    panel.setSearchText(QStringLiteral("%")); // a literal, not a wildcard
    QTRY_COMPARE(panel.model()->rowCount(), 0);
}

void tst_AgentsPanel::detailShowsHeartbeatSubmissionsAndLimit()
{
    const QString id = insertAgent(QStringLiteral("busy_agent"));
    bw::test::scalar(*m_db.database,
                     QStringLiteral("UPDATE agents SET last_heartbeat_at = now() - interval '3 hours',"
                                    " claim_status = 'claimed' WHERE id = ?::uuid RETURNING 1"),
                     {id});
    for (const char *status : {"approved", "approved", "flagged"})
        bw::test::scalar(*m_db.database,
                         QStringLiteral("INSERT INTO problems (reported_by_agent_id, title, description, domain, severity,"
                                        " guardrail_status) VALUES (?::uuid, 'A title', 'A description', 'education_access',"
                                        " 'low', ?) RETURNING 1"),
                         {id, QString::fromLatin1(status)});
    bw::ui::AgentsPanel panel(context(QStringLiteral("admin")));
    panel.refresh();
    QTRY_COMPARE(panel.model()->rowCount(), 1);
    QSignalSpy detail(&panel, &bw::ui::AgentsPanel::detailLoaded);
    QVERIFY(panel.selectAgent(id));
    QTRY_COMPARE(detail.size(), 1);
    QCOMPARE(panel.detail().submissions.value(QStringLiteral("problems")).value(QStringLiteral("approved")), 2);
    QCOMPARE(panel.detail().submissions.value(QStringLiteral("problems")).value(QStringLiteral("flagged")), 1);
    QCOMPARE(panel.detail().effectiveLimit, m_config.rateLimits.agentClaimed);
    const auto *heartbeat = panel.findChild<QLabel *>(QStringLiteral("agentHeartbeat"));
    QCOMPARE(heartbeat->text(), bw::ui::AgentsPanel::tr("%1 ago").arg(AgentListModel::age(3 * 3600)));
    QVERIFY(panel.findChild<QLabel *>(QStringLiteral("agentSubmissions"))->text().contains(QStringLiteral("2")));
}

void tst_AgentsPanel::deactivateReachesDatabaseAndAudit()
{
    const QString id = insertAgent(QStringLiteral("to_deactivate"));
    bw::ui::AgentsPanel panel(context(QStringLiteral("admin")));
    panel.refresh();
    QTRY_COMPARE(panel.model()->rowCount(), 1);
    QSignalSpy detail(&panel, &bw::ui::AgentsPanel::detailLoaded);
    QVERIFY(panel.selectAgent(id));
    QTRY_COMPARE(detail.size(), 1);
    auto *toggle = panel.findChild<QPushButton *>(QStringLiteral("toggleActiveButton"));
    QVERIFY(toggle->isEnabled());
    QSignalSpy finished(&panel, &bw::ui::AgentsPanel::actionFinished);
    toggle->click();
    QTRY_COMPARE(finished.size(), 1);
    QCOMPARE(finished.first().first().toString(), QString());
    QCOMPARE(bw::test::scalar(*m_db.database, QStringLiteral("SELECT is_active::text FROM agents WHERE id = ?::uuid"), {id}),
             QStringLiteral("false"));
    QCOMPARE(bw::test::scalar(*m_db.database,
                              QStringLiteral("SELECT count(*) FROM audit_log WHERE target_type = 'agent'"
                                             " AND target_id = ? AND after::text LIKE '%false%'"),
                              {id}),
             QStringLiteral("1"));
    QTRY_VERIFY(!panel.detail().agent.active);
    QCOMPARE(panel.model()->index(0, AgentListModel::Active).data().toString(), AgentListModel::tr("Deactivated"));
}

void tst_AgentsPanel::verifyAndOverride()
{
    const QString id = insertAgent(QStringLiteral("to_verify"));
    bw::ui::AgentsPanel panel(context(QStringLiteral("admin")));
    panel.refresh();
    QTRY_COMPARE(panel.model()->rowCount(), 1);
    QSignalSpy detail(&panel, &bw::ui::AgentsPanel::detailLoaded);
    QVERIFY(panel.selectAgent(id));
    QTRY_COMPARE(detail.size(), 1);
    QSignalSpy finished(&panel, &bw::ui::AgentsPanel::actionFinished);
    panel.verifySelected();
    QTRY_COMPARE(finished.size(), 1);
    QTRY_COMPARE(panel.detail().agent.claimStatus, QStringLiteral("verified"));
    panel.setRateLimitOverride(7);
    QTRY_COMPARE(finished.size(), 2);
    QTRY_COMPARE(panel.detail().agent.rateLimitOverride.value_or(0), 7);
    QCOMPARE(panel.detail().effectiveLimit, 7);
    QCOMPARE(bw::test::scalar(*m_db.database,
                              QStringLiteral("SELECT claim_status || '/' || rate_limit_override FROM agents"
                                             " WHERE id = ?::uuid"),
                              {id}),
             QStringLiteral("verified/7"));
    QCOMPARE(bw::test::scalar(*m_db.database, QStringLiteral("SELECT count(*) FROM audit_log WHERE target_id = ?"), {id}),
             QStringLiteral("2"));
}

void tst_AgentsPanel::heldCodeIsShownWithoutSmtp()
{
    const QString id = insertAgent(QStringLiteral("needs_code"), QStringLiteral("code@example.org"));
    QVERIFY(m_verification->sendRegistrationCode(id).ok());
    bw::ui::AgentsPanel panel(context(QStringLiteral("admin")));
    panel.refresh();
    QTRY_COMPARE(panel.heldCodes()->rowCount(), 1);
    const QString code = panel.heldCodes()->index(0, bw::ui::HeldCodeModel::Code).data().toString();
    QCOMPARE(code.size(), 6);
    QCOMPARE(
        QString::fromLatin1(bw::domain::VerificationService::codeHash(id, code)),
        bw::test::scalar(*m_db.database, QStringLiteral("SELECT verification_code_hash FROM agents WHERE id = ?::uuid"), {id}));

    bw::ui::AgentsPanel moderatorPanel(context(QStringLiteral("moderator")));
    QVERIFY(!moderatorPanel.findChild<QWidget *>(QStringLiteral("heldCodesBox"))->isVisibleTo(&moderatorPanel));
}

void tst_AgentsPanel::moderatorIsReadOnly()
{
    const QString id = insertAgent(QStringLiteral("read_only"));
    bw::ui::AgentsPanel panel(context(QStringLiteral("moderator")));
    panel.refresh();
    QTRY_COMPARE(panel.model()->rowCount(), 1);
    QSignalSpy detail(&panel, &bw::ui::AgentsPanel::detailLoaded);
    QVERIFY(panel.selectAgent(id));
    QTRY_COMPARE(detail.size(), 1);
    QVERIFY(!panel.findChild<QPushButton *>(QStringLiteral("toggleActiveButton"))->isEnabled());
    QSignalSpy finished(&panel, &bw::ui::AgentsPanel::actionFinished);
    panel.setSelectedActive(false);
    QCOMPARE(finished.size(), 1);
    QCOMPARE(bw::test::scalar(*m_db.database, QStringLiteral("SELECT is_active::text FROM agents WHERE id = ?::uuid"), {id}),
             QStringLiteral("true"));
}

QTEST_MAIN(tst_AgentsPanel)
#include "tst_agentspanel.moc"
