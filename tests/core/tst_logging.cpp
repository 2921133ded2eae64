// Structured logging: credential redaction, JSON lines with request context, sinks, level filter
// and file rotation. The logger is process-global: initTestCase installs it, the rotation test
// re-initialises it last. Lines arrive on the writer thread (QTRY_* waits for them).

#include "server/core/logging.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <climits>
#include <mutex>
#include <thread>

using namespace bw;

Q_LOGGING_CATEGORY(lcTest, "bw.test")

namespace {
const QString kHex64 = QStringLiteral("0123456789abcdef").repeated(4);

struct Collected {
    std::mutex mutex;
    QList<QByteArray> lines;
};

QList<QByteArray> nonEmptyLines(const QByteArray &text)
{
    QList<QByteArray> out;
    for (const QByteArray &l : text.split('\n'))
        if (!l.isEmpty())
            out << l;
    return out;
}
} // namespace

class tst_Logging : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void redact_data();
    void redact();
    void redactFields();
    void redactFieldsInsideArrays();
    void jsonLineWithContext();
    void contextIsPerThread();
    void levels_data();
    void levels();
    void writeWithFields();
    void accessLineMatchesWrite_data();
    void accessLineMatchesWrite();
    void removeSink();
    void rotation();
    void logFilesArePrivate();

private:
    bool findLine(const QByteArray &marker, QJsonObject *out);
    bool sawMarker(const QByteArray &marker);

    QTemporaryDir m_dir;
    Collected m_collected;
    int m_sink = 0;
};

void tst_Logging::initTestCase()
{
    QVERIFY(m_dir.isValid());
    log::Options o;
    o.level = QStringLiteral("info");
    o.directory = m_dir.filePath(QStringLiteral("logs"));
    o.toStderr = false;
    log::init(o);
    m_sink = log::addSink([this](const QByteArray &line) {
        std::lock_guard lock(m_collected.mutex);
        m_collected.lines << line;
    });
    QVERIFY(m_sink > 0);
}

void tst_Logging::cleanupTestCase()
{
    log::removeSink(m_sink);
    log::shutdown();
}

bool tst_Logging::findLine(const QByteArray &marker, QJsonObject *out)
{
    log::flush();
    std::lock_guard lock(m_collected.mutex);
    for (const QByteArray &line : std::as_const(m_collected.lines)) {
        if (line.contains(marker)) {
            *out = QJsonDocument::fromJson(line).object();
            return true;
        }
    }
    return false;
}

bool tst_Logging::sawMarker(const QByteArray &marker)
{
    QJsonObject ignored;
    return findLine(marker, &ignored);
}

