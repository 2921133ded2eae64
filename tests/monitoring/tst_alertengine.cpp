// AlertEngine + AlertNotifier against a real PostgreSQL: the episode state machine
// (pending → firing → resolved, pending that clears, rules without `for`), acknowledge, inputs
// from samples and live SQL, health probes and the Slack-compatible webhook delivered to a real
// local HTTP server.
#include "server/monitoring/alertengine.h"
#include "server/monitoring/alertnotifier.h"

#include "localhttpserver.h"
#include "server/db/database.h"
#include "server/db/sql.h"
#include "tests/support/pgfixture.h"
#include "tests/support/testdb.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

#include <memory>

using bw::monitoring::AlertEngine;
using bw::monitoring::AlertEvent;
using bw::monitoring::AlertInputs;
using bw::monitoring::AlertRule;
using bw::monitoring::AlertTransition;
using namespace std::chrono_literals;

namespace {
// The rules that made one kind of transition, sorted.
QStringList rulesThat(const std::vector<AlertTransition> &transitions, AlertTransition::Kind kind)
{
    QStringList rules;
    for (const auto &x : transitions)
        if (x.kind == kind)
            rules << x.event.rule;
    rules.sort();
    return rules;
}
} // namespace

class tst_AlertEngine final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void defaultRulesAreTheSeeds_data();
    void defaultRulesAreTheSeeds();
    void pendingFiringResolved();
    void pendingThatClearsLeavesNoTrace();
    void missingInputIsNoData();
    void ruleWithoutForFiresAtOnce();
    void acknowledge();
    void inputsFromSamplesAndSql();
    void healthProbe();
    void processInputsAndThePitrWindow();
    void ledgerVerificationOutcome();
    void webhookDelivered();
    void webhookFailureIsRecorded();

private:
    QSqlDatabase db() { return m_database->connection(); }
    QVariant scalar(const QString &sql, const QVariantList &binds = {}) { return bw::test::scalar(db(), sql, binds); }
    static AlertRule errorRule()
    {
        return AlertRule{QStringLiteral("HighErrorRate"),
                         QStringLiteral("P1"),
                         QString::fromLatin1(bw::monitoring::alertinput::kErrorRatio5m),
                         0.10,
                         3min,
                         QStringLiteral("5xx error rate exceeds 10%")};
    }
    static AlertInputs ratio(double v) { return {{QString::fromLatin1(bw::monitoring::alertinput::kErrorRatio5m), v}}; }

    bw::test::PgFixture m_pg;
    std::unique_ptr<bw::db::Database> m_database;
    QDateTime m_t0;
};

void tst_AlertEngine::initTestCase()
{
    QVERIFY2(m_pg.start(), qPrintable(m_pg.lastError()));
}

void tst_AlertEngine::init()
{
    const QString name = m_pg.createMigratedDatabase();
    QVERIFY(!name.isEmpty());
    m_database = std::make_unique<bw::db::Database>(m_pg.settings(name));
    m_t0 = QDateTime::currentDateTimeUtc().addSecs(-3600);
}

void tst_AlertEngine::cleanup()
{
    m_database->releaseThisThread();
    m_database.reset();
}

void tst_AlertEngine::defaultRulesAreTheSeeds_data()
{
    QTest::addColumn<QString>("rule");
    QTest::addColumn<QString>("severity");
    QTest::addColumn<double>("threshold");
    QTest::addColumn<int>("forMinutes");
    // clang-format off
    QTest::newRow("api down") << "APIDown" << "P1" << 0.5 << 2;
    QTest::newRow("5xx") << "HighErrorRate" << "P1" << 0.10 << 3;
    QTest::newRow("p95") << "HighLatency" << "P2" << 0.5 << 10;
    QTest::newRow("backlog") << "QueueBacklog" << "P2" << 500.0 << 15;
    QTest::newRow("db connections") << "DBConnectionsHigh" << "P2" << 0.8 << 5;
    QTest::newRow("disk") << "DiskUsageHigh" << "P2" << 0.8 << 30;
    QTest::newRow("guardrail") << "GuardrailSlow" << "P3" << 5.0 << 30;
    QTest::newRow("backup") << "BackupStale" << "P2" << 26.0 << 0;
    QTest::newRow("drill") << "RestoreDrillFailed" << "P2" << 0.5 << 0;
    QTest::newRow("db restarted") << "DatabaseRestarted" << "P1" << 0.5 << 0;
    QTest::newRow("wal failing") << "WalArchivingFailing" << "P2" << 0.5 << 10;
    QTest::newRow("no pitr") << "NoPointInTimeRecovery" << "P2" << 60.0 << 0;
    QTest::newRow("ledger") << "LedgerInvariantBroken" << "P1" << 0.5 << 0;
    // clang-format on
}

