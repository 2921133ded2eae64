#pragma once
// AWS Signature Version 4 for S3-compatible storage (AWS S3, Cloudflare R2, MinIO): canonical
// request, string to sign, signing key, Authorization header. Pure functions, any thread.

#include <QByteArray>
#include <QDateTime>
#include <QList>
#include <QPair>
#include <QString>

namespace bw::ops::sigv4 {

struct Request {
    QByteArray method;                            // GET, PUT, POST, HEAD, DELETE
    QString path;                                 // decoded path, e.g. "/bucket/backups/a b.dump"
    QList<QPair<QString, QString>> query;         // decoded; "uploads" → {"uploads", ""}
    QList<QPair<QByteArray, QByteArray>> headers; // must include host, x-amz-date, x-amz-content-sha256
    QByteArray payloadSha256Hex;                  // or "UNSIGNED-PAYLOAD"
};

struct Credentials {
    QString accessKeyId;
    QByteArray secretAccessKey;
    QString region; // "us-east-1", "auto" for R2
    QString service = QStringLiteral("s3");
};

QByteArray uriEncode(const QString &text, bool keepSlash); // RFC 3986 unreserved kept
QByteArray canonicalUri(const QString &path);
QByteArray canonicalQuery(const QList<QPair<QString, QString>> &query);
QByteArray canonicalRequest(const Request &request, QByteArray *signedHeaders);
QByteArray stringToSign(const QByteArray &canonicalRequest, const QDateTime &time, const Credentials &c);
QByteArray signingKey(const Credentials &c, const QDateTime &time);
QByteArray signature(const Request &request, const Credentials &c, const QDateTime &time); // hex
QByteArray authorization(const Request &request, const Credentials &c, const QDateTime &time);
QByteArray amzDate(const QDateTime &time); // 20130524T000000Z

} // namespace bw::ops::sigv4
