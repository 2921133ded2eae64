// ReviewDetailHtml: Layer A matches are highlighted in escaped text; the detail shows both
// versions of the content, Layer B scores and reasoning, and the agent's history.
#include "ui/review/reviewdetailhtml.h"

#include <QJsonArray>
#include <QRegularExpression>
#include <QTest>

using bw::ui::ReviewDetailHtml;

class tst_ReviewDetailHtml final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void highlight_data();
    void highlight();
    void rendersEverySection();
};

void tst_ReviewDetailHtml::highlight_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QStringList>("needles");
    QTest::addColumn<QString>("expected"); // [x] = highlighted x
    QTest::newRow("none") << "plain text" << QStringList{} << "plain text";
    QTest::newRow("one") << "track their phone" << QStringList{"their phone"} << "track [their phone]";
    QTest::newRow("case-insensitive") << "Track Phones" << QStringList{"track"} << "[Track] Phones";
    QTest::newRow("twice") << "ab ab" << QStringList{"ab"} << "[ab] [ab]";
    QTest::newRow("overlap merged") << "abcdef" << QStringList{"abc", "cde"} << "[abcde]f";
    QTest::newRow("escaped") << "<b>x</b> & y" << QStringList{"x"} << "&lt;b&gt;[x]&lt;/b&gt; &amp; y";
    QTest::newRow("absent") << "hello" << QStringList{"zzz"} << "hello";
}

void tst_ReviewDetailHtml::highlight()
{
    QFETCH(QString, text);
    QFETCH(QStringList, needles);
    QFETCH(QString, expected);
    QString html = ReviewDetailHtml::highlight(text, needles);
    html.replace(QRegularExpression(QStringLiteral("<span[^>]*>")), QStringLiteral("["));
    html.replace(QStringLiteral("</span>"), QStringLiteral("]"));
    QCOMPARE(html, expected);
}

void tst_ReviewDetailHtml::rendersEverySection()
{
    bw::moderation::FlaggedDetail d;
    d.item.id = QStringLiteral("x");
    d.item.title = QStringLiteral("Find where people live");
    d.item.contentType = QStringLiteral("problem");
    d.item.agentUsername = QStringLiteral("scout");
    d.evaluation = QJsonObject{
        {QStringLiteral("layerAResult"),
         QJsonObject{{QStringLiteral("matches"),
                      QJsonArray{QJsonObject{{QStringLiteral("pattern"), QStringLiteral("surveillance")},
                                             {QStringLiteral("severity"), QStringLiteral("high")},
                                             {QStringLiteral("text"), QStringLiteral("where people live")}}}}}},
        {QStringLiteral("layerBResult"), QJsonObject{{QStringLiteral("harm_risk"), 0.7},
                                                     {QStringLiteral("reasoning"), QStringLiteral("Could enable stalking.")}}},
    };
    d.submittedContent = QJsonObject{{QStringLiteral("title"), QStringLiteral("Find where people live")}};
    d.liveContent = QJsonObject{{QStringLiteral("title"), QStringLiteral("Find where people live now")},
                                {QStringLiteral("guardrailStatus"), QStringLiteral("flagged")}};
    d.agentHistory =
        QJsonObject{{QStringLiteral("evaluations"), QJsonObject{{QStringLiteral("approved"), 4}, {QStringLiteral("total"), 6}}},
                    {QStringLiteral("reviews"), QJsonObject{{QStringLiteral("rejected"), 1}}}};
    const QString html = ReviewDetailHtml::render(d);
    QVERIFY(html.contains(QStringLiteral("surveillance")));
    QVERIFY(html.contains(QStringLiteral("color:#000;\">where people live</span>")));
    QVERIFY(html.contains(QStringLiteral("Could enable stalking.")));
    QVERIFY(html.contains(QStringLiteral("harm_risk")));
    QVERIFY(html.contains(QStringLiteral("changed since submission")));
    QVERIFY(html.contains(QStringLiteral("4 approved")));
    QCOMPARE(ReviewDetailHtml::matchTexts(d.evaluation), QStringList{QStringLiteral("where people live")});
}

QTEST_MAIN(tst_ReviewDetailHtml)
#include "tst_reviewdetailhtml.moc"
