// ReviewModel under QAbstractItemModelTester: pages append, rows update and leave, fetchMore only
// asks for the next page, ages and SLA badges follow the clock.
#include "ui/review/reviewmodel.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTest>

using bw::moderation::FlaggedItem;
using bw::ui::ReviewModel;

class tst_ReviewModel final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void pagesAppendUnderTester();
    void fetchMoreRequestsOnePageAtATime();
    void updatesAndRemovals();
    void claimedByMe();
    void badges_data();
    void badges();
    void formatAge_data();
    void formatAge();

private:
    static QList<FlaggedItem> page(int from, int count, qint64 ageSeconds = 60)
    {
        QList<FlaggedItem> items;
        for (int i = from; i < from + count; ++i) {
            FlaggedItem item;
            item.id = QStringLiteral("00000000-0000-0000-0000-%1").arg(i, 12, 10, QLatin1Char('0'));
            item.contentType = QStringLiteral("problem");
            item.title = QStringLiteral("Item %1").arg(i);
            item.agentUsername = QStringLiteral("agent_%1").arg(i % 3);
            item.status = QStringLiteral("pending_review");
            item.trustTier = QStringLiteral("new");
            item.ageSeconds = ageSeconds;
            items << item;
        }
        return items;
    }
};

void tst_ReviewModel::pagesAppendUnderTester()
{
    ReviewModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QCOMPARE(model.columnCount(), int(ReviewModel::ColumnCount));
    QVERIFY(!model.canFetchMore({}));
    model.reset(true);
    QVERIFY(model.hasMore()); // (the tester itself calls fetchMore() on every change)
    model.appendPage(page(0, 100), true);
    model.appendPage(page(100, 100), true);
    model.appendPage(page(200, 5), false);
    QCOMPARE(model.rowCount(), 205);
    QVERIFY(!model.canFetchMore({}));
    QCOMPARE(model.index(204, ReviewModel::Title).data().toString(), QStringLiteral("Item 204"));
    QCOMPARE(model.index(3, ReviewModel::Type).data().toString(), QStringLiteral("Problem"));
    QCOMPARE(model.index(3, 0).data(ReviewModel::ItemIdRole).toString(), page(3, 1).first().id);
    QVERIFY(!model.headerData(ReviewModel::Age, Qt::Horizontal).toString().isEmpty());
    model.reset(false);
    QCOMPARE(model.rowCount(), 0);
}

void tst_ReviewModel::fetchMoreRequestsOnePageAtATime()
{
    ReviewModel model; // no tester here: it calls fetchMore() itself
    QSignalSpy requested(&model, &ReviewModel::moreRequested);
    model.reset(true);
    model.fetchMore({});
    model.fetchMore({}); // in flight: no second request
    QCOMPARE(requested.count(), 1);
    QVERIFY(model.isFetching());
    QVERIFY(!model.canFetchMore({}));
    model.setFetchFailed();
    QVERIFY(model.canFetchMore({}));
    model.fetchMore({});
    QCOMPARE(requested.count(), 2);
    model.appendPage(page(0, 10), true);
    QVERIFY(model.canFetchMore({}));
    QVERIFY(!model.canFetchMore(model.index(0, 0)));
}

void tst_ReviewModel::updatesAndRemovals()
{
    ReviewModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.reset(true);
    model.appendPage(page(0, 10), false);
    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
    FlaggedItem item = page(4, 1).first();
    item.title = QStringLiteral("Renamed");
    QCOMPARE(model.updateItem(item), 4);
    QCOMPARE(changed.count(), 1);
    QCOMPARE(model.index(4, ReviewModel::Title).data().toString(), QStringLiteral("Renamed"));
    QCOMPARE(model.updateItem(page(99, 1).first()), -1);
    QVERIFY(model.removeItem(item.id));
    QCOMPARE(model.rowCount(), 9);
    QCOMPARE(model.rowOfId(item.id), -1);
    QCOMPARE(model.index(4, ReviewModel::Title).data().toString(), QStringLiteral("Item 5"));
    QVERIFY(!model.removeItem(item.id));
    model.refreshAges();
}

void tst_ReviewModel::claimedByMe()
{
    ReviewModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setModeratorId(QStringLiteral("11111111-1111-1111-1111-111111111111"));
    model.reset(true);
    QList<FlaggedItem> items = page(0, 2);
    items[0].claimActive = true;
    items[0].assignedTo = QStringLiteral("11111111-1111-1111-1111-111111111111");
    items[1].claimActive = true;
    items[1].assignedTo = QStringLiteral("22222222-2222-2222-2222-222222222222");
    items[1].assignedToName = QStringLiteral("Other Moderator");
    model.appendPage(items, false);
    QVERIFY(model.index(0, 0).data(ReviewModel::ClaimedByMeRole).toBool());
    QVERIFY(!model.index(1, 0).data(ReviewModel::ClaimedByMeRole).toBool());
    QCOMPARE(model.index(1, ReviewModel::ClaimedBy).data().toString(), QStringLiteral("Other Moderator"));
    QVERIFY(model.index(0, ReviewModel::Title).data(Qt::FontRole).value<QFont>().bold());
}

void tst_ReviewModel::badges_data()
{
    QTest::addColumn<qint64>("age");
    QTest::addColumn<QString>("badge");
    QTest::newRow("fresh") << qint64(30) << "new";
    QTest::newRow("2h") << qint64(2 * 3600) << "normal";
    QTest::newRow("6h") << qint64(6 * 3600 + 5) << "attention";
    QTest::newRow("23h") << qint64(23 * 3600) << "attention";
    QTest::newRow("24h") << qint64(24 * 3600 + 5) << "overdue";
    QTest::newRow("3d") << qint64(3 * 86400) << "overdue";
}

void tst_ReviewModel::badges()
{
    QFETCH(qint64, age);
    QFETCH(QString, badge);
    ReviewModel model;
    model.reset(true);
    model.appendPage(page(0, 1, age), false);
    QCOMPARE(model.index(0, ReviewModel::Age).data(ReviewModel::AgeBadgeRole).toString(), badge);
    QVERIFY(model.index(0, ReviewModel::Age).data(ReviewModel::AgeSecondsRole).toLongLong() >= age);
    QVERIFY(!ReviewModel::badgeLabel(badge).isEmpty());
}

void tst_ReviewModel::formatAge_data()
{
    QTest::addColumn<qint64>("seconds");
    QTest::addColumn<QString>("text");
    QTest::newRow("0") << qint64(0) << "0 min";
    QTest::newRow("59m") << qint64(59 * 60 + 59) << "59 min";
    QTest::newRow("1h") << qint64(3600) << "1 h 0 min";
    QTest::newRow("25h30") << qint64(25 * 3600 + 30 * 60) << "25 h 30 min";
    QTest::newRow("3d4h") << qint64(3 * 86400 + 4 * 3600) << "3 d 4 h";
    QTest::newRow("negative") << qint64(-5) << "0 min";
}

void tst_ReviewModel::formatAge()
{
    QFETCH(qint64, seconds);
    QFETCH(QString, text);
    QCOMPARE(ReviewModel::formatAge(seconds), text);
}

QTEST_MAIN(tst_ReviewModel)
#include "tst_reviewmodel.moc"
