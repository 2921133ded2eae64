// LogsPanel: tails a real JSON log file written by bw::log (and by hand), follows appends and
// rotation, filters by level / category / text / request id, keeps memory bounded; models pass
// QAbstractItemModelTester.
#include "ui/logs/logentry.h"
#include "ui/logs/logmodel.h"
#include "ui/logs/logspanel.h"

#include <QAbstractItemModelTester>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using bw::ui::LogEntry;
using bw::ui::LogModel;

class tst_LogsPanel final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void parse_data();
    void parse();
    void modelIsBounded();
    void tailsFiltersAndFollowsRotation();

private:
    static QByteArray line(const char *level, const char *category, const QString &message, const QString &requestId = {})
    {
        QString out = QStringLiteral(R"({"time":"2026-01-02T03:04:05.678Z","level":"%1","category":"%2","message":"%3")")
                          .arg(QLatin1StringView(level), QLatin1StringView(category), message);
        if (!requestId.isEmpty())
            out += QStringLiteral(R"(,"requestId":"%1")").arg(requestId);
        return (out + QStringLiteral(R"(,"fields":{"status":200}})") + u'\n').toUtf8();
    }
    static void append(const QString &path, const QByteArray &bytes)
    {
        QFile f(path);
        QVERIFY(f.open(QIODevice::Append));
        f.write(bytes);
    }
};

void tst_LogsPanel::parse_data()
{
    QTest::addColumn<QByteArray>("raw");
    QTest::addColumn<QString>("level");
    QTest::addColumn<int>("rank");
    QTest::addColumn<QString>("requestId");
    QTest::newRow("json") << line("warning", "bw.http.access", QStringLiteral("GET /x 503"), QStringLiteral("req-1")).trimmed()
                          << "warning" << 2 << "req-1";
    QTest::newRow("error") << line("error", "bw.db", QStringLiteral("lost")).trimmed() << "error" << 3 << "";
    QTest::newRow("not json") << QByteArray("plain text from a crash") << "raw" << 1 << "";
}

void tst_LogsPanel::parse()
{
    QFETCH(QByteArray, raw);
    QFETCH(QString, level);
    QFETCH(int, rank);
    QFETCH(QString, requestId);
    const LogEntry e = LogEntry::parse(raw);
    QCOMPARE(e.level, level);
    QCOMPARE(e.levelRank(), rank);
    QCOMPARE(e.requestId, requestId);
    if (level != QLatin1StringView("raw")) {
        QVERIFY(e.time.isValid());
        QCOMPARE(e.fields, QStringLiteral(R"({"status":200})"));
    }
}

void tst_LogsPanel::modelIsBounded()
{
    LogModel model(100);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    bw::ui::LogEntries batch;
    for (int i = 0; i < 70; ++i)
        batch.append(LogEntry::parse(line("info", "bw.a", QStringLiteral("m%1").arg(i))));
    model.append(batch);
    model.append(batch); // 140 > 100: the oldest 40 fall off
    QCOMPARE(model.rowCount(), 100);
    QCOMPARE(model.entry(0).message, QStringLiteral("m40"));
    batch.clear();
    for (int i = 0; i < 250; ++i)
        batch.append(LogEntry::parse(line("info", "bw.b", QStringLiteral("n%1").arg(i))));
    model.append(batch); // a batch larger than the capacity
    QCOMPARE(model.rowCount(), 100);
    QCOMPARE(model.entry(99).message, QStringLiteral("n249"));
    QCOMPARE(model.categories(), QStringList({QStringLiteral("bw.a"), QStringLiteral("bw.b")}));
}

void tst_LogsPanel::tailsFiltersAndFollowsRotation()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("betterworld.log"));
    append(path, line("info", "bw.app", QStringLiteral("started")));
    append(path, line("debug", "bw.jobs", QStringLiteral("polling")));

    bw::ui::ConsoleContext context;
    bw::ui::LogsPanel panel(context, nullptr, 1000);
    QAbstractItemModelTester tester(panel.filter(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    panel.setLogFile(path, 20);
    QTRY_COMPARE(panel.model()->rowCount(), 2);
    QCOMPARE(panel.filter()->rowCount(), 1); // debug hidden by default (info and above)

    append(path, line("warning", "bw.http.access", QStringLiteral("GET /api/v1/problems 503"), QStringLiteral("abc-123")));
    append(path, line("info", "bw.http.access", QStringLiteral("GET /api/v1/agents/me 200"), QStringLiteral("def-456")));
    append(path,
           "{\"time\":\"2026-01-02T03:04:05Z\",\"level\":\"error\",\"category\":\"bw.db\",\"message\":\"half"); // no newline yet
    QTRY_COMPARE(panel.model()->rowCount(), 4);
    append(path, " a line\"}\n");
    QTRY_COMPARE(panel.model()->rowCount(), 5);
    QCOMPARE(panel.model()->entry(4).message, QStringLiteral("half a line"));

    panel.setRequestId(QStringLiteral("abc-1"));
    QCOMPARE(panel.filter()->rowCount(), 1);
    QCOMPARE(panel.filter()->index(0, LogModel::RequestId).data().toString(), QStringLiteral("abc-123"));
    panel.setRequestId({});
    panel.setCategory(QStringLiteral("bw.http"));
    QCOMPARE(panel.filter()->rowCount(), 2);
    panel.setText(QStringLiteral("AGENTS/ME"));
    QCOMPARE(panel.filter()->rowCount(), 1);
    panel.setCategory({});
    panel.setText({});
    panel.setMinimumLevel(2);
    QCOMPARE(panel.filter()->rowCount(), 2); // warning + error
    panel.setMinimumLevel(0);
    QCOMPARE(panel.filter()->rowCount(), 5);

    // Rotation as bw::log does it: rename to .1, start a new file.
    append(path, line("info", "bw.app", QStringLiteral("last line of the old file")));
    QVERIFY(QFile::rename(path, path + QStringLiteral(".1")));
    append(path, line("info", "bw.app", QStringLiteral("first line of the new file")));
    QTRY_COMPARE(panel.model()->rowCount(), 7);
    QCOMPARE(panel.model()->entry(5).message, QStringLiteral("last line of the old file"));
    QCOMPARE(panel.model()->entry(6).message, QStringLiteral("first line of the new file"));
}

QTEST_MAIN(tst_LogsPanel)
#include "tst_logspanel.moc"
