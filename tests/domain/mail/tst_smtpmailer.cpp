// SmtpMailer against a real local SMTP server (tests/support/smtpserver): STARTTLS with a
// throw-away certificate, AUTH PLAIN and LOGIN, refusals, timeouts, cancellation, dot-stuffing.
#include "server/domain/mail/smtpmailer.h"
#include "tests/support/smtpserver.h"

#include <QElapsedTimer>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <thread>

using bw::domain::MailMessage;
using bw::domain::SmtpMailer;
using bw::domain::SmtpOptions;
using bw::test::SmtpTestServer;

class tst_SmtpMailer : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;
    QString m_cert, m_key;

    SmtpTestServer::Options serverOptions() const
    {
        SmtpTestServer::Options o;
        o.certFile = m_cert;
        o.keyFile = m_key;
        o.username = QStringLiteral("mailer");
        o.password = QStringLiteral("s3cret pass");
        return o;
    }
    SmtpOptions clientOptions(quint16 port) const
    {
        SmtpOptions o;
        o.host = QStringLiteral("127.0.0.1");
        o.port = port;
        o.username = QStringLiteral("mailer");
        o.password = QStringLiteral("s3cret pass");
        o.from = QStringLiteral("BetterWorld <noreply@bw.test>");
        o.caFile = m_cert;
        o.timeoutMs = 5000;
        return o;
    }
    static MailMessage message()
    {
        return MailMessage{QStringLiteral("agent@example.org"), QStringLiteral("Your code"),
                           QStringLiteral("Hello,\nyour code is 123456.\n.leading dot line\n")};
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        QString error;
        QVERIFY2(SmtpTestServer::makeCertificate(m_dir.path(), &m_cert, &m_key, &error), qPrintable(error));
    }

    void deliversOverStartTlsWithAuth_data()
    {
        QTest::addColumn<QStringList>("mechanisms");
        QTest::addColumn<QString>("host");
        QTest::newRow("PLAIN, IP address") << QStringList{"PLAIN", "LOGIN"} << QStringLiteral("127.0.0.1");
        QTest::newRow("LOGIN only, host name") << QStringList{"LOGIN"} << QStringLiteral("localhost");
    }
    void deliversOverStartTlsWithAuth()
    {
        QFETCH(QStringList, mechanisms);
        QFETCH(QString, host);
        auto options = serverOptions();
        options.authMechanisms = mechanisms;
        SmtpTestServer server(options);
        QVERIFY2(server.start(), qPrintable(server.lastError()));
        auto client = clientOptions(server.port());
        client.host = host;
        SmtpMailer mailer(client);
        std::atomic_bool cancel{false};
        const auto sent = mailer.send(message(), cancel);
        QVERIFY2(sent, sent ? "" : qPrintable(sent.error().message + " / " + server.transcript().join(" | ")));
        QVERIFY(server.waitForMessages(1, 2000));
        const auto m = server.messages().first();
        QVERIFY(m.overTls);
        QCOMPARE(m.authenticatedUser, QStringLiteral("mailer"));
        QCOMPARE(m.mailFrom, QStringLiteral("noreply@bw.test"));
        QCOMPARE(m.recipients, QStringList{"agent@example.org"});
        QCOMPARE(m.header("Subject"), QByteArray("Your code"));
        QCOMPARE(m.header("To"), QByteArray("agent@example.org"));
        QCOMPARE(m.header("From"), QByteArray("BetterWorld <noreply@bw.test>"));
        QVERIFY(!m.header("Message-ID").isEmpty());
        QVERIFY(!m.header("Date").isEmpty());
        QCOMPARE(m.body(), QByteArray("Hello,\r\nyour code is 123456.\r\n.leading dot line\r\n"));
        // Credentials never appear in clear: every AUTH line came after STARTTLS.
        const QStringList t = server.transcript();
        QVERIFY(t.indexOf(QRegularExpression("^STARTTLS")) < t.indexOf(QRegularExpression("^AUTH.*")));
    }

    void wrongPasswordIsAnError()
    {
        SmtpTestServer server(serverOptions());
        QVERIFY(server.start());
        auto client = clientOptions(server.port());
        client.password = QStringLiteral("wrong");
        std::atomic_bool cancel{false};
        const auto sent = SmtpMailer(client).send(message(), cancel);
        QVERIFY(!sent);
        QVERIFY2(sent.error().message.contains(QLatin1String("AUTH")), qPrintable(sent.error().message));
        QVERIFY(!sent.error().message.contains(QLatin1String("wrong")));
        QCOMPARE(server.messages().size(), 0);
    }

    void refusesWithoutStartTls()
    {
        auto options = serverOptions();
        options.offerStartTls = false;
        options.requireTls = false;
        SmtpTestServer server(options);
        QVERIFY(server.start());
        std::atomic_bool cancel{false};
        const auto sent = SmtpMailer(clientOptions(server.port())).send(message(), cancel);
        QVERIFY(!sent);
        QVERIFY2(sent.error().message.contains(QLatin1String("STARTTLS")), qPrintable(sent.error().message));
        QVERIFY(server.transcript().filter(QRegularExpression("^AUTH")).isEmpty()); // no credentials sent

        // With smtp/starttls off the same server accepts the message in clear.
        auto plain = clientOptions(server.port());
        plain.startTls = false;
        QVERIFY(SmtpMailer(plain).send(message(), cancel));
        QVERIFY(server.waitForMessages(1, 2000));
        QVERIFY(!server.messages().first().overTls);
    }

    void untrustedCertificateFails()
    {
        SmtpTestServer server(serverOptions());
        QVERIFY(server.start());
        auto client = clientOptions(server.port());
        client.caFile.clear(); // only the system roots: our self-signed certificate is not trusted
        std::atomic_bool cancel{false};
        const auto sent = SmtpMailer(client).send(message(), cancel);
        QVERIFY(!sent);
        QVERIFY2(sent.error().message.contains(QLatin1String("TLS")), qPrintable(sent.error().message));
        QCOMPARE(server.messages().size(), 0);
    }

    void refusedRecipient()
    {
        auto options = serverOptions();
        options.rejectRecipientCode = 550;
        SmtpTestServer server(options);
        QVERIFY(server.start());
        std::atomic_bool cancel{false};
        const auto sent = SmtpMailer(clientOptions(server.port())).send(message(), cancel);
        QVERIFY(!sent);
        QVERIFY2(sent.error().message.contains(QLatin1String("RCPT TO")) && sent.error().message.contains(QLatin1String("550")),
                 qPrintable(sent.error().message));
    }

    void silentServerTimesOut()
    {
        auto options = serverOptions();
        options.stallGreeting = true;
        SmtpTestServer server(options);
        QVERIFY(server.start());
        auto client = clientOptions(server.port());
        client.timeoutMs = 400;
        std::atomic_bool cancel{false};
        QElapsedTimer t;
        t.start();
        const auto sent = SmtpMailer(client).send(message(), cancel);
        QVERIFY(!sent);
        QVERIFY2(sent.error().message.contains(QLatin1String("timed out")), qPrintable(sent.error().message));
        QVERIFY2(t.elapsed() < 3000, qPrintable(QString::number(t.elapsed())));
    }

    void cancellationIsPrompt()
    {
        auto options = serverOptions();
        options.stallGreeting = true;
        SmtpTestServer server(options);
        QVERIFY(server.start());
        auto client = clientOptions(server.port());
        client.timeoutMs = 60000;
        std::atomic_bool cancel{false};
        std::thread canceller([&cancel] {
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
            cancel = true;
        });
        QElapsedTimer t;
        t.start();
        const auto sent = SmtpMailer(client).send(message(), cancel);
        canceller.join();
        QVERIFY(!sent);
        QVERIFY2(t.elapsed() < 2000, qPrintable(QString::number(t.elapsed())));
    }

    void connectionRefused()
    {
        quint16 port = 0;
        {
            SmtpTestServer probe(serverOptions());
            QVERIFY(probe.start());
            port = probe.port();
        } // closed again: nothing listens there now
        std::atomic_bool cancel{false};
        const auto sent = SmtpMailer(clientOptions(port)).send(message(), cancel);
        QVERIFY(!sent);
        QVERIFY2(sent.error().message.contains(QLatin1String("connecting")), qPrintable(sent.error().message));
    }

    void rejectsHeaderInjection()
    {
        std::atomic_bool cancel{false};
        SmtpMailer mailer(clientOptions(1));
        MailMessage m = message();
        m.to = QStringLiteral("a@example.org\r\nBcc: victim@example.org");
        QVERIFY(!mailer.send(m, cancel));
        m = message();
        m.subject = QStringLiteral("hi\r\nBcc: victim@example.org");
        QVERIFY(!mailer.send(m, cancel));
    }

    void addressOf_data()
    {
        QTest::addColumn<QString>("mailbox");
        QTest::addColumn<QString>("address");
        // clang-format off
        QTest::newRow("bare") << "a@b.org" << "a@b.org";
        QTest::newRow("display name") << "BetterWorld <noreply@b.org>" << "noreply@b.org";
        QTest::newRow("line break") << "a@b.org\nX: y" << "";
        // clang-format on
    }
    void addressOf()
    {
        QFETCH(QString, mailbox);
        QFETCH(QString, address);
        QCOMPARE(SmtpMailer::addressOf(mailbox), address);
    }
};

QTEST_GUILESS_MAIN(tst_SmtpMailer)
#include "tst_smtpmailer.moc"
