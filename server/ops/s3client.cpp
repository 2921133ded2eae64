#include <utility> // must precede Asio with g++ 12 in C++20 (platform.md)

#include "server/ops/s3client.h"

#include "server/core/secretstore.h"
#include "server/ops/deploymentservice.h"
#include "server/ops/sigv4.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QFile>
#include <QFileInfo>
#include <QUrl>
#include <QXmlStreamReader>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <chrono>
#include <cstdint>
#include <limits>

namespace bw::ops {

namespace {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

const QByteArray kEmptySha = QByteArrayLiteral("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

QString xmlText(const QByteArray &xml, const QString &element)
{
    QXmlStreamReader r(xml);
    while (!r.atEnd()) {
        if (r.readNext() == QXmlStreamReader::StartElement && r.name() == element)
            return r.readElementText();
    }
    return {};
}

QString s3Error(const S3Client::Reply &reply)
{
    const QString code = xmlText(reply.body, QStringLiteral("Code"));
    const QString message = xmlText(reply.body, QStringLiteral("Message"));
    return QStringLiteral("HTTP %1%2%3")
        .arg(reply.status)
        .arg(code.isEmpty() ? QString() : u' ' + code, message.isEmpty() ? QString() : QStringLiteral(": ") + message);
}

QByteArray unquote(QByteArray etag)
{
    etag = etag.trimmed();
    if (etag.startsWith('"') && etag.endsWith('"'))
        etag = etag.mid(1, etag.size() - 2);
    return etag;
}

// One request on a fresh connection; the response body goes to `downloadTo` when set, streamed to
// disk chunk by chunk (never whole in memory) with the deadline renewed per chunk, so a large
// download is bounded by stalls rather than by its total time, and `op` can cancel it between chunks.
template <typename Stream>
Result<S3Client::Reply> exchange(Stream &stream, http::request<http::string_body> &req, const QString &downloadTo,
                                 std::chrono::milliseconds timeout = std::chrono::milliseconds(0), const OperationPtr &op = {})
{
    http::write(stream, req);
    beast::flat_buffer buffer;
    S3Client::Reply reply;
    const auto copyHeaders = [&reply](const auto &res) {
        reply.status = int(res.result_int());
        for (const auto &f : res)
            reply.headers.insert(QByteArray(f.name_string().data(), int(f.name_string().size())).toLower(),
                                 QByteArray(f.value().data(), int(f.value().size())));
    };
    if (!downloadTo.isEmpty()) {
        http::response_parser<http::file_body> parser;
        // Not boost::none: Boost 1.74 compares Content-Length with the empty optional and reports
        // body_limit for every sized response (basic_parser.ipp, finish_header).
        parser.body_limit(std::numeric_limits<std::uint64_t>::max());
        beast::error_code ec;
        parser.get().body().open(QFile::encodeName(downloadTo).constData(), beast::file_mode::write, ec);
        if (ec)
            return ApiError::internal(
                QStringLiteral("cannot write %1: %2").arg(downloadTo, QString::fromStdString(ec.message())));
        http::read_header(stream, buffer, parser);
        copyHeaders(parser.get());
        const double total = parser.content_length() ? double(*parser.content_length()) : 0.0;
        while (!parser.is_done()) {
            if (op && op->cancelRequested() && !op->checkpoint())
                return Operation::cancelledError();
            if (timeout.count() > 0)
                beast::get_lowest_layer(stream).expires_after(timeout);
            http::read_some(stream, buffer, parser);
            if (op && total > 0 && reply.status == 200) {
                const auto written = parser.get().body().file().pos(ec);
                if (!ec)
                    op->setFraction(double(written) / total);
            }
        }
        return reply;
    }
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    if (req.method() == http::verb::head)
        parser.skip(true);
    http::read(stream, buffer, parser);
    copyHeaders(parser.get());
    reply.body = QByteArray::fromStdString(parser.get().body());
    return reply;
}

} // namespace

Result<S3Config> s3ConfigFrom(const OpsConfig &config, SecretStore &secrets)
{
    S3Config c;
    c.endpoint = config.s3Endpoint;
    c.bucket = config.s3Bucket;
    c.region = config.s3Region.isEmpty() ? QStringLiteral("us-east-1") : config.s3Region;
    c.accessKeyId = config.s3AccessKeyId;
    c.partSize = qint64(config.s3PartSizeMb) * 1024 * 1024;
    if (c.endpoint.isEmpty())
        return c;
    auto secret = secrets.read(QString::fromLatin1(kS3SecretName));
    if (!secret)
        return ApiError::internal(
            QStringLiteral("cannot read the S3 secret key from %1: %2").arg(secrets.description(), secret.error().message));
    if (secret->has_value())
        c.secretAccessKey = **secret;
    return c;
}

S3Client::S3Client(S3Config config) : m_config(std::move(config))
{
    while (m_config.endpoint.endsWith(u'/'))
        m_config.endpoint.chop(1);
}

Result<S3Client::Reply> S3Client::request(const QByteArray &method, const QString &key,
                                          const QList<QPair<QString, QString>> &query, const QByteArray &body,
                                          const QList<QPair<QByteArray, QByteArray>> &extraHeaders, const QString &downloadTo,
                                          const OperationPtr &op)
{
    const QUrl url(m_config.endpoint);
    if (!url.isValid() || (url.scheme() != u"http" && url.scheme() != u"https") || url.host().isEmpty())
        return ApiError::badRequest(QStringLiteral("invalid S3 endpoint %1").arg(m_config.endpoint));
    const bool tls = url.scheme() == u"https";
    const int port = url.port(tls ? 443 : 80);
    const QByteArray hostHeader =
        (url.host() + ((tls && port == 443) || (!tls && port == 80) ? QString() : QStringLiteral(":%1").arg(port))).toUtf8();
    // Path-style (works on S3, R2 and MinIO); no key: the bucket itself (ListObjectsV2).
    const QString path =
        key.isEmpty() ? QStringLiteral("/%1").arg(m_config.bucket) : QStringLiteral("/%1/%2").arg(m_config.bucket, key);
    const QDateTime now = QDateTime::currentDateTimeUtc();
    const QByteArray payloadHash =
        body.isEmpty() ? kEmptySha : QCryptographicHash::hash(body, QCryptographicHash::Sha256).toHex();

    sigv4::Request sr{method,
                      path,
                      query,
                      {{"host", hostHeader}, {"x-amz-date", sigv4::amzDate(now)}, {"x-amz-content-sha256", payloadHash}},
                      payloadHash};
    for (const auto &h : extraHeaders)
        sr.headers << h;
    const sigv4::Credentials creds{m_config.accessKeyId, m_config.secretAccessKey, m_config.region};
    const QByteArray auth = sigv4::authorization(sr, creds, now);

    QByteArray target = sigv4::canonicalUri(path);
    const QByteArray q = sigv4::canonicalQuery(query);
    if (!q.isEmpty())
        target += '?' + q;
    http::request<http::string_body> req{http::string_to_verb(method.toStdString()), target.toStdString(), 11};
    for (const auto &[name, value] : std::as_const(sr.headers))
        req.set(name.toStdString(), value.toStdString());
    req.set(http::field::authorization, auth.toStdString());
    req.set(http::field::user_agent, "betterworld-ops");
    req.set(http::field::connection, "close");
    req.body() = body.toStdString();
    req.prepare_payload();

    try {
        asio::io_context ioc;
        tcp::resolver resolver(ioc);
        const auto endpoints = resolver.resolve(url.host().toStdString(), std::to_string(port));
        const auto timeout = std::chrono::milliseconds(m_config.timeoutMs);
        if (!tls) {
            beast::tcp_stream stream(ioc);
            stream.expires_after(timeout);
            stream.connect(endpoints);
            stream.expires_after(timeout);
            auto r = exchange(stream, req, downloadTo, timeout, op);
            beast::error_code ec;
            stream.socket().shutdown(tcp::socket::shutdown_both, ec);
            return r;
        }
        asio::ssl::context ctx(asio::ssl::context::tls_client);
        ctx.set_default_verify_paths();
        ctx.set_verify_mode(asio::ssl::verify_peer);
        beast::ssl_stream<beast::tcp_stream> stream(ioc, ctx);
        const std::string host = url.host().toStdString();
        if (!SSL_set_tlsext_host_name(stream.native_handle(), host.c_str()))
            return ApiError::internal(QStringLiteral("TLS: cannot set SNI for %1").arg(url.host()));
        stream.set_verify_callback(asio::ssl::host_name_verification(host));
        beast::get_lowest_layer(stream).expires_after(timeout);
        beast::get_lowest_layer(stream).connect(endpoints);
        stream.handshake(asio::ssl::stream_base::client);
        beast::get_lowest_layer(stream).expires_after(timeout);
        auto r = exchange(stream, req, downloadTo, timeout, op);
        beast::error_code ec;
        stream.shutdown(ec);
        return r;
    } catch (const std::exception &e) {
        return ApiError::unavailable(
            QStringLiteral("S3 %1 %2: %3").arg(QString::fromLatin1(method), url.host(), QString::fromLocal8Bit(e.what())));
    }
}

QByteArray S3Client::expectedEtag(const QString &file, qint64 partSize)
{
    QFile f(file);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    if (f.size() <= partSize) {
        QCryptographicHash md5(QCryptographicHash::Md5);
        md5.addData(&f);
        return md5.result().toHex();
    }
    QByteArray digests;
    int parts = 0;
    while (!f.atEnd()) {
        digests += QCryptographicHash::hash(f.read(partSize), QCryptographicHash::Md5);
        ++parts;
    }
    return QCryptographicHash::hash(digests, QCryptographicHash::Md5).toHex() + '-' + QByteArray::number(parts);
}

Result<QString> S3Client::upload(const QString &file, const QString &key, const QString &sha256Hex, const OperationPtr &op)
{
    if (!m_config.isComplete())
        return ApiError::badRequest(
            QStringLiteral("S3 is not configured (s3/endpoint, s3/bucket, s3/access_key_id and the secret "
                           "s3-secret-access-key)"));
    QFile f(file);
    if (!f.open(QIODevice::ReadOnly))
        return ApiError::internal(QStringLiteral("cannot read %1").arg(file));
    const qint64 size = f.size();
    const QList<QPair<QByteArray, QByteArray>> meta{{"x-amz-meta-sha256", sha256Hex.toLatin1()}};
    if (size <= m_config.partSize) {
        auto r = request("PUT", key, {}, f.readAll(), meta);
        if (!r)
            return r.error();
        if (r->status != 200)
            return ApiError::unavailable(QStringLiteral("upload of %1 failed: %2").arg(key, s3Error(*r)));
    } else {
        auto init = request("POST", key, {{QStringLiteral("uploads"), QString()}}, {}, meta);
        if (!init)
            return init.error();
        const QString uploadId = xmlText(init->body, QStringLiteral("UploadId"));
        if (init->status != 200 || uploadId.isEmpty())
            return ApiError::unavailable(
                QStringLiteral("starting the multipart upload of %1 failed: %2").arg(key, s3Error(*init)));
        const auto abort = [&] { (void)request("DELETE", key, {{QStringLiteral("uploadId"), uploadId}}, {}); };
        QString complete = QStringLiteral("<CompleteMultipartUpload>");
        int part = 0;
        while (!f.atEnd()) {
            if (op && !op->checkpoint()) {
                abort();
                return Operation::cancelledError();
            }
            const QByteArray chunk = f.read(m_config.partSize);
            ++part;
            auto r =
                request("PUT", key,
                        {{QStringLiteral("partNumber"), QString::number(part)}, {QStringLiteral("uploadId"), uploadId}}, chunk);
            if (!r || r->status != 200) {
                abort();
                return r ? ApiError::unavailable(QStringLiteral("part %1 of %2 failed: %3").arg(part).arg(key, s3Error(*r)))
                         : r.error();
            }
            complete += QStringLiteral("<Part><PartNumber>%1</PartNumber><ETag>\"%2\"</ETag></Part>")
                            .arg(part)
                            .arg(QString::fromLatin1(unquote(r->headers.value("etag"))));
            if (op)
                op->setFraction(double(f.pos()) / double(size));
        }
        complete += QStringLiteral("</CompleteMultipartUpload>");
        auto done = request("POST", key, {{QStringLiteral("uploadId"), uploadId}}, complete.toUtf8());
        // S3 may answer 200 with an <Error> body when completing fails.
        if (!done || done->status != 200 || done->body.contains("<Error>")) {
            abort();
            return done ? ApiError::unavailable(QStringLiteral("completing the upload of %1 failed: %2").arg(key, s3Error(*done)))
                        : done.error();
        }
    }
    // Verify what the storage now holds.
    auto h = head(key);
    if (!h)
        return h.error();
    const QByteArray expected = expectedEtag(file, m_config.partSize);
    if (h->size != size)
        return ApiError::internal(QStringLiteral("uploaded %1 has %2 bytes, the file %3").arg(key).arg(h->size).arg(size));
    if (h->etag != expected)
        return ApiError::internal(QStringLiteral("uploaded %1 has ETag %2, expected %3")
                                      .arg(key, QString::fromLatin1(h->etag), QString::fromLatin1(expected)));
    if (h->metadata.value("sha256") != sha256Hex.toLatin1())
        return ApiError::internal(QStringLiteral("uploaded %1 lacks the expected sha256 metadata").arg(key));
    return QStringLiteral("s3://%1/%2").arg(m_config.bucket, key);
}

Result<S3Object> S3Client::head(const QString &key)
{
    auto r = request("HEAD", key, {}, {});
    if (!r)
        return r.error();
    if (r->status == 404)
        return ApiError::notFound(QStringLiteral("%1 is not in bucket %2").arg(key, m_config.bucket));
    if (r->status != 200)
        return ApiError::unavailable(QStringLiteral("HEAD %1: HTTP %2").arg(key).arg(r->status));
    S3Object o;
    o.size = r->headers.value("content-length").toLongLong();
    o.etag = unquote(r->headers.value("etag"));
    for (auto it = r->headers.cbegin(); it != r->headers.cend(); ++it) {
        if (it.key().startsWith("x-amz-meta-"))
            o.metadata.insert(it.key().mid(11), it.value());
    }
    return o;
}

Status S3Client::download(const QString &key, const QString &file, const OperationPtr &op)
{
    auto r = request("GET", key, {}, {}, {}, file, op);
    if (!r) {
        QFile::remove(file);
        return r.error();
    }
    if (r->status != 200) {
        QFile::remove(file);
        return r->status == 404 ? Status(ApiError::notFound(QStringLiteral("%1 is not in bucket %2").arg(key, m_config.bucket)))
                                : Status(ApiError::unavailable(QStringLiteral("GET %1: HTTP %2").arg(key).arg(r->status)));
    }
    const qint64 expected = r->headers.value("content-length", "-1").toLongLong();
    if (expected >= 0 && QFileInfo(file).size() != expected) {
        QFile::remove(file);
        return ApiError::unavailable(
            QStringLiteral("GET %1: got %2 of %3 bytes").arg(key).arg(QFileInfo(file).size()).arg(expected));
    }
    return success();
}

Result<QList<S3ListEntry>> S3Client::list(const QString &prefix, const OperationPtr &op, int pageSize)
{
    if (!m_config.isComplete())
        return ApiError::badRequest(
            QStringLiteral("S3 is not configured (s3/endpoint, s3/bucket, s3/access_key_id and the secret "
                           "s3-secret-access-key)"));
    QList<S3ListEntry> all;
    QString token;
    do {
        if (op && op->cancelRequested() && !op->checkpoint())
            return Operation::cancelledError();
        QList<QPair<QString, QString>> query{{QStringLiteral("list-type"), QStringLiteral("2")},
                                             {QStringLiteral("max-keys"), QString::number(pageSize)},
                                             {QStringLiteral("prefix"), prefix}};
        if (!token.isEmpty())
            query.append({QStringLiteral("continuation-token"), token});
        auto r = request("GET", QString(), query, {});
        if (!r)
            return r.error();
        if (r->status != 200)
            return ApiError::unavailable(
                QStringLiteral("listing %1 in bucket %2 failed: %3").arg(prefix, m_config.bucket, s3Error(*r)));
        auto page = parseListObjectsV2(r->body);
        if (!page)
            return page.error();
        all += page->entries;
        token = page->truncated ? page->nextToken : QString();
        if (page->truncated && token.isEmpty())
            return ApiError::unavailable(
                QStringLiteral("listing bucket %1: truncated without a continuation token").arg(m_config.bucket));
    } while (!token.isEmpty());
    return all;
}

Result<S3Client::ListPage> S3Client::parseListObjectsV2(const QByteArray &xml)
{
    ListPage page;
    QXmlStreamReader r(xml);
    if (!r.readNextStartElement() || r.name() != u"ListBucketResult")
        return ApiError::unavailable(QStringLiteral("ListObjectsV2: the answer is not a ListBucketResult"));
    while (r.readNextStartElement()) {
        if (r.name() == u"Contents") {
            S3ListEntry e;
            while (r.readNextStartElement()) {
                if (r.name() == u"Key")
                    e.key = r.readElementText();
                else if (r.name() == u"Size")
                    e.size = r.readElementText().toLongLong();
                else if (r.name() == u"LastModified")
                    e.lastModified = QDateTime::fromString(r.readElementText(), Qt::ISODateWithMs);
                else if (r.name() == u"ETag")
                    e.etag = unquote(r.readElementText().toLatin1());
                else
                    r.skipCurrentElement();
            }
            if (!e.key.isEmpty())
                page.entries << e;
        } else if (r.name() == u"IsTruncated") {
            page.truncated = r.readElementText().trimmed() == u"true";
        } else if (r.name() == u"NextContinuationToken") {
            page.nextToken = r.readElementText();
        } else {
            r.skipCurrentElement();
        }
    }
    if (r.hasError())
        return ApiError::unavailable(QStringLiteral("ListObjectsV2: malformed XML: %1").arg(r.errorString()));
    return page;
}

Status S3Client::remove(const QString &key)
{
    auto r = request("DELETE", key, {}, {});
    if (!r)
        return r.error();
    if (r->status != 204 && r->status != 200)
        return ApiError::unavailable(QStringLiteral("DELETE %1: %2").arg(key, s3Error(*r)));
    return success();
}

Result<int> httpStatus(const QString &urlText, int timeoutMs)
{
    const QUrl url(urlText);
    if (!url.isValid() || (url.scheme() != u"http" && url.scheme() != u"https") || url.host().isEmpty())
        return ApiError::badRequest(QStringLiteral("invalid URL %1").arg(urlText));
    const bool tls = url.scheme() == u"https";
    const int port = url.port(tls ? 443 : 80);
    QByteArray target = url.path(QUrl::FullyEncoded).toUtf8();
    if (target.isEmpty())
        target = "/";
    if (url.hasQuery())
        target += '?' + url.query(QUrl::FullyEncoded).toUtf8();
    http::request<http::string_body> req{http::verb::get, target.toStdString(), 11};
    req.set(http::field::host, QString(url.host() + QStringLiteral(":%1").arg(port)).toStdString());
    req.set(http::field::user_agent, "betterworld-deploy");
    req.set(http::field::connection, "close");
    try {
        asio::io_context ioc;
        tcp::resolver resolver(ioc);
        const auto endpoints = resolver.resolve(url.host().toStdString(), std::to_string(port));
        const auto timeout = std::chrono::milliseconds(timeoutMs);
        if (!tls) {
            beast::tcp_stream stream(ioc);
            stream.expires_after(timeout);
            stream.connect(endpoints);
            auto r = exchange(stream, req, {});
            if (!r)
                return r.error();
            return r->status;
        }
        asio::ssl::context ctx(asio::ssl::context::tls_client);
        ctx.set_default_verify_paths();
        ctx.set_verify_mode(asio::ssl::verify_peer);
        beast::ssl_stream<beast::tcp_stream> stream(ioc, ctx);
        const std::string host = url.host().toStdString();
        SSL_set_tlsext_host_name(stream.native_handle(), host.c_str());
        stream.set_verify_callback(asio::ssl::host_name_verification(host));
        beast::get_lowest_layer(stream).expires_after(timeout);
        beast::get_lowest_layer(stream).connect(endpoints);
        stream.handshake(asio::ssl::stream_base::client);
        auto r = exchange(stream, req, {});
        if (!r)
            return r.error();
        return r->status;
    } catch (const std::exception &e) {
        return ApiError::unavailable(QStringLiteral("%1: %2").arg(urlText, QString::fromLocal8Bit(e.what())));
    }
}

} // namespace bw::ops
