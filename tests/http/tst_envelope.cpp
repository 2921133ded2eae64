// The response envelope (api.md §1): the one ErrorKind → status/code mapper, hidden internal
// errors, validation details, ok/okRaw/page shapes and the requestId. Pure; runs on the test thread.

#include "server/http/envelope.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QSet>
#include <QTest>

using namespace bw;
using namespace bw::http;

Q_DECLARE_METATYPE(bw::ErrorKind)

namespace {
Request requestWithId(const QString &id = QStringLiteral("req-42"))
{
    Request r;
    r.method = "POST";
    r.path = QStringLiteral("/api/v1/problems");
    r.requestId = id;
    return r;
}

QJsonObject parse(const Response &res)
{
    QJsonParseError err{};
    const QJsonDocument doc = QJsonDocument::fromJson(res.body, &err);
    if (err.error != QJsonParseError::NoError || !doc.isObject())
        qWarning("not a JSON object: %s", res.body.constData());
    return doc.object();
}

constexpr int kKindCount = int(ErrorKind::ServiceUnavailable) + 1;
} // namespace

class tst_Envelope : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void errorMapping_data();
    void errorMapping();
    void everyKindMapped();
    void internalHidesMessage();
    void serviceUnavailableDefaultMessage();
    void detailsPassThrough();
    void validationShape();
    void okRaw();
    void ok_data();
    void ok();
    void page_data();
    void page();
    void respondTemplate();
    void requestIdEscaped();
    void jsonString_data();
    void jsonString();
    void setHeaderReplacesCaseInsensitively();
};

void tst_Envelope::errorMapping_data()
{
    QTest::addColumn<ErrorKind>("kind");
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("code");

    // api.md §1 table, plus the transport-level 405 and 431.
    QTest::newRow("BAD_REQUEST") << ErrorKind::BadRequest << 400 << "BAD_REQUEST";
    QTest::newRow("INVALID_CURSOR") << ErrorKind::InvalidCursor << 400 << "INVALID_CURSOR";
    QTest::newRow("INVALID_DOMAIN") << ErrorKind::InvalidDomain << 400 << "INVALID_DOMAIN";
    QTest::newRow("UNAUTHORIZED") << ErrorKind::Unauthorized << 401 << "UNAUTHORIZED";
    QTest::newRow("API_KEY_INVALID") << ErrorKind::ApiKeyInvalid << 401 << "API_KEY_INVALID";
    QTest::newRow("TOKEN_EXPIRED") << ErrorKind::TokenExpired << 401 << "TOKEN_EXPIRED";
    QTest::newRow("SIGNATURE_INVALID") << ErrorKind::SignatureInvalid << 401 << "SIGNATURE_INVALID";
    QTest::newRow("FORBIDDEN") << ErrorKind::Forbidden << 403 << "FORBIDDEN";
    QTest::newRow("AGENT_NOT_VERIFIED") << ErrorKind::AgentNotVerified << 403 << "AGENT_NOT_VERIFIED";
    QTest::newRow("EMAIL_NOT_VERIFIED") << ErrorKind::EmailNotVerified << 403 << "EMAIL_NOT_VERIFIED";
    QTest::newRow("NOT_FOUND") << ErrorKind::NotFound << 404 << "NOT_FOUND";
    QTest::newRow("METHOD_NOT_ALLOWED") << ErrorKind::MethodNotAllowed << 405 << "METHOD_NOT_ALLOWED";
    QTest::newRow("USERNAME_TAKEN") << ErrorKind::UsernameTaken << 409 << "USERNAME_TAKEN";
    QTest::newRow("ALREADY_CLAIMED") << ErrorKind::AlreadyClaimed << 409 << "ALREADY_CLAIMED";
    QTest::newRow("CONFLICT") << ErrorKind::Conflict << 409 << "CONFLICT";
    QTest::newRow("PAYLOAD_TOO_LARGE") << ErrorKind::PayloadTooLarge << 413 << "PAYLOAD_TOO_LARGE";
    QTest::newRow("HEADER_TOO_LARGE") << ErrorKind::HeaderTooLarge << 431 << "HEADER_TOO_LARGE";
    QTest::newRow("VALIDATION_ERROR") << ErrorKind::Validation << 422 << "VALIDATION_ERROR";
    QTest::newRow("RATE_LIMITED") << ErrorKind::RateLimited << 429 << "RATE_LIMITED";
    QTest::newRow("INTERNAL_ERROR") << ErrorKind::Internal << 500 << "INTERNAL_ERROR";
    QTest::newRow("SERVICE_UNAVAILABLE") << ErrorKind::ServiceUnavailable << 503 << "SERVICE_UNAVAILABLE";
}

