#pragma once
// Off-site copies on S3-compatible storage (AWS S3, Cloudflare R2, MinIO): SigV4-signed PUT, or a
// multipart upload for files above the part size, then a HEAD that must show the same size,
// the same ETag we computed locally and our SHA-256 in the object metadata. Blocking (one TCP/TLS
// connection per request, explicit timeouts): call from a worker thread.

#include "server/core/config.h"
#include "server/core/result.h"
#include "server/ops/operation.h"

#include <QByteArray>
#include <QDateTime>
#include <QHash>
#include <QString>

namespace bw {
class SecretStore;
}

namespace bw::ops {

struct S3Config {
    QString endpoint; // http(s)://host[:port]
    QString bucket;
    QString region = QStringLiteral("us-east-1");
    QString accessKeyId;
    QByteArray secretAccessKey;
    qint64 partSize = 16 * 1024 * 1024; // multipart above this; S3 needs >= 5 MiB except the last part
    int timeoutMs = 120000;             // per request
    bool isComplete() const
    {
        return !endpoint.isEmpty() && !bucket.isEmpty() && !accessKeyId.isEmpty() && !secretAccessKey.isEmpty();
    }
};

struct S3Object {
    qint64 size = 0;
    QByteArray etag;                        // without quotes
    QHash<QByteArray, QByteArray> metadata; // x-amz-meta-* (lower-case names without the prefix)
};

// One entry of a bucket listing (ListObjectsV2). User metadata is not listed: head() it.
struct S3ListEntry {
    QString key;
    qint64 size = 0;
    QDateTime lastModified;
    QByteArray etag; // without quotes
};

// From the s3/* settings and the secret "s3-secret-access-key" (keychain or secrets file).
// An unconfigured endpoint gives an S3Config whose isComplete() is false.
Result<S3Config> s3ConfigFrom(const OpsConfig &config, SecretStore &secrets);
constexpr auto kS3SecretName = "s3-secret-access-key";

class S3Client final {
public:
    explicit S3Client(S3Config config);

    // Uploads `file` to `key` and verifies it. sha256Hex: the file's checksum (stored as metadata).
    // Returns "s3://bucket/key".
    Result<QString> upload(const QString &file, const QString &key, const QString &sha256Hex, const OperationPtr &op = {});
    Result<S3Object> head(const QString &key);
    // Streams the object to `file` (chunk by chunk, progress and cancel through op); on failure the
    // file is removed. Checks the length only: checksums are the caller's (OffsiteRecovery).
    Status download(const QString &key, const QString &file, const OperationPtr &op = {});
    // Every object under prefix (ListObjectsV2, following continuation tokens), in key order.
    Result<QList<S3ListEntry>> list(const QString &prefix, const OperationPtr &op = {}, int pageSize = 1000);
    Status remove(const QString &key);

    // The ETag S3 computes: md5 hex for one PUT, md5(concat(part md5s))-N for multipart.
    static QByteArray expectedEtag(const QString &file, qint64 partSize);

    struct Reply {
        int status = 0;
        QHash<QByteArray, QByteArray> headers; // lower-case
        QByteArray body;
    };
    struct ListPage {
        QList<S3ListEntry> entries;
        bool truncated = false;
        QString nextToken;
    };
    static Result<ListPage> parseListObjectsV2(const QByteArray &xml);

private:
    Result<Reply> request(const QByteArray &method, const QString &key, const QList<QPair<QString, QString>> &query,
                          const QByteArray &body, const QList<QPair<QByteArray, QByteArray>> &extraHeaders = {},
                          const QString &downloadTo = {}, const OperationPtr &op = {});

    S3Config m_config;
};

} // namespace bw::ops