void tst_Logging::redact_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("expected");

    // clang-format off
    QTest::newRow("bearer header") << "Authorization: Bearer abc.DEF-123_~+/=" << "Authorization: Bearer [REDACTED]";
    QTest::newRow("bearer lower case") << "auth bearer abc123" << "auth bearer [REDACTED]";
    QTest::newRow("BEARER upper case") << "BEARER abc123" << "BEARER [REDACTED]";
    QTest::newRow("bearer long line") << QString("Bearer " + kHex64 + " then more text") << "Bearer [REDACTED] then more text";
    QTest::newRow("64 hex key") << QString("key " + kHex64 + " used") << "key [REDACTED] used";
    QTest::newRow("64 hex upper") << QString("KEY " + kHex64.toUpper()) << "KEY [REDACTED]";
    QTest::newRow("two keys") << QString(kHex64 + "," + kHex64) << "[REDACTED],[REDACTED]";
    QTest::newRow("63 hex kept") << QString("id " + kHex64.left(63) + " ok") << QString("id " + kHex64.left(63) + " ok");
    QTest::newRow("65 hex kept") << QString("id " + kHex64 + "a ok") << QString("id " + kHex64 + "a ok");
    QTest::newRow("password=") << "login password=hunter2 next" << "login password=[REDACTED] next";
    QTest::newRow("password quoted") << "password: \"two words\" tail" << "password: [REDACTED] tail";
    QTest::newRow("PASSWORD spaced") << "PASSWORD = x" << "PASSWORD = [REDACTED]";
    QTest::newRow("passwd") << "passwd=x" << "passwd=[REDACTED]";
    QTest::newRow("pwd") << "pwd:x" << "pwd:[REDACTED]";
    QTest::newRow("api_key") << "api_key=abc" << "api_key=[REDACTED]";
    QTest::newRow("apikey") << "apiKey: abc" << "apiKey: [REDACTED]";
    QTest::newRow("token") << "token: t0k3n, user: bob" << "token: [REDACTED] user: bob";
    QTest::newRow("refresh_token") << "refresh_token=abc" << "refresh_token=[REDACTED]";
    QTest::newRow("secret") << "secret = s3" << "secret = [REDACTED]";
    QTest::newRow("mixed") << "Bearer a and password=b" << "Bearer [REDACTED] and password=[REDACTED]";
    QTest::newRow("plain") << "nothing to redact here" << "nothing to redact here";
    QTest::newRow("url with port") << "GET http://host:4000/api/v1/problems?limit=20 200"
                                   << "GET http://host:4000/api/v1/problems?limit=20 200";
    QTest::newRow("uuid kept") << "agent 6f1c1b7e-8d4e-4b8a-9a43-0c2b5e1f9a10 ok" << "agent 6f1c1b7e-8d4e-4b8a-9a43-0c2b5e1f9a10 ok";
    QTest::newRow("empty") << "" << "";
    // clang-format on
}

void tst_Logging::redact()
{
    QFETCH(QString, text);
    QFETCH(QString, expected);
    // The pattern is case-insensitive, but the fast path looks for "earer" case-sensitively and
    // returns short texts without a '=' or ':' untouched (logging.cpp, redact()).
    QCOMPARE(log::redact(text), expected);
}

void tst_Logging::redactFields()
{
    const QJsonObject in{
        {"authorization", "Bearer abc"},
        {"Cookie", "session=1"},
        {"apiKey", "k1"},
        {"api_key", "k2"},
        {"password", "p"},
        {"clientSecret", "s"},
        {"refreshToken", "t"},
        {"key_hash", "h1"},
        {"keyHash", "h2"},
        {"status", 200},
        {"ok", true},
        {"note", "retry with token=abc"},
        {"user", QJsonObject{{"name", "bob"}, {"password", "p2"}, {"deeper", QJsonObject{{"api_key", "k4"}, {"city", "Oslo"}}}}},
    };
    const QJsonObject out = log::redactFields(in);
    const QString r = QStringLiteral("[REDACTED]");
    for (const char *k :
         {"authorization", "Cookie", "apiKey", "api_key", "password", "clientSecret", "refreshToken", "key_hash", "keyHash"})
        QVERIFY2(out.value(QLatin1String(k)).toString() == r, k);
    QCOMPARE(out.value("status").toInt(), 200);
    QCOMPARE(out.value("ok").toBool(), true);
    QCOMPARE(out.value("note").toString(), QStringLiteral("retry with token=[REDACTED]"));
    const QJsonObject user = out.value("user").toObject();
    QCOMPARE(user.value("name").toString(), QStringLiteral("bob"));
    QCOMPARE(user.value("password").toString(), r);
    QCOMPARE(user.value("deeper").toObject().value("api_key").toString(), r);
    QCOMPARE(user.value("deeper").toObject().value("city").toString(), QStringLiteral("Oslo"));
    QCOMPARE(out.size(), in.size());
    // Nothing secret survives anywhere in the serialised object.
    const QByteArray json = QJsonDocument(out).toJson(QJsonDocument::Compact);
    for (const char *secret : {"\"k1\"", "\"k2\"", "\"k4\"", "\"p\"", "\"p2\"", "\"h1\"", "\"h2\"", "abc"})
        QVERIFY2(!json.contains(secret), secret);
}