void tst_Envelope::errorMapping()
{
    QFETCH(ErrorKind, kind);
    QFETCH(int, status);
    QFETCH(QString, code);

    QCOMPARE(errorStatus(kind), status);
    QCOMPARE(errorCode(kind), code);
    const ApiError e = ApiError::make(kind, QStringLiteral("something specific"));
    QCOMPARE(e.status(), status);
    QCOMPARE(e.code(), code);

    const Request req = requestWithId();
    if (kind == ErrorKind::Internal)
        QTest::ignoreMessage(QtCriticalMsg,
                             QRegularExpression(QStringLiteral("internal error on POST /api/v1/problems.*something specific")));
    const Response res = error(req, e);
    QCOMPARE(res.status, status);
    QCOMPARE(res.contentType, QByteArray("application/json"));
    const QJsonObject body = parse(res);
    QCOMPARE(body.keys(), QStringList({"error", "ok", "requestId"}));
    QCOMPARE(body.value("ok"), QJsonValue(false));
    QCOMPARE(body.value("requestId").toString(), QStringLiteral("req-42"));
    const QJsonObject err = body.value("error").toObject();
    QCOMPARE(err.value("code").toString(), code);
    if (kind == ErrorKind::Internal)
        QCOMPARE(err.value("message").toString(), QStringLiteral("An unexpected error occurred"));
    else
        QCOMPARE(err.value("message").toString(), QStringLiteral("something specific"));
    QVERIFY(!err.contains("details")); // none given, none rendered
}

void tst_Envelope::everyKindMapped()
{
    // A kind added to the enum without a row in result.cpp would fall through to INTERNAL_ERROR.
    QSet<QString> codes;
    for (int k = 0; k < kKindCount; ++k) {
        const auto kind = ErrorKind(k);
        const QString code = errorCode(kind);
        QVERIFY2(!codes.contains(code), qPrintable(code));
        codes.insert(code);
        QVERIFY(errorStatus(kind) >= 400 && errorStatus(kind) <= 599);
        QVERIFY2(kind == ErrorKind::Internal || code != u"INTERNAL_ERROR", qPrintable(QString::number(k)));
    }
    QCOMPARE(codes.size(), kKindCount);
}

void tst_Envelope::internalHidesMessage()
{
    const Request req = requestWithId(QStringLiteral("req-internal"));
    const ApiError e = ApiError::make(ErrorKind::Internal, QStringLiteral("connection to 10.0.0.5 failed: password=hunter2"),
                                      QJsonObject{{"sql", "SELECT secret FROM agents"}});
    // The cause goes to the log (and only there).
    QTest::ignoreMessage(QtCriticalMsg,
                         QRegularExpression(QStringLiteral("internal error on POST /api/v1/problems.*10\\.0\\.0\\.5 failed")));
    const Response res = error(req, e);
    QCOMPARE(res.status, 500);
    QVERIFY(!res.body.contains("hunter2"));
    QVERIFY(!res.body.contains("10.0.0.5"));
    QVERIFY(!res.body.contains("SELECT"));
    const QJsonObject err = parse(res).value("error").toObject();
    QCOMPARE(err.value("code").toString(), QStringLiteral("INTERNAL_ERROR"));
    QCOMPARE(err.value("message").toString(), QStringLiteral("An unexpected error occurred"));
    QVERIFY(!err.contains("details"));
    QCOMPARE(parse(res).value("requestId").toString(), QStringLiteral("req-internal")); // to find the log line
    // ApiError::internal keeps the cause for the log.
    QCOMPARE(ApiError::internal(QStringLiteral("cause")).message, QStringLiteral("cause"));
    QCOMPARE(ApiError::internal(QStringLiteral("cause")).kind, ErrorKind::Internal);
}

void tst_Envelope::serviceUnavailableDefaultMessage()
{
    const Request req = requestWithId();
    QCOMPARE(parse(error(req, ApiError::unavailable(QString()))).value("error").toObject().value("message").toString(),
             QStringLiteral("Service temporarily unavailable"));
    QCOMPARE(parse(error(req, ApiError::unavailable(QStringLiteral("Maintenance"))))
                 .value("error")
                 .toObject()
                 .value("message")
                 .toString(),
             QStringLiteral("Maintenance"));
}

