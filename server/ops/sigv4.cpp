#include "server/ops/sigv4.h"

#include <QCryptographicHash>
#include <QMessageAuthenticationCode>

#include <algorithm>

namespace bw::ops::sigv4 {

namespace {
QByteArray hmac(const QByteArray &key, const QByteArray &data)
{
    return QMessageAuthenticationCode::hash(data, key, QCryptographicHash::Sha256);
}
QByteArray dateStamp(const QDateTime &t)
{
    return t.toUTC().toString(QStringLiteral("yyyyMMdd")).toLatin1();
}
QByteArray scope(const QDateTime &t, const Credentials &c)
{
    return dateStamp(t) + '/' + c.region.toUtf8() + '/' + c.service.toUtf8() + "/aws4_request";
}
} // namespace

QByteArray uriEncode(const QString &text, bool keepSlash)
{
    const QByteArray utf8 = text.toUtf8();
    QByteArray out;
    for (const char ch : utf8) {
        const auto c = static_cast<unsigned char>(ch);
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'
            || c == '~' || (keepSlash && c == '/'))
            out += char(c);
        else
            out += '%' + QByteArray::number(c, 16).toUpper().rightJustified(2, '0');
    }
    return out;
}

QByteArray amzDate(const QDateTime &time)
{
    return time.toUTC().toString(QStringLiteral("yyyyMMdd'T'HHmmss'Z'")).toLatin1();
}

QByteArray canonicalUri(const QString &path)
{
    return path.isEmpty() ? QByteArray("/") : uriEncode(path, true);
}

QByteArray canonicalQuery(const QList<QPair<QString, QString>> &query)
{
    QList<QPair<QByteArray, QByteArray>> enc;
    for (const auto &[k, v] : query)
        enc << qMakePair(uriEncode(k, false), uriEncode(v, false));
    std::sort(enc.begin(), enc.end());
    QByteArrayList parts;
    for (const auto &[k, v] : std::as_const(enc))
        parts << k + '=' + v;
    return parts.join('&');
}

QByteArray canonicalRequest(const Request &r, QByteArray *signedHeaders)
{
    QList<QPair<QByteArray, QByteArray>> h;
    for (const auto &[name, value] : r.headers)
        h << qMakePair(name.toLower().trimmed(), value.simplified());
    std::sort(h.begin(), h.end(), [](const auto &a, const auto &b) { return a.first < b.first; });
    QByteArray headers;
    QByteArrayList names;
    for (const auto &[name, value] : std::as_const(h)) {
        headers += name + ':' + value + '\n';
        names << name;
    }
    const QByteArray signedList = names.join(';');
    if (signedHeaders)
        *signedHeaders = signedList;
    return r.method + '\n' + canonicalUri(r.path) + '\n' + canonicalQuery(r.query) + '\n' + headers + '\n' + signedList + '\n'
           + r.payloadSha256Hex;
}

QByteArray stringToSign(const QByteArray &canonical, const QDateTime &time, const Credentials &c)
{
    return "AWS4-HMAC-SHA256\n" + amzDate(time) + '\n' + scope(time, c) + '\n'
           + QCryptographicHash::hash(canonical, QCryptographicHash::Sha256).toHex();
}

QByteArray signingKey(const Credentials &c, const QDateTime &time)
{
    const QByteArray kDate = hmac("AWS4" + c.secretAccessKey, dateStamp(time));
    const QByteArray kRegion = hmac(kDate, c.region.toUtf8());
    const QByteArray kService = hmac(kRegion, c.service.toUtf8());
    return hmac(kService, "aws4_request");
}

QByteArray signature(const Request &r, const Credentials &c, const QDateTime &time)
{
    return hmac(signingKey(c, time), stringToSign(canonicalRequest(r, nullptr), time, c)).toHex();
}

QByteArray authorization(const Request &r, const Credentials &c, const QDateTime &time)
{
    QByteArray signedHeaders;
    const QByteArray canonical = canonicalRequest(r, &signedHeaders);
    const QByteArray sig = hmac(signingKey(c, time), stringToSign(canonical, time, c)).toHex();
    return "AWS4-HMAC-SHA256 Credential=" + c.accessKeyId.toUtf8() + '/' + scope(time, c) + ",SignedHeaders=" + signedHeaders
           + ",Signature=" + sig;
}

} // namespace bw::ops::sigv4