void tst_AlertEngine::defaultRulesAreTheSeeds()
{
    QFETCH(QString, rule);
    QFETCH(QString, severity);
    QFETCH(double, threshold);
    QFETCH(int, forMinutes);
    const auto rules = AlertEngine::defaultRules();
    const auto it = std::find_if(rules.begin(), rules.end(), [&](const AlertRule &r) { return r.name == rule; });
    QVERIFY(it != rules.end());
    QCOMPARE(it->severity, severity);
    QCOMPARE(it->threshold, threshold);
    QCOMPARE(int(it->forDuration.count()), forMinutes * 60);
}

void tst_AlertEngine::pendingFiringResolved()
{
    AlertEngine engine({});
    engine.setRules({errorRule()});
    auto t = engine.apply(db(), ratio(0.25), m_t0);
    QVERIFY(t);
    QCOMPARE(int(t->size()), 1);
    QCOMPARE(t->at(0).kind, AlertTransition::Pending);
    QCOMPARE(t->at(0).event.state, QStringLiteral("pending"));

    t = engine.apply(db(), ratio(0.30), m_t0.addSecs(120)); // 2 of 3 minutes: still pending
    QVERIFY(t);
    QCOMPARE(int(t->size()), 0);
    QCOMPARE(scalar(QStringLiteral("SELECT state FROM alert_events")).toString(), QStringLiteral("pending"));

    t = engine.apply(db(), ratio(0.40), m_t0.addSecs(180));
    QVERIFY(t);
    QCOMPARE(int(t->size()), 1);
    QCOMPARE(t->at(0).kind, AlertTransition::Firing);
    QCOMPARE(t->at(0).event.value, 0.40);
    QCOMPARE(t->at(0).event.firedAt, m_t0.addSecs(180));

    auto current = AlertEngine::current(db());
    QVERIFY(current);
    QCOMPARE(current->size(), 1);
    QCOMPARE(current->at(0).state, QStringLiteral("firing"));

    QCOMPARE(int(engine.apply(db(), ratio(0.5), m_t0.addSecs(240))->size()), 0); // still firing: no new transition
    t = engine.apply(db(), ratio(0.01), m_t0.addSecs(300));
    QVERIFY(t);
    QCOMPARE(int(t->size()), 1);
    QCOMPARE(t->at(0).kind, AlertTransition::Resolved);
    QCOMPARE(t->at(0).event.resolvedAt, m_t0.addSecs(300));

    // A new breach opens a new episode; history keeps both, newest first.
    QVERIFY(engine.apply(db(), ratio(0.9), m_t0.addSecs(360)));
    auto history = AlertEngine::history(db());
    QVERIFY(history);
    QCOMPARE(history->size(), 2);
    QCOMPARE(history->at(0).state, QStringLiteral("pending"));
    QCOMPARE(history->at(1).state, QStringLiteral("resolved"));
    QVERIFY(history->at(1).firedAt.isValid());
    QCOMPARE(AlertEngine::history(db(), 10, history->at(0).id)->size(), 1); // keyset paging
}

void tst_AlertEngine::pendingThatClearsLeavesNoTrace()
{
    AlertEngine engine({});
    engine.setRules({errorRule()});
    QVERIFY(engine.apply(db(), ratio(0.5), m_t0));
    auto t = engine.apply(db(), ratio(0.05), m_t0.addSecs(60));
    QVERIFY(t);
    QCOMPARE(int(t->size()), 0);
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM alert_events")).toInt(), 0);
}

