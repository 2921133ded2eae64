// ConnectionSettings::fromUrl / toUrl / redactedUrl. No PostgreSQL needed.

#include "server/db/connectionsettings.h"

#include <QTest>

using bw::db::ConnectionSettings;

class tst_ConnectionSettings final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void fromUrl_data();
    void fromUrl();
    void invalid_data();
    void invalid();
    void roundTrip_data();
    void roundTrip();
    void redacted();
};

void tst_ConnectionSettings::fromUrl_data()
{
    QTest::addColumn<QString>("url");
    QTest::addColumn<QString>("host");
    QTest::addColumn<int>("port");
    QTest::addColumn<QString>("database");
    QTest::addColumn<QString>("user");
    QTest::addColumn<QString>("password");
    QTest::addColumn<QString>("sslMode");
    QTest::addColumn<QString>("appName");

    const QString app = QStringLiteral("betterworld");
    // clang-format off
    QTest::newRow("full") << "postgresql://bw:secret@db.example.org:6432/prod?sslmode=require" << "db.example.org"
                          << 6432 << "prod" << "bw" << "secret" << "require" << app;
    QTest::newRow("postgres scheme") << "postgres://u@localhost/d" << "localhost" << 5432 << "d" << "u" << ""
                                     << "" << app;
    QTest::newRow("scheme case") << "PostgreSQL://h/d" << "h" << 5432 << "d" << "" << "" << "" << app;
    QTest::newRow("minimal") << "postgresql://" << "" << 5432 << "" << "" << "" << "" << app;
    QTest::newRow("no db") << "postgresql://host:1" << "host" << 1 << "" << "" << "" << "" << app;
    QTest::newRow("socket in query") << "postgresql://bw@/betterworld?host=/run/sock" << "/run/sock" << 5432
                                     << "betterworld" << "bw" << "" << "" << app;
    QTest::newRow("socket percent-encoded host") << "postgresql://%2Fvar%2Frun%2Fpostgresql:5433/db"
                                                 << "/var/run/postgresql" << 5433 << "db" << "" << "" << ""
                                                 << app;
    QTest::newRow("percent-decoding") << "postgresql://us%40er:p%3Aa%2Fss%40w@h/my%20db" << "h" << 5432
                                      << "my db" << "us@er" << "p:a/ss@w" << "" << app;
    QTest::newRow("utf8") << "postgresql://%C3%BC:%E2%82%AC@h/d" << "h" << 5432 << "d"
                          << QString::fromUtf8("ü") << QString::fromUtf8("€") << "" << app;
    QTest::newRow("ipv6") << "postgresql://[::1]:5440/d" << "::1" << 5440 << "d" << "" << "" << "" << app;
    QTest::newRow("ipv6 no port") << "postgresql://[fe80::1]/d" << "fe80::1" << 5432 << "d" << "" << "" << ""
                                  << app;
    QTest::newRow("query overrides") << "postgresql://a:b@h:1/d?user=x&password=y&port=2&dbname=z&host=q"
                                     << "q" << 2 << "z" << "x" << "y" << "" << app;
    QTest::newRow("application_name") << "postgresql://h/d?application_name=bw%20worker&sslmode=disable" << "h"
                                      << 5432 << "d" << "" << "" << "disable" << "bw worker";
    QTest::newRow("empty password") << "postgresql://u:@h/d" << "h" << 5432 << "d" << "u" << "" << "" << app;
    QTest::newRow("whitespace trimmed") << "  postgresql://h/d \n" << "h" << 5432 << "d" << "" << "" << "" << app;
    // clang-format on
}

void tst_ConnectionSettings::fromUrl()
{
    QFETCH(QString, url);
    auto r = ConnectionSettings::fromUrl(url);
    QVERIFY2(r.ok(), qPrintable(r.ok() ? QString() : r.error().message));
    QTEST(r->host, "host");
    QTEST(r->port, "port");
    QTEST(r->database, "database");
    QTEST(r->user, "user");
    QTEST(r->password, "password");
    QTEST(r->sslMode, "sslMode");
    QTEST(r->applicationName, "appName");
    QCOMPARE(r->statementTimeoutMs, 5000);
}

