// Layer A: the built-in pattern file, matches and non-matches per pattern, word boundaries,
// "A…B" within a sentence, evasion attempts (case, Unicode compatibility forms, zero-width
// characters, leetspeak, spaced letters, look-alike letters), invalid override files, and speed.

#include "server/guardrails/patternset.h"
#include "server/guardrails/textnormaliser.h"

#include <QElapsedTimer>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>
#include <ctime>

using namespace bw::guardrails;

class tst_PatternSet final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void builtInLoads();
    void matches_data();
    void matches();
    void resultJson();
    void invalidFiles_data();
    void invalidFiles();
    void overrideFile();
    void normalisation_data();
    void normalisation();
    void cacheKey();
    void fastEnough();
};

void tst_PatternSet::builtInLoads()
{
    const auto set = PatternSet::builtIn();
    QVERIFY(set);
    QCOMPARE(set->size(), 12);
    QCOMPARE(set->version(), QStringLiteral("2025.1"));
    const QStringList expected = {"surveillance",           "weapons",
                                  "political_manipulation", "financial_exploitation",
                                  "discrimination",         "pseudo_science",
                                  "privacy_violation",      "deepfakes",
                                  "social_engineering",     "market_manipulation",
                                  "labor_exploitation",     "hate_speech"};
    QCOMPARE(set->names(), expected);
}

