// DeploymentsPanel against a real PostgreSQL: environments are saved (password to the keychain),
// production needs its name typed before Deploy is enabled, a deployment to a second local
// database runs with live progress and lands in the history with its log.
#include "ui/deployments/deploymentmodels.h"
#include "ui/deployments/deploymentspanel.h"

#include "server/core/secretstore.h"
#include "tests/ui/consoletestdb.h"

#include <QAbstractItemModelTester>
#include <QLabel>
#include <QPushButton>
#include <QSignalSpy>
#include <QTemporaryDir>

using Outcome = bw::ui::OperationRunner::Outcome;

class tst_DeploymentsPanel final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init()
    {
        QVERIFY(m_db.open(m_pg));
        m_secrets = std::make_unique<bw::MemorySecretStore>();
    }
    void cleanup()
    {
        m_db.close();
        m_secrets.reset();
    }
    void modelsPassTheTester();
    void productionNeedsTypedNameThenDeploys();
    void moderatorCannotDeploy();

private:
    bw::ui::ConsoleContext context(const QString &role)
    {
        bw::ui::ConsoleContext c;
        c.config = &m_config;
        c.secrets = m_secrets.get();
        c.admin = bw::test::consoleCaller(role);
        m_db.addTo(c); // after config, secrets, heartbeat: the services read them
        return c;
    }

    bw::test::PgFixture m_pg;
    bw::test::ConsoleDb m_db;
    QTemporaryDir m_dir;
    bw::Config m_config;
    std::unique_ptr<bw::SecretStore> m_secrets;
};

void tst_DeploymentsPanel::initTestCase()
{
    QVERIFY2(m_pg.start(), qPrintable(m_pg.lastError()));
    QVERIFY(m_dir.isValid());
    m_config.ops.backupDir = m_dir.path();
    m_config.ops.minFreeMb = 1;
    m_config.ops.compressLevel = 1;
}

void tst_DeploymentsPanel::modelsPassTheTester()
{
    bw::ui::EnvironmentModel envs;
    QAbstractItemModelTester t1(&envs, QAbstractItemModelTester::FailureReportingMode::QtTest);
    bw::ops::Environment e;
    e.name = QStringLiteral("production");
    envs.setEnvironments({e});
    QCOMPARE(envs.index(0, bw::ui::EnvironmentModel::Confirmation).data().toString(), bw::ui::EnvironmentModel::tr("typed name"));
    envs.setEnvironments({});

    bw::ui::DeploymentModel history;
    QAbstractItemModelTester t2(&history, QAbstractItemModelTester::FailureReportingMode::QtTest);
    bw::ops::DeploymentRecord d;
    d.id = QStringLiteral("12345678-aaaa");
    d.outcome = QStringLiteral("failed");
    d.failedStep = QStringLiteral("ready");
    history.setDeployments({d});
    QCOMPARE(history.index(0, bw::ui::DeploymentModel::Outcome).data().toString(), bw::ui::DeploymentModel::tr("Failed"));
    history.setDeployments({});
}

void tst_DeploymentsPanel::productionNeedsTypedNameThenDeploys()
{
    const QString target = m_pg.createMigratedDatabase();
    QVERIFY(!target.isEmpty());
    bw::ui::DeploymentsPanel panel(context(QStringLiteral("admin")));
    QSignalSpy saved(&panel, &bw::ui::DeploymentsPanel::environmentSaved);
    QVERIFY(panel.saveEnvironment(QStringLiteral("production"), m_pg.url(target), {}, false, 10));
    QVERIFY(saved.wait(20000));
    QCOMPARE(saved.first().first().toString(), QString());
    QTRY_COMPARE(panel.environments()->rowCount(), 1);
    QVERIFY(panel.selectEnvironment(QStringLiteral("production")));

    auto *deploy = panel.findChild<QPushButton *>(QStringLiteral("deployButton"));
    QVERIFY(!deploy->isEnabled());
    panel.setConfirmationText(QStringLiteral("prod"));
    QVERIFY(!deploy->isEnabled());
    QVERIFY(!panel.deploySelected());
    panel.setConfirmationText(QStringLiteral("production"));
    QVERIFY(deploy->isEnabled());

    QSignalSpy finished(&panel, &bw::ui::DeploymentsPanel::operationFinished);
    QSignalSpy progress(panel.runner(), &bw::ui::OperationRunner::progressChanged);
    deploy->click();
    QVERIFY(finished.wait(120000));
    const auto outcome = finished.first().first().value<Outcome>();
    QVERIFY2(outcome.error.isEmpty(), qPrintable(outcome.error));
    QVERIFY(progress.size() >= 3); // live steps reached the GUI thread
    QTRY_VERIFY2_WITH_TIMEOUT(panel.history()->rowCount() == 1,
                              qPrintable(panel.findChild<QLabel *>(QStringLiteral("deploymentsStatus"))->text()), 20000);
    QCOMPARE(panel.history()->index(0, bw::ui::DeploymentModel::Outcome).data().toString(),
             bw::ui::DeploymentModel::tr("Succeeded"));
    QCOMPARE(panel.history()->deployment(0)->environment, QStringLiteral("production"));
}

void tst_DeploymentsPanel::moderatorCannotDeploy()
{
    bw::ui::DeploymentsPanel panel(context(QStringLiteral("moderator")));
    QVERIFY(!panel.saveEnvironment(QStringLiteral("staging"), m_pg.url(QStringLiteral("postgres")), {}, false, 10));
    QVERIFY(!panel.deploySelected());
    QVERIFY(!panel.findChild<QPushButton *>(QStringLiteral("deployButton"))->isEnabled());
}

QTEST_MAIN(tst_DeploymentsPanel)
#include "tst_deploymentspanel.moc"