void tst_ConnectionSettings::invalid_data()
{
    QTest::addColumn<QString>("url");
    QTest::addColumn<QString>("messagePart");
    // clang-format off
    QTest::newRow("empty") << "" << "postgresql://";
    QTest::newRow("other scheme") << "mysql://h/d" << "postgresql://";
    QTest::newRow("no scheme") << "host=/tmp dbname=x" << "postgresql://";
    QTest::newRow("port not numeric") << "postgresql://h:abc/d" << "port";
    QTest::newRow("port zero") << "postgresql://h:0/d" << "port";
    QTest::newRow("port too big") << "postgresql://h:70000/d" << "port";
    QTest::newRow("port in query") << "postgresql://h/d?port=x" << "port";
    QTest::newRow("bad percent") << "postgresql://h/d%zz" << "percent";
    QTest::newRow("truncated percent") << "postgresql://u:p%4@h/d" << "percent";
    QTest::newRow("percent nul") << "postgresql://h/d%00" << "percent";
    QTest::newRow("bad sslmode") << "postgresql://h/d?sslmode=always" << "sslmode";
    QTest::newRow("unknown parameter") << "postgresql://h/d?connect_timeout=3" << "connect_timeout";
    QTest::newRow("multi host") << "postgresql://h1,h2/d" << "several hosts";
    QTest::newRow("multi host query") << "postgresql:///d?host=a,b" << "several hosts";
    QTest::newRow("unterminated ipv6") << "postgresql://[::1/d" << "IPv6";
    QTest::newRow("slash in db") << "postgresql://h/a/b" << "'/'";
    QTest::newRow("param without value") << "postgresql://h/d?sslmode" << "no value";
    // clang-format on
}

void tst_ConnectionSettings::invalid()
{
    QFETCH(QString, url);
    QFETCH(QString, messagePart);
    auto r = ConnectionSettings::fromUrl(url);
    QVERIFY(!r.ok());
    QCOMPARE(r.error().kind, bw::ErrorKind::BadRequest);
    QVERIFY2(r.error().message.contains(messagePart), qPrintable(r.error().message));
}

void tst_ConnectionSettings::roundTrip_data()
{
    QTest::addColumn<QString>("url");
    QTest::newRow("tcp") << "postgresql://bw:s%20e%2Fc@db.example.org:6432/prod?sslmode=require";
    QTest::newRow("socket") << "postgresql://bw:pw@/betterworld?host=/tmp/x%20y/run&port=5433";
    QTest::newRow("ipv6") << "postgresql://u@[::1]:5440/d?application_name=other";
    QTest::newRow("odd chars") << "postgresql://a%3Ab%40c:%E2%82%AC%26%3D%3F@h/d%2Fb";
}

void tst_ConnectionSettings::roundTrip()
{
    QFETCH(QString, url);
    auto a = ConnectionSettings::fromUrl(url);
    QVERIFY(a.ok());
    auto b = ConnectionSettings::fromUrl(a->toUrl());
    QVERIFY2(b.ok(), qPrintable(a->toUrl()));
    QCOMPARE(b->host, a->host);
    QCOMPARE(b->port, a->port);
    QCOMPARE(b->database, a->database);
    QCOMPARE(b->user, a->user);
    QCOMPARE(b->password, a->password);
    QCOMPARE(b->sslMode, a->sslMode);
    QCOMPARE(b->applicationName, a->applicationName);
}

void tst_ConnectionSettings::redacted()
{
    auto s = ConnectionSettings::fromUrl(QStringLiteral("postgresql://bw:topsecret@h:1/d?sslmode=require"));
    QVERIFY(s.ok());
    const QString red = s->redactedUrl();
    QVERIFY(!red.contains(QLatin1StringView("topsecret")));
    QCOMPARE(red, QStringLiteral("postgresql://bw:***@h:1/d?sslmode=require"));
    ConnectionSettings noPassword;
    noPassword.host = QStringLiteral("/run/sock");
    noPassword.database = QStringLiteral("db");
    noPassword.user = QStringLiteral("u");
    QCOMPARE(noPassword.redactedUrl(), QStringLiteral("postgresql://u@/db?host=%2Frun%2Fsock&port=5432"));
}

QTEST_GUILESS_MAIN(tst_ConnectionSettings)
#include "tst_connectionsettings.moc"
