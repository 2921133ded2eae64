#include "server/db/connectionsettings.h"

#include <QSet>
#include <QUrl>

namespace bw::db {

namespace {

ApiError urlError(const QString &why)
{
    return ApiError::badRequest(QStringLiteral("Invalid PostgreSQL URL: %1").arg(why));
}

// Strict percent-decoding like libpq: "%zz" and "%00" are errors rather than passed through.
bool percentDecode(QStringView in, QString *out)
{
    QByteArray bytes;
    const QByteArray utf8 = in.toUtf8();
    bytes.reserve(utf8.size());
    for (qsizetype i = 0; i < utf8.size(); ++i) {
        const char c = utf8.at(i);
        if (c != '%') {
            bytes.append(c);
            continue;
        }
        if (i + 2 >= utf8.size())
            return false;
        const auto hex = [](char h) -> int {
            if (h >= '0' && h <= '9')
                return h - '0';
            if (h >= 'a' && h <= 'f')
                return h - 'a' + 10;
            if (h >= 'A' && h <= 'F')
                return h - 'A' + 10;
            return -1;
        };
        const int hi = hex(utf8.at(i + 1));
        const int lo = hex(utf8.at(i + 2));
        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
            return false;
        bytes.append(char(hi * 16 + lo));
        i += 2;
    }
    *out = QString::fromUtf8(bytes);
    return true;
}

QString enc(const QString &s)
{
    return QString::fromLatin1(QUrl::toPercentEncoding(s));
}

const QSet<QString> &sslModes()
{
    static const QSet<QString> modes{QStringLiteral("disable"), QStringLiteral("allow"),     QStringLiteral("prefer"),
                                     QStringLiteral("require"), QStringLiteral("verify-ca"), QStringLiteral("verify-full")};
    return modes;
}

QString buildUrl(const ConnectionSettings &s, bool redact)
{
    QString url = QStringLiteral("postgresql://");
    if (!s.user.isEmpty() || !s.password.isEmpty()) {
        url += enc(s.user);
        if (!s.password.isEmpty())
            url += u':' + (redact ? QStringLiteral("***") : enc(s.password));
        url += u'@';
    }
    QStringList params;
    const bool socketDir = s.host.startsWith(u'/');
    if (socketDir) {
        // A path cannot live in the authority part; libpq takes it as a query parameter.
        params << QStringLiteral("host=") + enc(s.host) << QStringLiteral("port=%1").arg(s.port);
    } else {
        url += s.host.contains(u':') ? u'[' + s.host + u']' : enc(s.host);
        url += QStringLiteral(":%1").arg(s.port);
    }
    url += u'/' + enc(s.database);
    if (!s.sslMode.isEmpty())
        params << QStringLiteral("sslmode=") + enc(s.sslMode);
    if (!s.applicationName.isEmpty() && s.applicationName != ConnectionSettings{}.applicationName)
        params << QStringLiteral("application_name=") + enc(s.applicationName);
    if (!params.isEmpty())
        url += u'?' + params.join(u'&');
    return url;
}

} // namespace

Result<ConnectionSettings> ConnectionSettings::fromUrl(const QString &input)
{
    const QString url = input.trimmed();
    QStringView rest;
    for (const auto scheme : {QLatin1StringView("postgresql://"), QLatin1StringView("postgres://")}) {
        if (url.startsWith(scheme, Qt::CaseInsensitive)) {
            rest = QStringView(url).mid(scheme.size());
            break;
        }
    }
    if (rest.isNull())
        return urlError(QStringLiteral("it must start with postgresql:// or postgres://"));

    ConnectionSettings s;
    QStringView query;
    if (const auto q = rest.indexOf(u'?'); q >= 0) {
        query = rest.mid(q + 1);
        rest = rest.left(q);
    }
    QStringView authority = rest;
    QStringView path;
    if (const auto slash = rest.indexOf(u'/'); slash >= 0) {
        authority = rest.left(slash);
        path = rest.mid(slash + 1);
    }
    if (path.contains(u'/'))
        return urlError(QStringLiteral("the database name must not contain '/' (percent-encode it)"));
    if (!percentDecode(path, &s.database))
        return urlError(QStringLiteral("bad percent-encoding in the database name"));

    if (const auto at = authority.lastIndexOf(u'@'); at >= 0) {
        const QStringView userInfo = authority.left(at);
        authority = authority.mid(at + 1);
        QStringView user = userInfo;
        if (const auto colon = userInfo.indexOf(u':'); colon >= 0) {
            user = userInfo.left(colon);
            if (!percentDecode(userInfo.mid(colon + 1), &s.password))
                return urlError(QStringLiteral("bad percent-encoding in the password"));
        }
        if (!percentDecode(user, &s.user))
            return urlError(QStringLiteral("bad percent-encoding in the user name"));
    }

    if (authority.contains(u','))
        return urlError(QStringLiteral("several hosts are not supported; give exactly one"));
    QStringView hostPart = authority;
    QStringView portPart;
    if (authority.startsWith(u'[')) {
        const auto close = authority.indexOf(u']');
        if (close < 0)
            return urlError(QStringLiteral("unterminated IPv6 address '['"));
        hostPart = authority.mid(1, close - 1);
        const QStringView after = authority.mid(close + 1);
        if (!after.isEmpty() && !after.startsWith(u':'))
            return urlError(QStringLiteral("unexpected text after the IPv6 address"));
        portPart = after.mid(1);
    } else if (const auto colon = authority.lastIndexOf(u':'); colon >= 0) {
        hostPart = authority.left(colon);
        portPart = authority.mid(colon + 1);
    }
    if (!percentDecode(hostPart, &s.host))
        return urlError(QStringLiteral("bad percent-encoding in the host"));
    QString port;
    if (!percentDecode(portPart, &port))
        return urlError(QStringLiteral("bad percent-encoding in the port"));

    if (!query.isEmpty()) {
        for (const QStringView pair : query.split(u'&', Qt::SkipEmptyParts)) {
            const auto eq = pair.indexOf(u'=');
            if (eq <= 0)
                return urlError(QStringLiteral("query parameter '%1' has no value").arg(pair));
            QString key;
            QString value;
            if (!percentDecode(pair.left(eq), &key) || !percentDecode(pair.mid(eq + 1), &value))
                return urlError(QStringLiteral("bad percent-encoding in query parameter '%1'").arg(pair.left(eq)));
            if (key == u"host") {
                if (value.contains(u','))
                    return urlError(QStringLiteral("several hosts are not supported; give exactly one"));
                s.host = value;
            } else if (key == u"port") {
                port = value;
            } else if (key == u"dbname") {
                s.database = value;
            } else if (key == u"user") {
                s.user = value;
            } else if (key == u"password") {
                s.password = value;
            } else if (key == u"sslmode") {
                s.sslMode = value;
            } else if (key == u"application_name") {
                s.applicationName = value;
            } else {
                return urlError(QStringLiteral("unsupported parameter '%1' (supported: host, port, dbname, "
                                               "user, password, sslmode, application_name)")
                                    .arg(key));
            }
        }
    }

    if (!port.isEmpty()) {
        bool ok = false;
        const int p = port.toInt(&ok);
        if (!ok || p < 1 || p > 65535)
            return urlError(QStringLiteral("port '%1' is not a number between 1 and 65535").arg(port));
        s.port = p;
    }
    if (!s.sslMode.isEmpty() && !sslModes().contains(s.sslMode))
        return urlError(QStringLiteral("sslmode '%1' is not one of disable, allow, prefer, require, "
                                       "verify-ca, verify-full")
                            .arg(s.sslMode));
    return s;
}

QString ConnectionSettings::toUrl() const
{
    return buildUrl(*this, false);
}

QString ConnectionSettings::redactedUrl() const
{
    return buildUrl(*this, true);
}

} // namespace bw::db