void tst_Logging::redactFieldsInsideArrays()
{
    const QJsonObject in{
        {"items", QJsonArray{QJsonObject{{"password", "hunter2"}, {"name", "a"}}}},
        {"headers", QJsonArray{"Authorization: Bearer abcdef"}},
    };
    const QByteArray json = QJsonDocument(log::redactFields(in)).toJson(QJsonDocument::Compact);
    QVERIFY2(!json.contains("hunter2"), json.constData());
    QVERIFY2(!json.contains("abcdef"), json.constData());
}

void tst_Logging::jsonLineWithContext()
{
    const QDateTime before = QDateTime::currentDateTimeUtc().addSecs(-1);
    {
        log::ScopedContext ctx(QStringLiteral("req-123"));
        QCOMPARE(log::ScopedContext::requestId(), QStringLiteral("req-123"));
        log::ScopedContext::setAgentId(QStringLiteral("agent-9"));
        qCInfo(lcTest).noquote() << "marker-ctx hello password=hunter2";
    }
    QCOMPARE(log::ScopedContext::requestId(), QString());
    qCInfo(lcTest).noquote() << "marker-noctx";

    QJsonObject line;
    QTRY_VERIFY_WITH_TIMEOUT(findLine("marker-ctx", &line), 5000);
    QCOMPARE(line.value("level").toString(), QStringLiteral("info"));
    QCOMPARE(line.value("category").toString(), QStringLiteral("bw.test"));
    QCOMPARE(line.value("message").toString(), QStringLiteral("marker-ctx hello password=[REDACTED]"));
    QCOMPARE(line.value("requestId").toString(), QStringLiteral("req-123"));
    QCOMPARE(line.value("agentId").toString(), QStringLiteral("agent-9"));
    const QString time = line.value("time").toString();
    QVERIFY2(time.endsWith(u'Z'), qPrintable(time));
    const QDateTime t = QDateTime::fromString(time, Qt::ISODateWithMs);
    QVERIFY2(t.isValid(), qPrintable(time));
    QVERIFY(t >= before && t <= QDateTime::currentDateTimeUtc().addSecs(1));

    QJsonObject plain;
    QTRY_VERIFY_WITH_TIMEOUT(findLine("marker-noctx", &plain), 5000);
    QVERIFY(!plain.contains("requestId"));
    QVERIFY(!plain.contains("agentId"));

    // The same lines are in the log file, one valid JSON object per line.
    QFile file(m_dir.filePath(QStringLiteral("logs/betterworld.log")));
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QByteArray content = file.readAll();
    QVERIFY(content.endsWith('\n'));
    bool found = false;
    for (const QByteArray &l : nonEmptyLines(content)) {
        QJsonParseError err{};
        const QJsonDocument doc = QJsonDocument::fromJson(l, &err);
        QVERIFY2(err.error == QJsonParseError::NoError && doc.isObject(), l.constData());
        if (l.contains("marker-ctx")) {
            found = true;
            QCOMPARE(doc.object().value("requestId").toString(), QStringLiteral("req-123"));
            QVERIFY(!l.contains("hunter2"));
        }
    }
    QVERIFY(found);
}

void tst_Logging::contextIsPerThread()
{
    log::ScopedContext ctx(QStringLiteral("req-main"));
    std::thread other([] { qCInfo(lcTest).noquote() << "marker-other-thread"; });
    other.join();
    qCInfo(lcTest).noquote() << "marker-main-thread";
    QJsonObject a, b;
    QTRY_VERIFY_WITH_TIMEOUT(findLine("marker-other-thread", &a), 5000);
    QTRY_VERIFY_WITH_TIMEOUT(findLine("marker-main-thread", &b), 5000);
    QVERIFY(!a.contains("requestId"));
    QCOMPARE(b.value("requestId").toString(), QStringLiteral("req-main"));
}

