#pragma once
// Error values that services return and the one mapping from error kind to HTTP status + code.
// Plain values: safe to pass between threads.

#include <QJsonObject>
#include <QMap>
#include <QString>
#include <QStringList>

#include <utility>
#include <variant>

namespace bw {

enum class ErrorKind {
    BadRequest,
    InvalidCursor,
    InvalidDomain,
    Unauthorized,
    ApiKeyInvalid,
    TokenExpired,
    SignatureInvalid,
    Forbidden,
    AgentNotVerified,
    EmailNotVerified, // a human logging in before verifying the e-mail address (humans.md §1)
    NotFound,
    MethodNotAllowed,
    UsernameTaken,
    AlreadyClaimed,
    MissionFull,         // 409: every slot of the mission is taken (humans.md §3)
    ClaimLimitReached,   // 409: the human already holds the maximum of active claims
    InsufficientBalance, // 409: a spend or debit larger than the balance (humans.md §6)
    Conflict,
    PayloadTooLarge,
    HeaderTooLarge,
    Validation,
    RateLimited,
    Internal,
    ServiceUnavailable,
};

// The machine-readable code (e.g. "VALIDATION_ERROR") and HTTP status for a kind.
QString errorCode(ErrorKind kind);
int errorStatus(ErrorKind kind);

struct ApiError {
    ErrorKind kind = ErrorKind::Internal;
    QString message;
    QJsonObject details;

    QString code() const { return errorCode(kind); }
    int status() const { return errorStatus(kind); }

    static ApiError make(ErrorKind kind, QString message, QJsonObject details = {})
    {
        return ApiError{kind, std::move(message), std::move(details)};
    }
    static ApiError badRequest(QString message) { return make(ErrorKind::BadRequest, std::move(message)); }
    static ApiError notFound(QString message) { return make(ErrorKind::NotFound, std::move(message)); }
    static ApiError forbidden(QString message) { return make(ErrorKind::Forbidden, std::move(message)); }
    static ApiError conflict(QString message) { return make(ErrorKind::Conflict, std::move(message)); }
    static ApiError unavailable(QString message) { return make(ErrorKind::ServiceUnavailable, std::move(message)); }
    // Internal errors keep the real cause for the log; clients only see a generic message.
    static ApiError internal(QString logDetail) { return make(ErrorKind::Internal, std::move(logDetail)); }
    // 422 with details.fields = {field: [messages]}.
    static ApiError validation(const QMap<QString, QStringList> &fields);
};

// Collects field errors while validating input; empty() when everything passed.
class FieldErrors final {
public:
    void add(const QString &field, const QString &message) { m_fields[field].append(message); }
    bool empty() const { return m_fields.isEmpty(); }
    bool has(const QString &field) const { return m_fields.contains(field); }
    ApiError toError() const { return ApiError::validation(m_fields); }

private:
    QMap<QString, QStringList> m_fields;
};

// A value or an ApiError.
template <typename T>
class [[nodiscard]] Result final {
public:
    Result(T value) : m_value(std::move(value)) {}
    Result(ApiError error) : m_value(std::move(error)) {}

    bool ok() const { return std::holds_alternative<T>(m_value); }
    explicit operator bool() const { return ok(); }

    T &value() { return std::get<T>(m_value); }
    const T &value() const { return std::get<T>(m_value); }
    T &operator*() { return value(); }
    const T &operator*() const { return value(); }
    T *operator->() { return &value(); }
    const T *operator->() const { return &value(); }

    const ApiError &error() const { return std::get<ApiError>(m_value); }

private:
    std::variant<T, ApiError> m_value;
};

// For operations that return nothing on success.
struct Done {};
using Status = Result<Done>;
inline Status success()
{
    return Done{};
}

} // namespace bw
