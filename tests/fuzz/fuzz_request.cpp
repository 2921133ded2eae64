// libFuzzer target for what an agent controls in a request: the JSON body (bounded parse, then the
// problem and registration validators), the query string of GET /problems, and pagination cursors.
// Also checks the SQL literal escaping that request text goes through (server/db/sqltext.h).
// Every input goes through every entry point; none may crash, hang, leak or trip a sanitizer.
// Built with -fsanitize=fuzzer under clang (BW_BUILD_FUZZERS=ON), else with replay_main.cpp.

#include "server/core/cursor.h"
#include "server/db/sqltext.h"
#include "server/domain/accounts/agentinput.h"
#include "server/domain/content/probleminput.h"
#include "server/domain/content/problemquery.h"
#include "server/http/json.h"
#include "server/http/pipeline.h"

#include <QCryptographicHash>
#include <QMessageAuthenticationCode>
#include <QUrl>
#include <QUrlQuery>

#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace {

const QByteArray kCursorKey = QByteArrayLiteral("fuzz-cursor-signing-key-0123456789abcdef");

[[noreturn]] void fail(const char *what)
{
    std::fprintf(stderr, "fuzz_request: invariant violated: %s\n", what);
    std::abort();
}

void bodyPaths(const QByteArray &bytes)
{
    const int depth = bw::http::jsonNestingDepth(bytes);
    if (depth < 0)
        fail("negative nesting depth");
    const auto object = bw::http::parseJsonObject(bytes);
    if (!object) {
        if (object.error().status() != 400)
            fail("a rejected body must be a 400");
        return;
    }
    if (depth > 32)
        fail("parseJsonObject accepted a body deeper than its limit");

    if (const auto problem = bw::domain::ProblemInput::parse(*object)) {
        const QJsonObject echoed = problem->toJson();
        if (echoed.value(QStringLiteral("title")).toString() != problem->title)
            fail("ProblemInput::toJson lost the title");
    } else if (problem.error().status() != 422) {
        fail("an invalid problem must be a 422");
    }
    if (const auto agent = bw::domain::AgentInput::parse(*object)) {
        if (!bw::domain::AgentInput::usernameProblem(agent->username).isEmpty())
            fail("AgentInput accepted a username its own rules reject");
    } else if (agent.error().status() != 422) {
        fail("an invalid registration must be a 422");
    }

    // A cursor we signed ourselves must decode again (positions are small; long ones are refused).
    const bw::CursorCodec codec(kCursorKey);
    const QString cursor = codec.encode(*object);
    if (cursor.size() <= bw::CursorCodec::kMaxCursorLength && !codec.decode(cursor))
        fail("a freshly encoded cursor did not decode");
}

void cursorPaths(const QByteArray &bytes)
{
    const bw::CursorCodec codec(kCursorKey);
    // As sent (tampered or garbage cursors): the MAC check rejects nearly all of them.
    (void)codec.decode(QString::fromUtf8(bytes));
    (void)codec.decode(QString::fromLatin1(bytes));
    // Correctly signed but arbitrary payload: reaches the JSON side of decode().
    const auto b64 = QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals;
    const QByteArray mac = QMessageAuthenticationCode::hash(bytes, kCursorKey, QCryptographicHash::Sha256).left(16);
    (void)codec.decode(QString::fromLatin1(bytes.toBase64(b64) + '.' + mac.toBase64(b64)));
}

void queryPaths(const QByteArray &bytes)
{
    // The same decoding the transport applies to a request target (server.cpp toRequest).
    QByteArray raw = bytes;
    raw.replace('+', "%20");
    QMap<QString, QString> query;
    const QUrlQuery parsed(QString::fromLatin1(raw));
    for (const auto &[key, value] : parsed.queryItems(QUrl::FullyDecoded))
        query.insert(key, value);
    if (const auto q = bw::domain::ProblemQuery::fromQuery(query)) {
        if (q->limit < 1 || q->limit > bw::domain::ProblemQuery::kMaxLimit)
            fail("ProblemQuery accepted an out-of-range limit");
    }
    (void)QUrl::fromPercentEncoding(bytes);

    const QString id = bw::http::requestIdFor(bytes);
    if (id.isEmpty() || id.size() > 128)
        fail("request id must be 1..128 chars");
    (void)bw::domain::AgentInput::usernameProblem(QString::fromUtf8(bytes).toLower());
}

// Request text reaches SQL as E'…' literals (server/db/sqltext.h): the escaping must give back exactly the
// input and never let a quote end the literal early — the guard against SQL injection.
void sqlLiteralPaths(const QByteArray &bytes)
{
    const QString text = QString::fromUtf8(bytes);
    if (!text.contains(QChar(0))) { // validation rejects U+0000 before SQL (FieldReader::string)
        const QString lit = bw::db::literal(text);
        if (!lit.startsWith(QLatin1String("E'")) || !lit.endsWith(u'\'') || lit.size() < 3)
            fail("string literal is not E'...'");
        QString decoded;
        const QStringView inner = QStringView(lit).mid(2, lit.size() - 3);
        for (qsizetype i = 0; i < inner.size(); ++i) {
            const QChar c = inner[i];
            if (c == u'\'' || c == u'\\') {
                if (i + 1 >= inner.size() || inner[i + 1] != c)
                    fail("unescaped quote or backslash inside a literal");
                ++i;
            }
            decoded += c;
        }
        if (decoded != text)
            fail("literal does not round-trip");
    }
    // The raw bytes as a statement template: placeholder scanning must terminate and agree.
    int count = 0;
    const QString numbered = bw::db::numberPlaceholders(text, &count);
    if (!numbered.isEmpty() && count >= 0 && count <= 64) {
        QVariantList binds;
        for (int i = 0; i < count; ++i)
            binds.append(i % 2 ? QVariant(text.left(16)) : QVariant(i));
        if (bw::db::inlineBinds(text, binds).isEmpty())
            fail("inlineBinds refused a template numberPlaceholders accepted");
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    if (size > 256 * 1024)
        return 0; // the transport's body limit is far below this; keep iterations fast
    const QByteArray bytes(reinterpret_cast<const char *>(data), qsizetype(size));
    bodyPaths(bytes);
    cursorPaths(bytes);
    queryPaths(bytes);
    sqlLiteralPaths(bytes);
    return 0;
}