void tst_Logging::levels_data()
{
    QTest::addColumn<int>("type");
    QTest::addColumn<QString>("level"); // "" = filtered out at the configured "info" level
    QTest::newRow("debug") << int(QtDebugMsg) << "";
    QTest::newRow("info") << int(QtInfoMsg) << "info";
    QTest::newRow("warning") << int(QtWarningMsg) << "warning";
    QTest::newRow("critical") << int(QtCriticalMsg) << "error";
}

void tst_Logging::levels()
{
    QFETCH(int, type);
    QFETCH(QString, level);
    const QByteArray marker = "marker-level-" + QByteArray(QTest::currentDataTag()) + "-line";
    switch (QtMsgType(type)) {
    case QtDebugMsg:
        qCDebug(lcTest).noquote() << marker;
        break;
    case QtInfoMsg:
        qCInfo(lcTest).noquote() << marker;
        break;
    case QtWarningMsg:
        qCWarning(lcTest).noquote() << marker;
        break;
    default:
        qCCritical(lcTest).noquote() << marker;
        break;
    }
    // A later line proves the earlier one had its chance to be written.
    const QByteArray fence = "marker-fence-" + QByteArray(QTest::currentDataTag());
    qCWarning(lcTest).noquote() << fence;
    QTRY_VERIFY_WITH_TIMEOUT(sawMarker(fence), 5000);
    QJsonObject line;
    const bool found = findLine(marker, &line);
    if (level.isEmpty()) {
        QVERIFY(!found);
    } else {
        QVERIFY(found);
        QCOMPARE(line.value("level").toString(), level);
        QCOMPARE(line.value("message").toString(), QString::fromLatin1(marker));
    }
}

void tst_Logging::writeWithFields()
{
    log::ScopedContext ctx(QStringLiteral("req-fields"));
    log::write(QtInfoMsg, "bw.custom", QStringLiteral("marker-fields Bearer xyz"),
               QJsonObject{{"status", 201}, {"apiKey", "k"}, {"nested", QJsonObject{{"token", "t"}, {"ok", "fine"}}}});
    log::write(QtDebugMsg, "bw.custom", QStringLiteral("marker-fields-debug"));
    QJsonObject line;
    QTRY_VERIFY_WITH_TIMEOUT(findLine("marker-fields", &line), 5000);
    QCOMPARE(line.value("category").toString(), QStringLiteral("bw.custom"));
    QCOMPARE(line.value("message").toString(), QStringLiteral("marker-fields Bearer [REDACTED]"));
    QCOMPARE(line.value("requestId").toString(), QStringLiteral("req-fields"));
    const QJsonObject fields = line.value("fields").toObject();
    QCOMPARE(fields.value("status").toInt(), 201);
    QCOMPARE(fields.value("apiKey").toString(), QStringLiteral("[REDACTED]"));
    QCOMPARE(fields.value("nested").toObject().value("token").toString(), QStringLiteral("[REDACTED]"));
    QCOMPARE(fields.value("nested").toObject().value("ok").toString(), QStringLiteral("fine"));
    QVERIFY(!sawMarker("marker-fields-debug"));
}

void tst_Logging::accessLineMatchesWrite_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("ip");
    QTest::addColumn<double>("ms");
    QTest::newRow("plain") << QStringLiteral("/health") << QStringLiteral("127.0.0.1") << 0.37;
    QTest::newRow("whole ms") << QStringLiteral("/api/v1/problems") << QStringLiteral("::1") << 12.0;
    QTest::newRow("escapes") << QStringLiteral("/a\"b\\c\n\t\r\b\f\x01\x1f/\x7f") << QStringLiteral("10.0.0.1") << 1e-2;
    QTest::newRow("unicode") << QStringLiteral("/caf\u00e9/\u2603/") + QString(QChar(0xd83d)) + QChar(0xde00)
                                    + QStringLiteral("/lone") + QChar(0xd800) + QStringLiteral("x") + QChar(0xdc00)
                             << QStringLiteral("fe80::1") << 1234.56;
    QTest::newRow("secrets") << QStringLiteral("/x?token=abc Bearer xyz ") + kHex64 << QStringLiteral("password=1") << 0.0;
}