void tst_PatternSet::matches_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("pattern"); // "" = must not match anything

    // One or more hits per pattern.
    // clang-format off
    QTest::newRow("surveillance word") << "We propose mass surveillance of the town" << "surveillance";
    QTest::newRow("spy") << "Agents will spy on the neighbours" << "surveillance";
    QTest::newRow("monitor people") << "Monitoring of people in the square" << "surveillance";
    QTest::newRow("track citizens") << "An app to track all citizens at night" << "surveillance";
    QTest::newRow("cameras watching") << "cameras installed to watch every door" << "surveillance";
    QTest::newRow("stalking") << "stalking ex-partners made easy" << "surveillance";
    QTest::newRow("monitor location") << "monitor the location of each phone" << "surveillance";
    QTest::newRow("weapon") << "Distribute weapons to volunteers" << "weapons";
    QTest::newRow("guns plural") << "buy guns for the village" << "weapons";
    QTest::newRow("bomb") << "build a bomb shelter out of bombs" << "weapons";
    QTest::newRow("assault") << "an assault on the depot" << "weapons";
    QTest::newRow("propaganda") << "A propaganda campaign for the mayor" << "political_manipulation";
    QTest::newRow("political campaign") << "fund a political party campaign" << "political_manipulation";
    QTest::newRow("elect candidate") << "help elect our candidate" << "political_manipulation";
    QTest::newRow("voter suppression") << "voter suppression in rural areas" << "political_manipulation";
    QTest::newRow("ponzi") << "A Ponzi opportunity" << "financial_exploitation";
    QTest::newRow("pyramid scheme") << "join the pyramid scheme today" << "financial_exploitation";
    QTest::newRow("multi-level marketing") << "multi-level marketing for moms" << "financial_exploitation";
    QTest::newRow("get rich quick") << "a get rich quick plan" << "financial_exploitation";
    QTest::newRow("predatory lending") << "predatory lending to students" << "financial_exploitation";
    QTest::newRow("discriminate against") << "discriminate openly against migrants" << "discrimination";
    QTest::newRow("segregation") << "school segregation policy" << "discrimination";
    QTest::newRow("ban religion") << "ban people by religion from the park" << "discrimination";
    QTest::newRow("excluded based on") << "excluded from housing based on origin" << "discrimination";
    QTest::newRow("miracle cure") << "this miracle herb will cure it" << "pseudo_science";
    QTest::newRow("anti-vax") << "an anti-vax awareness day" << "pseudo_science";
    QTest::newRow("essential oils cure") << "essential oils cure cancer" << "pseudo_science";
    QTest::newRow("doxxing") << "doxxing the officials" << "privacy_violation";
    QTest::newRow("collect personal data") << "collect their personal health data" << "privacy_violation";
    QTest::newRow("deepfake") << "Deepfakes of the candidate" << "deepfakes";
    QTest::newRow("fake video") << "make a fake news video" << "deepfakes";
    QTest::newRow("phishing") << "a phishing kit" << "social_engineering";
    QTest::newRow("fake charity") << "set up a fake charity" << "social_engineering";
    QTest::newRow("impersonate officials") << "impersonating government officials" << "social_engineering";
    QTest::newRow("insider trading") << "insider trading tips" << "market_manipulation";
    QTest::newRow("pump and dump") << "a pump and dump on this coin" << "market_manipulation";
    QTest::newRow("child labour") << "cheap child labour for farms" << "labor_exploitation";
    QTest::newRow("human trafficking") << "human trafficking routes" << "labor_exploitation";
    QTest::newRow("sweatshop") << "open a sweatshop" << "labor_exploitation";
    QTest::newRow("hate speech") << "spread hate speech online" << "hate_speech";
    QTest::newRow("genocide") << "a genocide plan" << "hate_speech";
    QTest::newRow("supremacist") << "white supremacist rally" << "hate_speech";
    QTest::newRow("later in a field list") << "title: Plan\ndescription: we monitor every one of the people daily" << "surveillance";
    // clang-format on

    // Non-matches: word boundaries and innocent text.
    // clang-format off
    QTest::newRow("begun is not gun") << "Work has begun on the well" << "";
    QTest::newRow("shotgun-free?") << "The gunwale of the boat needs repair" << "";
    QTest::newRow("spyglass is not spy?") << "Children love a spyglass" << "";
    QTest::newRow("scampi is not scam") << "Fresh scampi for the food bank" << "";
    QTest::newRow("bombastic") << "A bombastic speech about literacy" << "";
    QTest::newRow("banana race") << "The banana harvest was a race against time" << "";
    QTest::newRow("doxycycline") << "Doxycycline supply for clinics" << "";
    QTest::newRow("monitor then people in next sentence") << "We monitor water quality. People drink it." << "";
    QTest::newRow("monitor far from people") << "monitor the quality of water in rivers lakes streams and ponds for people" << "";
    QTest::newRow("clean water") << "Install 40 hand pumps and train 12 local technicians to keep water clean." << "";
    QTest::newRow("education") << "Free evening literacy classes for adults in the district library." << "";
    QTest::newRow("empty") << "" << "";
    // clang-format on

    // Evasion attempts.
    // clang-format off
    QTest::newRow("upper case") << "BUY GUNS NOW" << "weapons";
    QTest::newRow("leetspeak b0mb") << "how to build a b0mb" << "weapons";
    QTest::newRow("leetspeak 5py") << "we 5py on them" << "surveillance";
    QTest::newRow("leetspeak sc4m") << "a sc4m for donors" << "financial_exploitation";
    QTest::newRow("leet symbols $c@m") << "the $c@m works" << "financial_exploitation";
    QTest::newRow("zero-width") << QStringLiteral("a w\u200Be\u200Dapon cache") << "weapons";
    QTest::newRow("soft hyphen") << QStringLiteral("fr\u00ADaud everywhere") << "financial_exploitation";
    QTest::newRow("fullwidth NFKC") << QStringLiteral("\uFF57\uFF45\uFF41\uFF50\uFF4F\uFF4E") << "weapons";
    QTest::newRow("ligature NFKC") << QStringLiteral("\uFB01rearms") << "weapons";
    QTest::newRow("diacritics") << QStringLiteral("fr\u00E4ud") << "financial_exploitation";
    QTest::newRow("cyrillic look-alikes") << QStringLiteral("gen\u043Ec\u0456de") << "hate_speech";
    QTest::newRow("spaced letters") << "b o m b the bridge" << "weapons";
    QTest::newRow("dotted letters") << "s.p.y. on them" << "surveillance";
    QTest::newRow("dashed letters") << "p-h-i-s-h them" << "social_engineering";
    QTest::newRow("tabs and newlines") << "pump\tand\n\ndump" << "";
    QTest::newRow("multiple spaces") << "pump    and     dump" << "market_manipulation";
    // clang-format on
}

