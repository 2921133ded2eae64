#include "result.h"

#include <QJsonArray>

namespace bw {

namespace {
struct KindInfo {
    const char *code;
    int status;
};

KindInfo info(ErrorKind kind)
{
    switch (kind) {
    case ErrorKind::BadRequest:
        return {"BAD_REQUEST", 400};
    case ErrorKind::InvalidCursor:
        return {"INVALID_CURSOR", 400};
    case ErrorKind::InvalidDomain:
        return {"INVALID_DOMAIN", 400};
    case ErrorKind::Unauthorized:
        return {"UNAUTHORIZED", 401};
    case ErrorKind::ApiKeyInvalid:
        return {"API_KEY_INVALID", 401};
    case ErrorKind::TokenExpired:
        return {"TOKEN_EXPIRED", 401};
    case ErrorKind::SignatureInvalid:
        return {"SIGNATURE_INVALID", 401};
    case ErrorKind::Forbidden:
        return {"FORBIDDEN", 403};
    case ErrorKind::AgentNotVerified:
        return {"AGENT_NOT_VERIFIED", 403};
    case ErrorKind::EmailNotVerified:
        return {"EMAIL_NOT_VERIFIED", 403};
    case ErrorKind::NotFound:
        return {"NOT_FOUND", 404};
    case ErrorKind::MethodNotAllowed:
        return {"METHOD_NOT_ALLOWED", 405};
    case ErrorKind::UsernameTaken:
        return {"USERNAME_TAKEN", 409};
    case ErrorKind::AlreadyClaimed:
        return {"ALREADY_CLAIMED", 409};
    case ErrorKind::MissionFull:
        return {"MISSION_FULL", 409};
    case ErrorKind::ClaimLimitReached:
        return {"CLAIM_LIMIT_REACHED", 409};
    case ErrorKind::InsufficientBalance:
        return {"INSUFFICIENT_BALANCE", 409};
    case ErrorKind::Conflict:
        return {"CONFLICT", 409};
    case ErrorKind::PayloadTooLarge:
        return {"PAYLOAD_TOO_LARGE", 413};
    case ErrorKind::HeaderTooLarge:
        return {"HEADER_TOO_LARGE", 431};
    case ErrorKind::Validation:
        return {"VALIDATION_ERROR", 422};
    case ErrorKind::RateLimited:
        return {"RATE_LIMITED", 429};
    case ErrorKind::Internal:
        return {"INTERNAL_ERROR", 500};
    case ErrorKind::ServiceUnavailable:
        return {"SERVICE_UNAVAILABLE", 503};
    }
    return {"INTERNAL_ERROR", 500};
}
} // namespace

QString errorCode(ErrorKind kind)
{
    return QString::fromLatin1(info(kind).code);
}
int errorStatus(ErrorKind kind)
{
    return info(kind).status;
}

ApiError ApiError::validation(const QMap<QString, QStringList> &fields)
{
    QJsonObject byField;
    for (auto it = fields.cbegin(); it != fields.cend(); ++it)
        byField.insert(it.key(), QJsonArray::fromStringList(it.value()));
    return make(ErrorKind::Validation, QStringLiteral("Validation failed"), QJsonObject{{QStringLiteral("fields"), byField}});
}

} // namespace bw