// The access log's hand-built line is byte-identical to log::write's QJsonObject line (apart from
// the time and the request id that tells them apart).
void tst_Logging::accessLineMatchesWrite()
{
    QFETCH(QString, path);
    QFETCH(QString, ip);
    QFETCH(double, ms);
    const QString tag = QString::fromLatin1(QTest::currentDataTag()).replace(u' ', u'-');
    const QString message = QStringLiteral("GET ") + path + QStringLiteral(" 200");
    {
        log::ScopedContext ctx(QStringLiteral("acc-json-") + tag);
        log::ScopedContext::setAgentId(QStringLiteral("agent-\u00e9"));
        log::write(QtInfoMsg, "bw.http.access", message,
                   QJsonObject{{QStringLiteral("status"), 200},
                               {QStringLiteral("route"), path},
                               {QStringLiteral("ms"), ms},
                               {QStringLiteral("ip"), ip},
                               {QStringLiteral("bytes"), 123}});
    }
    {
        log::ScopedContext ctx(QStringLiteral("acc-fast-") + tag);
        log::ScopedContext::setAgentId(QStringLiteral("agent-\u00e9"));
        log::writeAccess(QtInfoMsg, {.message = message, .status = 200, .route = path, .ms = ms, .ip = ip, .bytes = 123});
    }
    const auto lineWith = [this](const QString &requestId) {
        log::flush();
        std::lock_guard lock(m_collected.mutex);
        const QByteArray needle = "\"requestId\":\"" + requestId.toUtf8() + '"';
        for (const QByteArray &line : std::as_const(m_collected.lines))
            if (line.contains(needle))
                return line;
        return QByteArray();
    };
    QByteArray viaJson, viaFast;
    QTRY_VERIFY_WITH_TIMEOUT(!(viaJson = lineWith(QStringLiteral("acc-json-") + tag)).isEmpty(), 5000);
    QTRY_VERIFY_WITH_TIMEOUT(!(viaFast = lineWith(QStringLiteral("acc-fast-") + tag)).isEmpty(), 5000);
    const auto withoutTime = [](QByteArray line) {
        const qsizetype at = line.lastIndexOf(",\"time\":\"");
        return line.left(at);
    };
    QCOMPARE(withoutTime(viaFast).replace("acc-fast-", "acc-json-"), withoutTime(viaJson));
    // The time is UTC with milliseconds, as QDateTime's ISODateWithMs writes it.
    const QJsonObject parsed = QJsonDocument::fromJson(viaFast).object();
    const QString time = parsed.value(QStringLiteral("time")).toString();
    QCOMPARE(time.size(), 24);
    QVERIFY(time.endsWith(u'Z'));
    QVERIFY(qAbs(QDateTime::fromString(time, Qt::ISODateWithMs).msecsTo(QDateTime::currentDateTimeUtc())) < 60000);
}

void tst_Logging::removeSink()
{
    std::atomic<int> calls{0};
    const int id = log::addSink([&calls](const QByteArray &line) {
        if (line.contains("marker-sink"))
            ++calls;
    });
    QVERIFY(id != m_sink);
    qCInfo(lcTest).noquote() << "marker-sink-1";
    QTRY_VERIFY_WITH_TIMEOUT(sawMarker("marker-sink-1"), 5000);
    QCOMPARE(calls.load(), 1);
    log::removeSink(id);
    qCInfo(lcTest).noquote() << "marker-sink-2";
    QTRY_VERIFY_WITH_TIMEOUT(sawMarker("marker-sink-2"), 5000);
    QCOMPARE(calls.load(), 1);
}