void tst_PatternSet::matches()
{
    QFETCH(QString, text);
    QFETCH(QString, pattern);
    const auto set = PatternSet::builtIn();
    QVERIFY(set);
    const QList<PatternMatch> found = set->match(text);
    QStringList names;
    for (const PatternMatch &m : found)
        names << m.pattern;
    if (pattern.isEmpty())
        QVERIFY2(found.isEmpty(), qPrintable(names.join(u',') + u" in: " + normaliseForMatching(text)));
    else
        QVERIFY2(names.contains(pattern),
                 qPrintable(QStringLiteral("%1 not in [%2] for: %3").arg(pattern, names.join(u','), normaliseForMatching(text))));
}

void tst_PatternSet::resultJson()
{
    const auto set = PatternSet::builtIn();
    const QJsonObject clean = set->resultJson(set->match("Reading corners in village schools"));
    QCOMPARE(clean.value("passed").toBool(), true);
    QCOMPARE(clean.value("matches").toArray().size(), 0);
    QCOMPARE(clean.value("patternsVersion").toString(), QStringLiteral("2025.1"));
    const QJsonObject hit = set->resultJson(set->match("A ponzi scheme with a propaganda arm"));
    QCOMPARE(hit.value("passed").toBool(), false);
    const QJsonArray m = hit.value("matches").toArray();
    QCOMPARE(m.size(), 2);
    QCOMPARE(m.at(0).toObject().value("pattern").toString(), QStringLiteral("political_manipulation"));
    QCOMPARE(m.at(0).toObject().value("severity").toString(), QStringLiteral("critical"));
    QCOMPARE(m.at(1).toObject().value("pattern").toString(), QStringLiteral("financial_exploitation"));
    QCOMPARE(m.at(1).toObject().value("text").toString(), QStringLiteral("ponzi"));
}

void tst_PatternSet::invalidFiles_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("mentions");
    QTest::newRow("not json") << QByteArray("{") << "not a JSON object";
    QTest::newRow("wrong format") << QByteArray(R"({"format":2,"version":"x","patterns":[]})") << "format";
    QTest::newRow("no version") << QByteArray(R"({"format":1,"patterns":[{"name":"a","severity":"high","terms":["x"]}]})")
                                << "version";
    QTest::newRow("no patterns") << QByteArray(R"({"format":1,"version":"v","patterns":[]})") << "patterns";
    QTest::newRow("bad name") << QByteArray(
        R"({"format":1,"version":"v","patterns":[{"name":"Bad Name","severity":"high","terms":["x"]}]})")
                              << "lower_snake_case";
    QTest::newRow("duplicate") << QByteArray(
        R"({"format":1,"version":"v","patterns":[{"name":"a","severity":"high","terms":["x"]},{"name":"a","severity":"high","terms":["y"]}]})")
                               << "twice";
    QTest::newRow("bad severity") << QByteArray(
        R"({"format":1,"version":"v","patterns":[{"name":"a","severity":"severe","terms":["x"]}]})")
                                  << "severity";
    QTest::newRow("bad regex") << QByteArray(
        R"({"format":1,"version":"v","patterns":[{"name":"a","severity":"high","terms":["(unclosed"]}]})")
                               << "(unclosed";
    QTest::newRow("matches empty") << QByteArray(
        R"({"format":1,"version":"v","patterns":[{"name":"a","severity":"high","terms":["\\w*"]}]})")
                                   << "empty";
    QTest::newRow("no terms") << QByteArray(
        R"({"format":1,"version":"v","patterns":[{"name":"a","severity":"high","terms":[]}]})")
                              << "no terms";
}

void tst_PatternSet::invalidFiles()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, mentions);
    const auto parsed = PatternSet::fromJson(json);
    QVERIFY(!parsed.ok());
    QVERIFY2(parsed.error().message.contains(mentions), qPrintable(parsed.error().message));
}

void tst_PatternSet::overrideFile()
{
    const QByteArray json = R"({"format":1,"version":"custom-7","followWithinWords":2,
        "patterns":[{"name":"lottery","severity":"high","terms":["lotter\\w*","win…prize"]}]})";
    const auto parsed = PatternSet::fromJson(json);
    QVERIFY2(parsed.ok(), parsed.ok() ? "" : qPrintable(parsed.error().message));
    const auto &set = *parsed;
    QCOMPARE(set->version(), QStringLiteral("custom-7"));
    QCOMPARE(set->match("Lotteries for all").size(), 1);
    QCOMPARE(set->match("win a big prize").size(), 1);
    QCOMPARE(set->match("win a really big prize").size(), 0); // three words between > 2
    QCOMPARE(set->match("buy guns").size(), 0);               // the override replaces the built-in set
}

