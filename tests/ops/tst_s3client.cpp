// S3Client against a real local S3-compatible server that checks SigV4 signatures and payload
// hashes (tests/support/s3server.js): single PUT, multipart, verification after upload, wrong
// credentials, storage that corrupts what it keeps, and BackupService::copyOffsite.
#include "server/core/secretstore.h"
#include "server/db/database.h"
#include "server/ops/backupservice.h"
#include "server/ops/s3client.h"
#include "tests/ops/opstestutil.h"
#include "tests/support/pgfixture.h"

#include <QCryptographicHash>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QRandomGenerator>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace bw;
using namespace bw::ops;

class TestS3Client : public QObject {
    Q_OBJECT
private:
    QProcess m_server;
    quint16 m_port = 0;
    QTemporaryDir m_tmp;

    S3Config config(const QByteArray &secret = "test-secret") const
    {
        S3Config c;
        c.endpoint = QStringLiteral("http://127.0.0.1:%1").arg(m_port);
        c.bucket = QStringLiteral("backups");
        c.accessKeyId = QStringLiteral("test-access");
        c.secretAccessKey = secret;
        c.partSize = 5 * 1024 * 1024;
        c.timeoutMs = 30000;
        return c;
    }
    QString makeFile(const QString &name, qint64 size)
    {
        const QString path = m_tmp.filePath(name);
        QFile f(path);
        f.open(QIODevice::WriteOnly);
        QByteArray chunk(1 << 20, Qt::Uninitialized);
        for (qint64 left = size; left > 0; left -= chunk.size()) {
            QRandomGenerator::global()->fillRange(reinterpret_cast<quint32 *>(chunk.data()), chunk.size() / 4);
            f.write(chunk.constData(), qMin<qint64>(left, chunk.size()));
        }
        return path;
    }
    static QString sha256(const QString &path)
    {
        QFile f(path);
        f.open(QIODevice::ReadOnly);
        QCryptographicHash h(QCryptographicHash::Sha256);
        h.addData(&f);
        return QString::fromLatin1(h.result().toHex());
    }

private Q_SLOTS:
    void initTestCase()
    {
        const QString node = QStandardPaths::findExecutable(QStringLiteral("node"));
        if (node.isEmpty())
            QSKIP("node is not installed (the S3 test server runs on Node.js)");
        m_server.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        m_server.start(node, {QStringLiteral(BW_SOURCE_DIR "/tests/support/s3server.js"), QStringLiteral("--port"),
                              QStringLiteral("0"), QStringLiteral("--access-key"), QStringLiteral("test-access"),
                              QStringLiteral("--secret"), QStringLiteral("test-secret"), QStringLiteral("--bucket"),
                              QStringLiteral("backups"), QStringLiteral("--corrupt-suffix"), QStringLiteral(".bad")});
        QVERIFY(m_server.waitForStarted(10000));
        QTRY_VERIFY_WITH_TIMEOUT(m_server.canReadLine(), 15000);
        const QByteArray line = m_server.readLine().trimmed();
        QVERIFY2(line.startsWith("listening "), line.constData());
        m_port = quint16(line.mid(10).toUInt());
    }
    void cleanupTestCase()
    {
        if (m_server.state() != QProcess::NotRunning) {
            m_server.terminate();
            m_server.waitForFinished(5000);
        }
    }

    void singlePutIsVerified()
    {
        const QString file = makeFile(QStringLiteral("small.dump"), 300 * 1024);
        S3Client s3(config());
        auto url = s3.upload(file, QStringLiteral("betterworld/small.dump"), sha256(file));
        QVERIFY2(url.ok(), qPrintable(url.ok() ? QString() : url.error().message));
        QCOMPARE(*url, QStringLiteral("s3://backups/betterworld/small.dump"));
        auto h = s3.head(QStringLiteral("betterworld/small.dump"));
        QVERIFY(h.ok());
        QCOMPARE(h->size, 300 * 1024);
        QCOMPARE(h->etag, S3Client::expectedEtag(file, config().partSize));
        QVERIFY(!h->etag.contains('-'));
        QCOMPARE(h->metadata.value("sha256"), sha256(file).toLatin1());
        const QString back = m_tmp.filePath(QStringLiteral("back.dump"));
        Status got = s3.download(QStringLiteral("betterworld/small.dump"), back);
        QVERIFY2(got.ok(), qPrintable(got.ok() ? QString() : got.error().message));
        QCOMPARE(sha256(back), sha256(file));
        QVERIFY(s3.remove(QStringLiteral("betterworld/small.dump")).ok());
        QCOMPARE(s3.head(QStringLiteral("betterworld/small.dump")).error().kind, ErrorKind::NotFound);
    }