void tst_Envelope::detailsPassThrough()
{
    const Request req = requestWithId();
    const QJsonObject details{{"retryAfter", 12}, {"limit", 30}, {"window", 60}};
    const Response res = error(req, ApiError::make(ErrorKind::RateLimited, QStringLiteral("slow down"), details));
    QCOMPARE(res.status, 429);
    QCOMPARE(parse(res).value("error").toObject().value("details").toObject(), details);
}

void tst_Envelope::validationShape()
{
    FieldErrors fields;
    QVERIFY(fields.empty());
    fields.add(QStringLiteral("username"), QStringLiteral("too short"));
    fields.add(QStringLiteral("username"), QStringLiteral("invalid characters"));
    fields.add(QStringLiteral("email"), QStringLiteral("not an email"));
    QVERIFY(!fields.empty());
    QVERIFY(fields.has(QStringLiteral("email")));
    QVERIFY(!fields.has(QStringLiteral("framework")));

    const ApiError e = fields.toError();
    QCOMPARE(e.kind, ErrorKind::Validation);
    const Response res = error(requestWithId(), e);
    QCOMPARE(res.status, 422);
    const QJsonObject err = parse(res).value("error").toObject();
    QCOMPARE(err.value("code").toString(), QStringLiteral("VALIDATION_ERROR"));
    QVERIFY(!err.value("message").toString().isEmpty());
    const QJsonObject details = err.value("details").toObject();
    QCOMPARE(details.keys(), QStringList{"fields"});
    const QJsonObject byField = details.value("fields").toObject();
    QCOMPARE(byField.keys(), QStringList({"email", "username"}));
    QCOMPARE(byField.value("username").toArray(), QJsonArray({"too short", "invalid characters"}));
    QCOMPARE(byField.value("email").toArray(), QJsonArray({"not an email"}));

    // The static constructor produces the same shape.
    const ApiError direct = ApiError::validation({{QStringLiteral("title"), {QStringLiteral("required")}}});
    QCOMPARE(direct.details, QJsonObject({{"fields", QJsonObject{{"title", QJsonArray{"required"}}}}}));
}

void tst_Envelope::okRaw()
{
    const Request req = requestWithId(QStringLiteral("rid-1"));
    Response res = http::okRaw(req, R"({"id":"x","n":[1,2]})");
    QCOMPARE(res.status, 200);
    QCOMPARE(res.contentType, QByteArray("application/json"));
    QCOMPARE(res.body, QByteArray(R"({"ok":true,"data":{"id":"x","n":[1,2]},"requestId":"rid-1"})"));

    res = http::okRaw(req, "[]", 201, R"({"count":0})");
    QCOMPARE(res.status, 201);
    const QJsonObject body = parse(res);
    QCOMPARE(body.keys(), QStringList({"data", "meta", "ok", "requestId"}));
    QCOMPARE(body.value("ok"), QJsonValue(true));
    QCOMPARE(body.value("data").toArray(), QJsonArray());
    QCOMPARE(body.value("meta").toObject().value("count").toInt(), 0);
    QCOMPARE(body.value("requestId").toString(), QStringLiteral("rid-1"));

    res = http::okRaw(req, "202", 202);
    QCOMPARE(res.status, 202);
    QCOMPARE(parse(res).value("data").toInt(), 202);
}

void tst_Envelope::ok_data()
{
    QTest::addColumn<QJsonValue>("data");
    QTest::newRow("object") << QJsonValue(QJsonObject{{"deleted", true}});
    QTest::newRow("array") << QJsonValue(QJsonArray{1, "two", QJsonObject{{"three", 3}}});
    QTest::newRow("string") << QJsonValue(QStringLiteral("quote \" and \\ and ü"));
    QTest::newRow("true") << QJsonValue(true);
    QTest::newRow("false") << QJsonValue(false);
    QTest::newRow("integer") << QJsonValue(42);
    QTest::newRow("fraction") << QJsonValue(0.1);
    QTest::newRow("large") << QJsonValue(9007199254740991.0);
    QTest::newRow("null") << QJsonValue(QJsonValue::Null);
}

void tst_Envelope::ok()
{
    QFETCH(QJsonValue, data);
    const Request req = requestWithId();
    const Response res = http::ok(req, data, 201);
    QCOMPARE(res.status, 201);
    const QJsonObject body = parse(res);
    QCOMPARE(body.value("ok"), QJsonValue(true));
    if (data.isDouble()) // integers and doubles are distinct QJsonValues; compare numerically
        QCOMPARE(body.value("data").toDouble(), data.toDouble());
    else
        QCOMPARE(body.value("data"), data);
    QCOMPARE(body.value("requestId").toString(), QStringLiteral("req-42"));
    QVERIFY(!body.contains("meta"));
}