void tst_PatternSet::normalisation_data()
{
    QTest::addColumn<QString>("input");
    QTest::addColumn<QString>("expected");
    // clang-format off
    QTest::newRow("case fold") << "HeLLo" << "hello";
    QTest::newRow("whitespace") << "  a \t  b  " << "a b";
    QTest::newRow("newlines kept") << "a\n\n  b" << "a\nb";
    QTest::newRow("zero width") << QStringLiteral("z\u200Be\u2060r\uFEFFo") << "zero";
    QTest::newRow("numbers stay") << "call 112 or 911" << "call 112 or 911";
    QTest::newRow("leet in words") << "h4ck3r 1337" << "hacker 1337";
    QTest::newRow("spaced") << "a b c d" << "abcd";
    QTest::newRow("pure cyrillic word kept") << QStringLiteral("\u0434\u043E\u043C") << QStringLiteral("\u0434\u043E\u043C");
    QTest::newRow("mixed script mapped") << QStringLiteral("p\u0430ss") << "pass";
    QTest::newRow("accents") << QStringLiteral("caf\u00E9 na\u00EFve") << "cafe naive";
    // clang-format on
}

void tst_PatternSet::normalisation()
{
    QFETCH(QString, input);
    QFETCH(QString, expected);
    QCOMPARE(normaliseForMatching(input), expected);
}

void tst_PatternSet::cacheKey()
{
    const QString a = bw::guardrails::cacheKey(QStringLiteral("  **Clean** water for   _all_ "), QStringLiteral("problem"));
    const QString b = bw::guardrails::cacheKey(QStringLiteral("clean WATER for all"), QStringLiteral("problem"));
    const QString c = bw::guardrails::cacheKey(QStringLiteral("clean water for all"), QStringLiteral("solution"));
    QCOMPARE(a.size(), 64);
    QCOMPARE(a, b);
    QVERIFY(a != c);
    QCOMPARE(normaliseForCache(QStringLiteral(" # Title\n\n`code` ~x~ ")), QStringLiteral("title code x"));

    const QJsonObject content{{"title", "T"}, {"instructions", QJsonArray{QJsonObject{{"text", "step one"}}}}};
    QCOMPARE(textOf(content), QStringLiteral("step one\nT"));
    QCOMPARE(labelledTextOf(content), QStringLiteral("instructions[0].text: step one\ntitle: T"));
}

namespace {
// CPU time of this thread: the machine may be shared, wall time would measure the neighbours.
double threadCpuMs()
{
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}
} // namespace

void tst_PatternSet::fastEnough()
{
    // A realistic problem report (~2 KB) must pass Layer A in well under 1 ms.
    QString text;
    const QString sentence =
        QStringLiteral("In the northern districts about 4,000 families lack reliable access to clean drinking water; "
                       "volunteers could monitor wells and report broken pumps to local technicians. ");
    while (text.size() < 2000)
        text += sentence;
    const QString unicodeText = text + QStringLiteral(" Caf\u00E9 na\u00EFve \u00FCber");
    const auto set = PatternSet::builtIn();
    QVERIFY(set->match(text).isEmpty());
    constexpr int runs = 300;
    for (const QString &sample : {text, unicodeText}) {
        double start = threadCpuMs();
        for (int i = 0; i < runs; ++i)
            QVERIFY(set->match(sample).isEmpty());
        const double perItemMs = (threadCpuMs() - start) / runs;
        start = threadCpuMs();
        for (int i = 0; i < runs; ++i)
            QVERIFY(!normaliseForMatching(sample).isEmpty());
        const double normaliseMs = (threadCpuMs() - start) / runs;
        qInfo("Layer A: %.3f ms CPU per %lld-char item (normalisation %.3f ms, 12 patterns %.3f ms)", perItemMs,
              qlonglong(sample.size()), normaliseMs, perItemMs - normaliseMs);
        QVERIFY2(perItemMs < 1.0, qPrintable(QString::number(perItemMs)));
    }
}

QTEST_GUILESS_MAIN(tst_PatternSet)
#include "tst_patternset.moc"