    void largeFilesGoMultipart()
    {
        const QString file = makeFile(QStringLiteral("large dump ü.dump"), 12 * 1024 * 1024 + 123);
        S3Client s3(config());
        double last = 0;
        auto op = Operation::create(QStringLiteral("offsite"), {}, [&](const Progress &p) { last = qMax(last, p.fraction); });
        op->beginStep(QStringLiteral("upload"));
        auto url = s3.upload(file, QStringLiteral("betterworld/large dump ü.dump"), sha256(file), op);
        QVERIFY2(url.ok(), qPrintable(url.ok() ? QString() : url.error().message));
        auto h = s3.head(QStringLiteral("betterworld/large dump ü.dump"));
        QVERIFY(h.ok());
        QVERIFY2(h->etag.endsWith("-3"), h->etag.constData()); // 5 MiB + 5 MiB + the rest
        QCOMPARE(h->size, 12 * 1024 * 1024 + 123);
        QVERIFY(last > 0.99);
    }

    void wrongSecretIsRejectedByTheServer()
    {
        const QString file = makeFile(QStringLiteral("x.dump"), 1000);
        S3Client s3(config("not-the-secret"));
        auto url = s3.upload(file, QStringLiteral("x.dump"), sha256(file));
        QVERIFY(!url.ok());
        QVERIFY2(url.error().message.contains(QStringLiteral("SignatureDoesNotMatch")), qPrintable(url.error().message));
    }

    void storageThatLosesBytesFailsVerification_data()
    {
        QTest::addColumn<qint64>("size");
        QTest::newRow("single PUT") << qint64(4096);
        QTest::newRow("multipart") << qint64(11 * 1024 * 1024);
    }
    void storageThatLosesBytesFailsVerification()
    {
        QFETCH(qint64, size);
        const QString file = makeFile(QStringLiteral("c%1.dump").arg(size), size);
        S3Client s3(config());
        auto url = s3.upload(file, QStringLiteral("broken-%1.bad").arg(size), sha256(file));
        QVERIFY(!url.ok());
        QVERIFY2(url.error().message.contains(QStringLiteral("bytes")), qPrintable(url.error().message));
    }

    void listFollowsContinuationTokens()
    {
        S3Client s3(config());
        const QStringList keys{QStringLiteral("listing/a.dump"), QStringLiteral("listing/b & <c>.dump"),
                               QStringLiteral("listing/c.dump"), QStringLiteral("listing/sub/d.dump"),
                               QStringLiteral("listing/é.dump")};
        for (const QString &k : keys) {
            const QString file = makeFile(QStringLiteral("l.dump"), 1000 + k.size());
            QVERIFY(s3.upload(file, k, sha256(file)).ok());
        }
        QVERIFY(s3.upload(makeFile(QStringLiteral("o.dump"), 10), QStringLiteral("other/x.dump"),
                          sha256(m_tmp.filePath(QStringLiteral("o.dump"))))
                    .ok());
        auto listed = s3.list(QStringLiteral("listing/"), {}, 2); // three pages
        QVERIFY2(listed.ok(), qPrintable(listed.ok() ? QString() : listed.error().message));
        QStringList got;
        for (const S3ListEntry &e : *listed) {
            got << e.key;
            QCOMPARE(e.size, 1000 + e.key.size());
            QVERIFY(e.lastModified.isValid());
            QCOMPARE(e.etag.size(), 32);
        }
        QCOMPARE(got, keys); // XML entities decoded, UTF-8 intact, nothing outside the prefix
        auto none = s3.list(QStringLiteral("nothing-here/"));
        QVERIFY(none.ok() && none->isEmpty());
    }

