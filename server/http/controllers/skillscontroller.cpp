#include "skillscontroller.h"

#include "server/domain/accounts/agentinput.h"
#include "server/domain/accounts/heartbeatservice.h"
#include "server/domain/domains.h"
#include "server/http/envelope.h"

#include <QFile>

// Q_INIT_RESOURCE must be used outside namespaces; it also keeps the linker from dropping the
// resource object of this static library.
static void initAgentDocs()
{
    Q_INIT_RESOURCE(bw_agent_docs);
}

namespace bw::http {

namespace {
// A Host header we are willing to print into a document: host name or IP, optional port.
bool saneHost(const QByteArray &host)
{
    if (host.isEmpty() || host.size() > 255)
        return false;
    return std::all_of(host.cbegin(), host.cend(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == ':'
               || c == '[' || c == ']';
    });
}

QString baseUrl(const Request &req, const QString &publicUrl)
{
    if (!publicUrl.isEmpty())
        return publicUrl.endsWith(u'/') ? publicUrl.chopped(1) : publicUrl;
    const QByteArray host = req.header("host");
    return QStringLiteral("http://") + (saneHost(host) ? QString::fromLatin1(host) : QStringLiteral("localhost:4000"));
}

QString render(QString text, const QString &base, const QList<domain::HeartbeatKeyInfo> &keys)
{
    const domain::HeartbeatKeyInfo current = keys.value(0);
    QString keyList;
    for (const auto &k : keys)
        keyList += QStringLiteral("- `%1` (Ed25519, valid from %2%3):\n  `%4`\n")
                       .arg(k.keyId, k.notBefore.toString(Qt::ISODate),
                            k.notAfter.isValid() ? QStringLiteral(" until ") + k.notAfter.toString(Qt::ISODate) : QString(),
                            k.publicKey);
    QString pem = QStringLiteral("-----BEGIN PUBLIC KEY-----\n%1\n-----END PUBLIC KEY-----").arg(current.publicKey);
    const QList<std::pair<const char *, QString>> values{
        {"{{BASE_URL}}", base},
        {"{{API_BASE}}", base + QStringLiteral("/api/v1")},
        {"{{VERSION}}", QStringLiteral(BW_VERSION)},
        {"{{HEARTBEAT_KEY_ID}}", current.keyId},
        {"{{HEARTBEAT_PUBLIC_KEY}}", current.publicKey},
        {"{{HEARTBEAT_PUBLIC_KEY_PEM}}", pem},
        {"{{HEARTBEAT_KEYS}}", keyList.trimmed()},
        {"{{DOMAINS}}", domain::domainNames().join(QStringLiteral(", "))},
        {"{{FRAMEWORKS}}", domain::AgentInput::frameworks().join(QStringLiteral(", "))},
    };
    for (const auto &[placeholder, value] : values)
        text.replace(QLatin1String(placeholder), value);
    return text;
}
} // namespace

void registerSkillRoutes(Router &router, domain::HeartbeatService &heartbeat, const QString &publicUrl)
{
    initAgentDocs();
    // Loaded once: the templates are compiled in, so any other name simply does not exist.
    QHash<QString, QString> templates;
    for (const char *name : {"SKILL.md", "HEARTBEAT.md"}) {
        QFile f(QStringLiteral(":/agent-docs/") + QLatin1String(name));
        if (f.open(QIODevice::ReadOnly))
            templates.insert(QLatin1String(name), QString::fromUtf8(f.readAll()));
    }

    router.add("GET", QStringLiteral("/skills/betterworld/:name"), {Auth::None, RateClass::Standard},
               [&heartbeat, publicUrl, templates](Request &req) {
                   const QString name = req.params.value(QStringLiteral("name"));
                   const auto it = templates.constFind(name); // exact names only: "..", "/", "\" never match
                   if (name.contains(u'/') || name.contains(u'\\') || name.contains(QLatin1String(".."))
                       || it == templates.cend())
                       return error(req, ApiError::notFound(QStringLiteral("Skill file not found")));
                   const auto keys = heartbeat.publishedKeys();
                   if (!keys)
                       return error(req, keys.error());
                   Response res;
                   res.contentType = "text/markdown; charset=utf-8";
                   res.body = render(*it, baseUrl(req, publicUrl), *keys).toUtf8();
                   // Rendered from the request's Host when no public URL is configured: a shared cache must
                   // not hand one client's Host to everyone (cache poisoning), so only a configured URL is public.
                   res.setHeader("Cache-Control", publicUrl.isEmpty() ? "no-store" : "public, max-age=300");
                   return res;
               });

    const auto redirect = [](const char *target) {
        return [location = QByteArray(target)](Request &) {
            Response res;
            res.status = 302;
            res.contentType = "text/plain; charset=utf-8";
            res.body = "Found: " + location + '\n';
            res.setHeader("Location", location);
            return res;
        };
    };
    const RouteOptions cheap{Auth::None, RateClass::Standard, /*usesDatabase*/ false};
    router.add("GET", QStringLiteral("/skill.md"), cheap, redirect("/skills/betterworld/SKILL.md"));
    router.add("GET", QStringLiteral("/heartbeat.md"), cheap, redirect("/skills/betterworld/HEARTBEAT.md"));
}

} // namespace bw::http
