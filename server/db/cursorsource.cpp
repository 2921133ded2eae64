#include "server/db/cursorsource.h"

#include "server/core/cursor.h"
#include "server/db/database.h"
#include "server/db/sql.h"

namespace bw::db {

namespace {
Result<std::shared_ptr<const CursorCodec>> loadCursorCodec(QSqlDatabase db)
{
    auto key = scalar(execCached(db, QStringLiteral("SELECT value #>> '{}' FROM settings WHERE key = 'cursor_signing_key'")));
    if (!key)
        return key.error();
    if (key->toString().isEmpty())
        return ApiError::internal(QStringLiteral("settings row 'cursor_signing_key' is missing"));
    return std::make_shared<const CursorCodec>(key->toString().toUtf8());
}
} // namespace

Result<std::shared_ptr<const CursorCodec>> CursorSource::codec()
{
    QMutexLocker lock(&m_mutex);
    if (m_codec)
        return m_codec;
    auto codec = loadCursorCodec(m_db.connection());
    if (!codec)
        return codec.error();
    m_codec = *codec;
    return m_codec;
}

} // namespace bw::db