void tst_AlertEngine::missingInputIsNoData()
{
    AlertEngine engine({});
    engine.setRules({errorRule()});
    QVERIFY(engine.apply(db(), ratio(0.5), m_t0));
    QVERIFY(engine.apply(db(), ratio(0.5), m_t0.addSecs(200)));
    auto t = engine.apply(db(), {}, m_t0.addSecs(260)); // no traffic → no data → resolves
    QVERIFY(t);
    QCOMPARE(int(t->size()), 1);
    QCOMPARE(t->at(0).kind, AlertTransition::Resolved);
    QCOMPARE(t->at(0).event.value, 0.5); // the last known value is kept
}

void tst_AlertEngine::ruleWithoutForFiresAtOnce()
{
    AlertEngine engine({});
    auto t = engine.apply(db(),
                          {{QString::fromLatin1(bw::monitoring::alertinput::kBackupAgeHours), 30.0},
                           {QString::fromLatin1(bw::monitoring::alertinput::kRestoreDrillFailed), 0.0}},
                          m_t0);
    QVERIFY(t);
    QCOMPARE(int(t->size()), 1);
    QCOMPARE(t->at(0).kind, AlertTransition::Firing);
    QCOMPARE(t->at(0).event.rule, QStringLiteral("BackupStale"));
    QCOMPARE(t->at(0).event.severity, QStringLiteral("P2"));
}

void tst_AlertEngine::acknowledge()
{
    AlertEngine engine({});
    auto t = engine.apply(db(), {{QString::fromLatin1(bw::monitoring::alertinput::kRestoreDrillFailed), 1.0}}, m_t0);
    QVERIFY(t);
    const qint64 id = t->at(0).event.id;
    QVERIFY(AlertEngine::acknowledge(db(), id, QStringLiteral("ana")));
    QVERIFY(AlertEngine::acknowledge(db(), id, QStringLiteral("bob"))); // the first stays
    auto current = AlertEngine::current(db());
    QVERIFY(current);
    QCOMPARE(current->at(0).acknowledgedBy, QStringLiteral("ana"));
    QVERIFY(current->at(0).acknowledged());
    auto missing = AlertEngine::acknowledge(db(), id + 1000, QStringLiteral("ana"));
    QVERIFY(!missing.ok());
    QCOMPARE(missing.error().kind, bw::ErrorKind::NotFound);
}

void tst_AlertEngine::inputsFromSamplesAndSql()
{
    QVERIFY(
        bw::db::exec(
            db(), QStringLiteral(
                      "INSERT INTO metric_samples (at, name, node, value)"
                      " SELECT date_trunc('minute', now()) - make_interval(mins => m), n.name, n.node, n.v"
                      " FROM generate_series(0, 3) m, (VALUES ('http_request_rate', 'a', 8.0), ('http_request_rate', 'b', 2.0),"
                      " ('http_5xx_rate', 'a', 2.0), ('http_latency_p95', 'a', 0.2), ('http_latency_p95', 'b', 0.7),"
                      " ('disk_used_ratio', 'a', 0.5)) n(name, node, v)"))
            .ok());
    QVERIFY(
        bw::db::exec(
            db(), QStringLiteral("INSERT INTO jobs (queue, kind) SELECT 'guardrail-evaluation', 'e' FROM generate_series(1, 12)"))
            .ok());
    QVERIFY(bw::db::exec(
                db(), QStringLiteral(
                          "INSERT INTO backups (kind, status, path, source, database_name, finished_at, drilled_at, drill_status)"
                          " VALUES ('daily', 'completed', '/x', 'u', 'd', now() - interval '30 hours', now(), 'failed')"))
                .ok());
    AlertEngine engine({});
    auto in = engine.gatherInputs(db());
    QVERIFY2(in.ok(), in.ok() ? "" : qPrintable(in.error().message));
    using namespace bw::monitoring::alertinput;
    QCOMPARE(in->at(QString::fromLatin1(kErrorRatio5m)), 0.2); // 2 of 10 req/s over both nodes
    QCOMPARE(in->at(QString::fromLatin1(kLatencyP95)), 0.7);   // the worse node
    QCOMPARE(in->at(QString::fromLatin1(kDiskUsedRatio)), 0.5);
    QCOMPARE(in->at(QString::fromLatin1(kGuardrailQueueDepth)), 12.0);
    QVERIFY(in->at(QString::fromLatin1(kDbConnectionsRatio)) > 0);
    QVERIFY(qAbs(in->at(QString::fromLatin1(kBackupAgeHours)) - 30.0) < 0.1);
    QCOMPARE(in->at(QString::fromLatin1(kRestoreDrillFailed)), 1.0);
    QVERIFY(!in->contains(QString::fromLatin1(kApiDown))); // no health URLs configured

    auto t = engine.evaluate(db());
    QVERIFY(t);
    QCOMPARE(rulesThat(*t, AlertTransition::Firing),
             QStringList({QStringLiteral("BackupStale"), QStringLiteral("RestoreDrillFailed")}));
}

