// SigV4 against AWS's published example (S3 API reference, "GET Object" with a Range header).
#include "server/ops/sigv4.h"

#include <QCryptographicHash>
#include <QTest>

using namespace bw::ops;

class TestSigV4 : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void awsGetObjectExample()
    {
        const QDateTime t = QDateTime::fromString(QStringLiteral("2013-05-24T00:00:00Z"), Qt::ISODate);
        const QByteArray empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        sigv4::Request r{"GET",
                         QStringLiteral("/test.txt"),
                         {},
                         {{"Host", "examplebucket.s3.amazonaws.com"},
                          {"Range", "bytes=0-9"},
                          {"x-amz-content-sha256", empty},
                          {"x-amz-date", "20130524T000000Z"}},
                         empty};
        const sigv4::Credentials c{QStringLiteral("AKIAIOSFODNN7EXAMPLE"), "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                                   QStringLiteral("us-east-1")};
        QByteArray signedHeaders;
        const QByteArray canonical = sigv4::canonicalRequest(r, &signedHeaders);
        QCOMPARE(canonical, QByteArray("GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
                                       "x-amz-content-sha256:"
                                       + empty
                                       + "\nx-amz-date:20130524T000000Z\n\n"
                                         "host;range;x-amz-content-sha256;x-amz-date\n"
                                       + empty));
        QCOMPARE(sigv4::stringToSign(canonical, t, c),
                 QByteArray("AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
                            "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972"));
        QCOMPARE(sigv4::signature(r, c, t), QByteArray("f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"));
        QCOMPARE(sigv4::authorization(r, c, t),
                 QByteArray("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
                            "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
                            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"));
    }

    void encoding()
    {
        QCOMPARE(sigv4::canonicalUri(QStringLiteral("/bucket/a b/ü+~.dump")), QByteArray("/bucket/a%20b/%C3%BC%2B~.dump"));
        QCOMPARE(sigv4::canonicalQuery(
                     {{QStringLiteral("uploadId"), QStringLiteral("x/y")}, {QStringLiteral("partNumber"), QStringLiteral("2")}}),
                 QByteArray("partNumber=2&uploadId=x%2Fy"));
        QCOMPARE(sigv4::canonicalQuery({{QStringLiteral("uploads"), QString()}}), QByteArray("uploads="));
    }
};

QTEST_GUILESS_MAIN(TestSigV4)
#include "tst_sigv4.moc"