    void listingXmlIsParsedNotScraped()
    {
        const QByteArray xml =
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>b</Name><IsTruncated>true</IsTruncated>\n"
            "<Contents><Key>p/&lt;Key&gt;x.dump</Key><LastModified>2025-01-02T03:04:05.678Z</LastModified>"
            "<ETag>&quot;abc&quot;</ETag><Size>42</Size><Owner><ID>1</ID></Owner></Contents>\n"
            "<NextContinuationToken>tok/+=</NextContinuationToken></ListBucketResult>";
        auto page = S3Client::parseListObjectsV2(xml);
        QVERIFY(page.ok());
        QCOMPARE(page->entries.size(), 1);
        QCOMPARE(page->entries.at(0).key, QStringLiteral("p/<Key>x.dump"));
        QCOMPARE(page->entries.at(0).size, 42);
        QCOMPARE(page->entries.at(0).etag, QByteArray("abc"));
        QCOMPARE(page->entries.at(0).lastModified, QDateTime(QDate(2025, 1, 2), QTime(3, 4, 5, 678), Qt::UTC));
        QVERIFY(page->truncated);
        QCOMPARE(page->nextToken, QStringLiteral("tok/+="));
        QVERIFY(!S3Client::parseListObjectsV2("<Error><Code>AccessDenied</Code></Error>").ok());
        QVERIFY(!S3Client::parseListObjectsV2("<ListBucketResult><Contents><Key>x").ok());
    }

    void downloadStreamsWithProgressAndCancel()
    {
        const QString file = makeFile(QStringLiteral("big.dump"), 24 * 1024 * 1024);
        S3Client s3(config());
        QVERIFY(s3.upload(file, QStringLiteral("big.dump"), sha256(file)).ok());
        double last = 0;
        auto op = Operation::create(QStringLiteral("download"), {}, [&](const Progress &p) { last = qMax(last, p.fraction); });
        op->beginStep(QStringLiteral("download"));
        const QString back = m_tmp.filePath(QStringLiteral("big.back"));
        QElapsedTimer t;
        t.start();
        Status got = s3.download(QStringLiteral("big.dump"), back, op);
        QVERIFY2(got.ok(), qPrintable(got.ok() ? QString() : got.error().message));
        qInfo("download of 24 MiB from the local S3 server: %lld ms", t.elapsed());
        QCOMPARE(sha256(back), sha256(file));
        QVERIFY(last > 0.5);

        auto cancelled = Operation::create(QStringLiteral("download"));
        cancelled->cancel();
        const QString gone = m_tmp.filePath(QStringLiteral("big.cancelled"));
        Status s = s3.download(QStringLiteral("big.dump"), gone, cancelled);
        QVERIFY(!s.ok());
        QVERIFY(Operation::isCancelled(s.error()));
        QVERIFY(!QFile::exists(gone));
        QCOMPARE(s3.download(QStringLiteral("missing.dump"), gone).error().kind, ErrorKind::NotFound);
    }

    void credentialsComeFromTheSecretStore()
    {
        OpsConfig o;
        o.s3Endpoint = QStringLiteral("http://127.0.0.1:%1").arg(m_port);
        o.s3Bucket = QStringLiteral("backups");
        o.s3AccessKeyId = QStringLiteral("test-access");
        MemorySecretStore secrets;
        auto missing = s3ConfigFrom(o, secrets);
        QVERIFY(missing.ok());
        QVERIFY(!missing->isComplete());
        QVERIFY(secrets.write(QString::fromLatin1(kS3SecretName), "test-secret").ok());
        auto c = s3ConfigFrom(o, secrets);
        QVERIFY(c.ok() && c->isComplete());
        QCOMPARE(c->secretAccessKey, QByteArray("test-secret"));
    }

    void backupIsCopiedOffsiteAndCatalogued()
    {
        test::PgFixture pg;
        QVERIFY2(pg.start(), qPrintable(pg.lastError()));
        const QString db = pg.createMigratedDatabase();
        db::Database catalogue(pg.settings(db));
        {
            BackupService backups(catalogue, test::testOpsConfig(), m_tmp.filePath(QStringLiteral("backups")), QString());
            auto b = backups.create(BackupKind::Daily);
            QVERIFY(b.ok());
            S3Client s3(config());
            auto url = backups.copyOffsite(b->id, s3, QStringLiteral("betterworld/"));
            QVERIFY2(url.ok(), qPrintable(url.ok() ? QString() : url.error().message));
            auto stored = backups.get(b->id);
            QCOMPARE(stored->remoteUrl, *url);
            QVERIFY(stored->remoteVerifiedAt.isValid());
            auto h = s3.head(QStringLiteral("betterworld/") + QFileInfo(b->path).fileName());
            QVERIFY(h.ok());
            QCOMPARE(h->metadata.value("sha256"), b->sha256.toLatin1());
        }
        catalogue.releaseThisThread();
    }
};

QTEST_GUILESS_MAIN(TestS3Client)
#include "tst_s3client.moc"