void tst_AlertEngine::healthProbe()
{
    bw::test::LocalHttpServer server;
    QVERIFY(server.startServing());
    const QString url = QStringLiteral("http://127.0.0.1:%1/health").arg(server.port());
    QVERIFY(AlertEngine::probe(url, 2000));
    QCOMPARE(server.requests().value(0).path, QByteArray("/health"));
    server.setStatus(503);
    QVERIFY(!AlertEngine::probe(url, 2000));
    QVERIFY(!AlertEngine::probe(QStringLiteral("http://127.0.0.1:1/health"), 2000)); // refused
    QVERIFY(!AlertEngine::probe(QStringLiteral("ftp://x/"), 2000));

    AlertEngine engine({.healthUrls = {url}});
    auto in = engine.gatherInputs(db());
    QVERIFY(in);
    QCOMPARE(in->at(QString::fromLatin1(bw::monitoring::alertinput::kApiDown)), 1.0); // 503 = down
}

void tst_AlertEngine::processInputsAndThePitrWindow()
{
    using namespace bw::monitoring::alertinput;
    // The archive check sampled no window for 90 minutes, then nothing: no PITR for 90 min.
    QVERIFY(bw::db::exec(db(), QStringLiteral("INSERT INTO metric_samples (at, name, node, value) SELECT date_trunc('minute', "
                                              "now()) - make_interval(mins => m), 'pitr_window_seconds', 'a', 0 "
                                              "FROM generate_series(0, 90) m"))
                .ok());
    double restarted = 1;
    AlertEngine engine({.processInputs = [&restarted] {
        return AlertInputs{{QString::fromLatin1(kDatabaseRestarted), restarted}};
    }});
    auto in = engine.gatherInputs(db());
    QVERIFY(in);
    QVERIFY(qAbs(in->at(QString::fromLatin1(kPitrUnavailableMinutes)) - 90.0) < 1.1);
    QCOMPARE(in->at(QString::fromLatin1(kDatabaseRestarted)), 1.0);
    QCOMPARE(in->at(QString::fromLatin1(kWalArchiveFailing)), 0.0); // this cluster does not archive
    auto t = engine.evaluate(db());
    QVERIFY(t);
    QCOMPARE(rulesThat(*t, AlertTransition::Firing),
             QStringList({QStringLiteral("DatabaseRestarted"), QStringLiteral("NoPointInTimeRecovery")}));

    // A window again (the newest sample > 0) and the restart long ago: both resolve.
    QVERIFY(bw::db::exec(db(), QStringLiteral("UPDATE metric_samples SET value = 3600 WHERE name = 'pitr_window_seconds' "
                                              "AND at = date_trunc('minute', now())"))
                .ok());
    restarted = 0;
    t = engine.evaluate(db());
    QVERIFY(t);
    QCOMPARE(rulesThat(*t, AlertTransition::Resolved),
             QStringList({QStringLiteral("DatabaseRestarted"), QStringLiteral("NoPointInTimeRecovery")}));
}

