#include "router.h"

namespace bw::http {

namespace {
std::vector<QString> split(const QString &path)
{
    std::vector<QString> out;
    for (const QString &s : path.split(u'/', Qt::SkipEmptyParts))
        out.push_back(s);
    return out;
}

bool matches(const Route &route, const std::vector<QString> &segments, QHash<QString, QString> *params)
{
    if (route.segments.size() != segments.size())
        return false;
    QHash<QString, QString> found;
    for (size_t i = 0; i < segments.size(); ++i) {
        const QString &p = route.segments[i];
        if (p.startsWith(u':'))
            found.insert(p.mid(1), segments[i]);
        else if (p != segments[i])
            return false;
    }
    if (params)
        *params = std::move(found);
    return true;
}
} // namespace

void Router::add(const QByteArray &method, const QString &pattern, RouteOptions options, Handler handler)
{
    auto route = std::make_unique<Route>();
    route->method = method;
    route->pattern = pattern;
    route->segments = split(pattern);
    route->literal =
        std::none_of(route->segments.begin(), route->segments.end(), [](const QString &s) { return s.startsWith(u':'); });
    route->options = options;
    route->handler = std::move(handler);
    m_routes.push_back(std::move(route));
}

Match Router::match(const QByteArray &method, const QString &path) const
{
    const auto segments = split(path);
    const QByteArray wanted = method == "HEAD" ? QByteArray("GET") : method;
    Match result;
    // Literal segments beat parameters ("/agents/me" before "/agents/:id"): try exact routes first.
    for (int pass = 0; pass < 2; ++pass) {
        for (const auto &route : m_routes) {
            if ((pass == 0) != route->literal)
                continue;
            QHash<QString, QString> params;
            if (!matches(*route, segments, &params))
                continue;
            if (route->method == wanted) {
                if (!result.route) {
                    result.route = route.get();
                    result.params = std::move(params);
                }
            } else if (!result.allowed.contains(route->method)) {
                result.allowed << route->method;
            }
        }
        if (result.route)
            break;
    }
    if (result.allowed.contains("GET") && !result.allowed.contains("HEAD"))
        result.allowed << "HEAD";
    return result;
}

} // namespace bw::http