void tst_Envelope::page_data()
{
    QTest::addColumn<bool>("hasMore");
    QTest::addColumn<QString>("nextCursor");
    QTest::addColumn<int>("count");
    QTest::newRow("more") << true << QStringLiteral("eyJpZCI6MX0.c2ln") << 2;
    QTest::newRow("last page") << false << QString() << 2;
    QTest::newRow("empty") << false << QString() << 0;
}

void tst_Envelope::page()
{
    QFETCH(bool, hasMore);
    QFETCH(QString, nextCursor);
    QFETCH(int, count);
    const QByteArray items = count ? QByteArray(R"([{"id":"a"},{"id":"b"}])") : QByteArray("[]");
    const Response res = http::page(requestWithId(), items, hasMore, nextCursor, count);
    QCOMPARE(res.status, 200);
    const QJsonObject body = parse(res);
    QCOMPARE(body.value("ok"), QJsonValue(true));
    QCOMPARE(body.value("data").toArray().size(), count);
    const QJsonObject meta = body.value("meta").toObject();
    QCOMPARE(meta.keys(), QStringList({"count", "hasMore", "nextCursor"}));
    QCOMPARE(meta.value("hasMore").toBool(), hasMore);
    QCOMPARE(meta.value("count").toInt(), count);
    if (nextCursor.isEmpty())
        QVERIFY(meta.value("nextCursor").isNull());
    else
        QCOMPARE(meta.value("nextCursor").toString(), nextCursor);
    QCOMPARE(body.value("requestId").toString(), QStringLiteral("req-42"));
}

void tst_Envelope::respondTemplate()
{
    const Request req = requestWithId();
    const Result<QJsonObject> good = QJsonObject{{"id", "p1"}};
    Response res = respond(req, good, 201);
    QCOMPARE(res.status, 201);
    QCOMPARE(parse(res).value("data").toObject().value("id").toString(), QStringLiteral("p1"));

    const Result<QJsonObject> bad = ApiError::notFound(QStringLiteral("Problem not found"));
    res = respond(req, bad, 201);
    QCOMPARE(res.status, 404);
    QCOMPARE(parse(res).value("error").toObject().value("message").toString(), QStringLiteral("Problem not found"));
}

void tst_Envelope::requestIdEscaped()
{
    const QString id = QStringLiteral("a\"b\\c");
    const Request req = requestWithId(id);
    QCOMPARE(parse(http::okRaw(req, "1")).value("requestId").toString(), id);
    QCOMPARE(parse(error(req, ApiError::badRequest(QStringLiteral("x")))).value("requestId").toString(), id);
}

void tst_Envelope::jsonString_data()
{
    QTest::addColumn<QString>("text");
    QTest::newRow("plain") << QStringLiteral("abc");
    QTest::newRow("empty") << QString();
    QTest::newRow("quotes") << QStringLiteral("say \"hi\"");
    QTest::newRow("backslash") << QStringLiteral("C:\\x");
    QTest::newRow("control") << QStringLiteral("a\nb\tc\x01");
    QTest::newRow("unicode") << QStringLiteral("水 ü 😀");
    QTest::newRow("brackets") << QStringLiteral("[\"]");
}

void tst_Envelope::jsonString()
{
    QFETCH(QString, text);
    const QByteArray quoted = http::jsonString(text);
    QVERIFY(quoted.startsWith('"') && quoted.endsWith('"'));
    const QJsonDocument doc = QJsonDocument::fromJson("[" + quoted + "]");
    QVERIFY2(doc.isArray(), quoted.constData());
    QCOMPARE(doc.array().size(), 1);
    QCOMPARE(doc.array().at(0).toString(), text);
}

void tst_Envelope::setHeaderReplacesCaseInsensitively()
{
    Response res;
    res.setHeader("X-Thing", "1");
    res.setHeader("x-thing", "2");
    res.setHeader("Other", "3");
    QCOMPARE(res.headers.size(), size_t(2));
    QCOMPARE(res.headers[0].first, QByteArray("X-Thing"));
    QCOMPARE(res.headers[0].second, QByteArray("2"));
}

QTEST_GUILESS_MAIN(tst_Envelope)
#include "tst_envelope.moc"
