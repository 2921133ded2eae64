#pragma once
// A person's own profile (humans.md §2): GET/PATCH /humans/me. Validation answers 422 with every
// offending field at once. Thread-safe and stateless; SQL on the calling thread's connection.

#include "server/core/result.h"
#include "server/domain/humancaller.h"

#include <QJsonObject>

namespace bw::db {
class Database;
}

namespace bw::humans {

class HumanProfileService final {
public:
    explicit HumanProfileService(db::Database &db);

    // {id, email, displayName, bio, skills, languages, city, latitude, longitude, serviceRadiusKm,
    //  emailVerified, lastLoginAt, createdAt, updatedAt}
    Result<QJsonObject> me(const domain::HumanCaller &caller);
    // Any of displayName (1–100), bio (≤ 500, null clears), skills (≤ 20), languages (≤ 10), city
    // (≤ 200, null clears), latitude + longitude (both or neither; both null clear), serviceRadiusKm
    // (1–200). Unknown fields are refused. Returns the updated profile.
    Result<QJsonObject> update(const domain::HumanCaller &caller, const QJsonObject &body);

private:
    db::Database &m_db;
};

} // namespace bw::humans
