// The settings and the command this feature adds: smtp/*, server/public_url (file keys and BW_*
// variables, with their validation) and `betterworld keys rotate-heartbeat` parsing. Pure.
#include "app/cli.h"
#include "server/core/config.h"

#include <QTest>

using namespace bw;

Q_DECLARE_METATYPE(bw::app::CommandKind)

class tst_AccountsSettings : public QObject {
    Q_OBJECT
    static Result<Config> load(const QMap<QString, QString> &env)
    {
        ConfigSources sources;
        sources.environment = QProcessEnvironment();
        sources.environment.insert(QStringLiteral("HOME"), QStringLiteral("/nonexistent-home"));
        sources.environment.insert(QStringLiteral("BW_CONFIG"), QString()); // no file
        for (auto it = env.cbegin(); it != env.cend(); ++it)
            sources.environment.insert(it.key(), it.value());
        return loadConfig(sources);
    }

private Q_SLOTS:
    void defaults()
    {
        const auto c = load({});
        QVERIFY2(c, c ? "" : qPrintable(c.error().message));
        QVERIFY(c->smtp.host.isEmpty()); // no SMTP: the sink
        QCOMPARE(c->smtp.port, 587);
        QVERIFY(c->smtp.startTls);
        QVERIFY(c->publicUrl.isEmpty());
    }

    void fromEnvironment()
    {
        const auto c = load({{"BW_SMTP_HOST", "mail.example.org"},
                             {"BW_SMTP_PORT", "2525"},
                             {"BW_SMTP_USERNAME", "bw"},
                             {"BW_SMTP_FROM", "BW <noreply@example.org>"},
                             {"BW_SMTP_STARTTLS", "false"},
                             {"BW_SMTP_CA_FILE", "/etc/ca.pem"},
                             {"BW_SMTP_TIMEOUT_MS", "2000"},
                             {"BW_PUBLIC_URL", "https://api.example.org"}});
        QVERIFY2(c, c ? "" : qPrintable(c.error().message));
        QCOMPARE(c->smtp.host, QStringLiteral("mail.example.org"));
        QCOMPARE(c->smtp.port, 2525);
        QCOMPARE(c->smtp.username, QStringLiteral("bw"));
        QCOMPARE(c->smtp.from, QStringLiteral("BW <noreply@example.org>"));
        QVERIFY(!c->smtp.startTls);
        QCOMPARE(c->smtp.caFile, QStringLiteral("/etc/ca.pem"));
        QCOMPARE(c->smtp.timeoutMs, 2000);
        QCOMPARE(c->publicUrl, QStringLiteral("https://api.example.org"));
    }

    void invalidValues_data()
    {
        QTest::addColumn<QString>("variable");
        QTest::addColumn<QString>("value");
        // clang-format off
        QTest::newRow("port text") << "BW_SMTP_PORT" << "smtp";
        QTest::newRow("port 0") << "BW_SMTP_PORT" << "0";
        QTest::newRow("port too big") << "BW_SMTP_PORT" << "70000";
        QTest::newRow("from without @") << "BW_SMTP_FROM" << "noreply";
        QTest::newRow("starttls maybe") << "BW_SMTP_STARTTLS" << "maybe";
        QTest::newRow("timeout tiny") << "BW_SMTP_TIMEOUT_MS" << "5";
        QTest::newRow("public url scheme") << "BW_PUBLIC_URL" << "ftp://x";
        // clang-format on
    }
    void invalidValues()
    {
        QFETCH(QString, variable);
        QFETCH(QString, value);
        const auto c = load({{variable, value}});
        QVERIFY(!c);
        QVERIFY2(c.error().message.contains(variable), qPrintable(c.error().message));
    }

    void keysCommand_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<bool>("valid");
        QTest::newRow("rotate-heartbeat") << QStringList{"keys", "rotate-heartbeat"} << true;
        QTest::newRow("with options") << QStringList{"keys", "rotate-heartbeat", "--data-dir", "/tmp/x"} << true;
        QTest::newRow("no sub-command") << QStringList{"keys"} << false;
        QTest::newRow("unknown sub-command") << QStringList{"keys", "rotate"} << false;
        QTest::newRow("extra word") << QStringList{"keys", "rotate-heartbeat", "now"} << false;
    }
    void keysCommand()
    {
        QFETCH(QStringList, args);
        QFETCH(bool, valid);
        const auto cmd = app::parseCommandLine(QStringList{"betterworld"} + args);
        QCOMPARE(bool(cmd), valid);
        if (valid)
            QCOMPARE(cmd->kind, app::CommandKind::KeysRotateHeartbeat);
        else
            QVERIFY(cmd.error().message.contains("keys rotate-heartbeat"));
        QVERIFY(app::parseCommandLine({"betterworld", "--help"})->helpText.contains("keys rotate-heartbeat"));
    }
};

QTEST_GUILESS_MAIN(tst_AccountsSettings)
#include "tst_accountssettings.moc"