void tst_Logging::rotation()
{
    log::shutdown();
    const QString dir = m_dir.filePath(QStringLiteral("rotating"));
    log::Options o;
    o.directory = dir;
    o.toStderr = false;
    o.maxFileBytes = 4096;
    o.keepFiles = 2;
    log::init(o);

    const QString padding(120, u'.');
    for (int i = 0; i < 400; ++i) {
        log::write(QtInfoMsg, "bw.rotate", QStringLiteral("rot-%1 %2").arg(i, 4, 10, QLatin1Char('0')).arg(padding));
        if (i % 5 == 4)
            log::flush();
    }
    log::flush();
    log::shutdown(); // joins the writer: every line is on disk now

    const QString base = dir + QStringLiteral("/betterworld.log");
    QVERIFY(QFile::exists(base));
    QVERIFY(QFile::exists(base + ".1"));
    QVERIFY(QFile::exists(base + ".2"));
    QVERIFY2(!QFile::exists(base + ".3"), "keepFiles = 2");

    // Each file holds whole JSON lines and is about maxFileBytes; older files hold older lines. The
    // live file may be empty (the last write can trigger the rotation); the newest line is in it or in .1.
    QList<int> minIndex, maxIndex;
    for (const QString &name : QStringList{base + ".2", base + ".1", base}) {
        QFile f(name);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray content = f.readAll();
        QVERIFY2(content.size() <= 4096 + 8 * 1024, qPrintable(name));
        int lo = INT_MAX, hi = -1;
        for (const QByteArray &l : nonEmptyLines(content)) {
            const QJsonObject obj = QJsonDocument::fromJson(l).object();
            QVERIFY2(!obj.isEmpty(), l.constData());
            const QString message = obj.value("message").toString();
            QVERIFY2(message.startsWith(QStringLiteral("rot-")), qPrintable(message));
            const int index = message.mid(4, 4).toInt();
            lo = std::min(lo, index);
            hi = std::max(hi, index);
        }
        QVERIFY2(name == base || hi >= 0, qPrintable(name)); // rotated files are never empty
        minIndex << lo;
        maxIndex << hi;
    }
    QVERIFY(minIndex[0] < minIndex[1]);
    if (maxIndex[2] >= 0)
        QVERIFY(minIndex[1] < minIndex[2]);
    QCOMPARE(std::max(maxIndex[1], maxIndex[2]), 399);
    QVERIFY2(minIndex[0] > 0, "the oldest lines were rotated away");
}

// Logs carry e-mail addresses and verification codes: no other local user may read them, also when
// an older version left a world-readable file behind.
void tst_Logging::logFilesArePrivate()
{
    log::shutdown();
    const QString dir = m_dir.filePath(QStringLiteral("private/logs"));
    const QFileDevice::Permissions others = QFileDevice::ReadGroup | QFileDevice::WriteGroup | QFileDevice::ExeGroup
                                            | QFileDevice::ReadOther | QFileDevice::WriteOther | QFileDevice::ExeOther;
    log::Options o;
    o.directory = dir;
    o.toStderr = false;
    o.maxFileBytes = 1024;
    log::init(o);
    for (int i = 0; i < 40; ++i)
        log::write(QtInfoMsg, "bw.private", QStringLiteral("line %1 %2").arg(i).arg(QString(60, u'x')));
    log::flush();
    log::shutdown();
    const QString base = dir + QStringLiteral("/betterworld.log");
    QVERIFY(QFile::exists(base + ".1")); // a rotated file too
    QCOMPARE(QFileInfo(dir).permissions() & others, QFileDevice::Permissions());
    QCOMPARE(QFileInfo(base).permissions() & others, QFileDevice::Permissions());
    QCOMPARE(QFileInfo(base + ".1").permissions() & others, QFileDevice::Permissions());

    QVERIFY(QFile::setPermissions(base, QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ReadGroup
                                            | QFileDevice::ReadOther)); // 0644, as older versions wrote it
    log::init(o);
    log::shutdown();
    QCOMPARE(QFileInfo(base).permissions() & others, QFileDevice::Permissions());
}

QTEST_GUILESS_MAIN(tst_Logging)
#include "tst_logging.moc"