void tst_AlertEngine::ledgerVerificationOutcome()
{
    using namespace bw::monitoring::alertinput;
    AlertEngine engine({});
    auto in = engine.gatherInputs(db());
    QVERIFY(in);
    QVERIFY(!in->contains(QString::fromLatin1(kLedgerViolations))); // never verified: no data

    // The weekly job found violations: P1 at once; a later clean run resolves it.
    QVERIFY(
        bw::db::exec(db(), QStringLiteral("INSERT INTO ledger_verifications (source, violation_count) VALUES ('job', 2)")).ok());
    auto t = engine.evaluate(db());
    QVERIFY(t);
    QCOMPARE(rulesThat(*t, AlertTransition::Firing), QStringList({QStringLiteral("LedgerInvariantBroken")}));
    QVERIFY(
        bw::db::exec(db(), QStringLiteral("INSERT INTO ledger_verifications (source, violation_count) VALUES ('cli', 0)")).ok());
    t = engine.evaluate(db());
    QVERIFY(t);
    QCOMPARE(rulesThat(*t, AlertTransition::Resolved), QStringList({QStringLiteral("LedgerInvariantBroken")}));
}

void tst_AlertEngine::webhookDelivered()
{
    bw::test::LocalHttpServer hook;
    QVERIFY(hook.startServing());
    bw::monitoring::AlertNotifier notifier(
        m_database.get(), {.webhookUrl = QStringLiteral("http://127.0.0.1:%1/services/T000/B000").arg(hook.port())});
    QVERIFY(notifier.enabled());
    AlertEngine engine({}, &notifier);
    engine.setRules({errorRule()});
    QVERIFY(engine.apply(db(), ratio(0.5), m_t0));
    QCOMPARE(hook.requests().size(), 0); // pending is not announced
    auto fired = engine.apply(db(), ratio(0.5), m_t0.addSecs(181));
    QVERIFY(fired);
    QTRY_COMPARE_WITH_TIMEOUT(notifier.delivered(), 1, 10000);
    const auto request = hook.requests().value(0);
    QCOMPARE(request.method, QByteArray("POST"));
    QCOMPARE(request.path, QByteArray("/services/T000/B000"));
    const QString text = QJsonDocument::fromJson(request.body).object().value(QStringLiteral("text")).toString();
    QVERIFY2(text.startsWith(QStringLiteral("[FIRING] P1 HighErrorRate")), qPrintable(text));

    QVERIFY(engine.apply(db(), ratio(0.0), m_t0.addSecs(240)));
    QTRY_COMPARE_WITH_TIMEOUT(notifier.delivered(), 2, 10000);
    QVERIFY(QJsonDocument::fromJson(hook.requests().value(1).body)
                .object()
                .value(QStringLiteral("text"))
                .toString()
                .startsWith(QStringLiteral("[RESOLVED]")));
    notifier.stop();
    const QJsonArray log =
        QJsonDocument::fromJson(
            scalar(QStringLiteral("SELECT notifications::text FROM alert_events WHERE id = ?"), {fired->at(0).event.id})
                .toByteArray())
            .array();
    QCOMPARE(log.size(), 2);
    QCOMPARE(log.at(0).toObject().value(QStringLiteral("ok")).toBool(), true);
    QCOMPARE(log.at(1).toObject().value(QStringLiteral("event")).toString(), QStringLiteral("resolved"));
}

void tst_AlertEngine::webhookFailureIsRecorded()
{
    bw::test::LocalHttpServer hook;
    QVERIFY(hook.startServing());
    hook.setStatus(500);
    bw::monitoring::AlertNotifier notifier(m_database.get(),
                                           {.webhookUrl = QStringLiteral("http://127.0.0.1:%1/h").arg(hook.port())});
    AlertEngine engine({}, &notifier);
    auto t = engine.apply(db(), {{QString::fromLatin1(bw::monitoring::alertinput::kRestoreDrillFailed), 1.0}}, m_t0);
    QVERIFY(t);
    QTRY_COMPARE_WITH_TIMEOUT(notifier.failed(), 1, 10000);
    const QJsonObject entry =
        QJsonDocument::fromJson(scalar(QStringLiteral("SELECT notifications::text FROM alert_events")).toByteArray())
            .array()
            .at(0)
            .toObject();
    QCOMPARE(entry.value(QStringLiteral("ok")).toBool(), false);
    QCOMPARE(entry.value(QStringLiteral("detail")).toString(), QStringLiteral("HTTP 500"));
}

QTEST_GUILESS_MAIN(tst_AlertEngine)
#include "tst_alertengine.moc"
