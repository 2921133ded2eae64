// OverviewModel: structure (via QAbstractItemModelTester), formatting, and that a new snapshot
// changes exactly the affected value cells.
#include "ui/overview/overviewmodel.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTest>

using bw::ui::OverviewModel;
using bw::ui::OverviewSnapshot;
using bw::ui::ServerState;

class tst_OverviewModel final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QLocale::setDefault(QLocale(QLocale::English, QLocale::UnitedStates)); }
    void structure();
    void unknownValuesShowADash();
    void snapshotChangesOneCell_data();
    void snapshotChangesOneCell();
    void sameSnapshotEmitsNothing();
    void databaseErrorMarksDatabaseRow();
};

static QString display(const OverviewModel &model, int row)
{
    return model.index(row, OverviewModel::Value).data().toString();
}

void tst_OverviewModel::structure()
{
    OverviewModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QCOMPARE(model.rowCount(), int(OverviewModel::RowCount));
    QCOMPARE(model.columnCount(), int(OverviewModel::ColumnCount));
    QCOMPARE(model.headerData(OverviewModel::Name, Qt::Horizontal).toString(), QStringLiteral("Metric"));
    QCOMPARE(model.headerData(OverviewModel::Value, Qt::Horizontal).toString(), QStringLiteral("Value"));
    QCOMPARE(model.index(OverviewModel::Agents, OverviewModel::Name).data().toString(), QStringLiteral("Agents"));
    QCOMPARE(model.rowCount(model.index(0, 0)), 0); // a table: no children

    OverviewSnapshot s;
    s.state = ServerState::Running;
    s.agentCount = 3;
    model.setSnapshot(s); // the tester checks the signals and indexes
}

void tst_OverviewModel::unknownValuesShowADash()
{
    OverviewModel model;
    const QString dash = QStringLiteral("\u2014");
    for (int row : {OverviewModel::DatabaseSize, OverviewModel::RequestRate, OverviewModel::Agents, OverviewModel::Problems}) {
        QCOMPARE(display(model, row), dash);
        QVERIFY(!model.index(row, OverviewModel::Value).data(OverviewModel::RawValueRole).isValid());
    }
    QCOMPARE(display(model, OverviewModel::Server), QStringLiteral("Starting"));
}

// Which field changes, the row that must change, and how it must read.
void tst_OverviewModel::snapshotChangesOneCell_data()
{
    QTest::addColumn<int>("row");
    QTest::addColumn<QString>("expected");

    QTest::newRow("state") << int(OverviewModel::Server) << QStringLiteral("Running");
    QTest::newRow("listen") << int(OverviewModel::Listening) << QStringLiteral("127.0.0.1:4000");
    QTest::newRow("external") << int(OverviewModel::Database) << QStringLiteral("External");
    QTest::newRow("location") << int(OverviewModel::DatabaseLocation) << QStringLiteral("/var/lib/betterworld/pg");
    QTest::newRow("version") << int(OverviewModel::DatabaseVersion) << QStringLiteral("15.18");
    QTest::newRow("size") << int(OverviewModel::DatabaseSize) << QStringLiteral("7.34 MiB");
    QTest::newRow("uptime") << int(OverviewModel::Uptime) << QStringLiteral("01:01:05");
    QTest::newRow("uptime days") << int(OverviewModel::Uptime) << QStringLiteral("2 d 00:00:07");
    QTest::newRow("rate") << int(OverviewModel::RequestRate) << QStringLiteral("1,234.5 req/s");
    QTest::newRow("connections") << int(OverviewModel::ActiveConnections) << QStringLiteral("17");
    QTest::newRow("agents") << int(OverviewModel::Agents) << QStringLiteral("12,000");
    QTest::newRow("problems") << int(OverviewModel::Problems) << QStringLiteral("0");
}

void tst_OverviewModel::snapshotChangesOneCell()
{
    QFETCH(int, row);
    QFETCH(QString, expected);

    OverviewModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    OverviewSnapshot s = model.snapshot();
    switch (row) {
    case OverviewModel::Server:
        s.state = ServerState::Running;
        break;
    case OverviewModel::Listening:
        s.listenAddress = expected;
        break;
    case OverviewModel::Database:
        s.embeddedDatabase = false;
        break;
    case OverviewModel::DatabaseLocation:
        s.databaseDescription = expected;
        break;
    case OverviewModel::DatabaseVersion:
        s.databaseVersion = expected;
        break;
    case OverviewModel::DatabaseSize:
        s.databaseSizeBytes = 7'700'000;
        break;
    case OverviewModel::Uptime:
        s.uptimeSeconds = expected.contains(QLatin1String(" d ")) ? 2 * 86400 + 7 : 3665;
        break;
    case OverviewModel::RequestRate:
        s.requestRate = 1234.5;
        break;
    case OverviewModel::ActiveConnections:
        s.activeConnections = 17;
        break;
    case OverviewModel::Agents:
        s.agentCount = 12000;
        break;
    case OverviewModel::Problems:
        s.problemCount = 0;
        break;
    }

    QSignalSpy changed(&model, &OverviewModel::dataChanged);
    model.setSnapshot(s);
    QCOMPARE(changed.count(), 1);
    const QModelIndex cell = model.index(row, OverviewModel::Value);
    QCOMPARE(changed.first().at(0).toModelIndex(), cell);
    QCOMPARE(changed.first().at(1).toModelIndex(), cell);
    QCOMPARE(display(model, row), expected);
}

void tst_OverviewModel::sameSnapshotEmitsNothing()
{
    OverviewModel model;
    OverviewSnapshot s;
    s.agentCount = 2;
    s.requestRate = 3.0;
    model.setSnapshot(s);
    QSignalSpy changed(&model, &OverviewModel::dataChanged);
    model.setSnapshot(s);
    QCOMPARE(changed.count(), 0);
    QCOMPARE(model.index(OverviewModel::Agents, OverviewModel::Value).data(OverviewModel::RawValueRole).toLongLong(), 2);
}

void tst_OverviewModel::databaseErrorMarksDatabaseRow()
{
    OverviewModel model;
    OverviewSnapshot s;
    s.agentCount = 4;
    s.databaseError = QStringLiteral("could not connect to server");
    QSignalSpy changed(&model, &OverviewModel::dataChanged);
    model.setSnapshot(s);
    QCOMPARE(display(model, OverviewModel::Database), QStringLiteral("Embedded (unreachable)"));
    QCOMPARE(model.index(OverviewModel::Database, OverviewModel::Value).data(Qt::ToolTipRole).toString(), s.databaseError);
    QCOMPARE(display(model, OverviewModel::Agents), QStringLiteral("4")); // last known count stays
}

QTEST_GUILESS_MAIN(tst_OverviewModel)
#include "tst_overviewmodel.moc"
