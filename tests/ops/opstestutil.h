#pragma once
// Helpers shared by the ops tests (test thread only): seeding data, fingerprints of a database's
// contents for equality checks, a private tmpfs for disk-full tests.

#include "server/core/config.h"
#include "server/db/connectionsettings.h"

#include <QJsonObject>
#include <QString>

namespace bw::test {

// Runs SQL on a database with a fresh connection; QVERIFY-friendly (false + warning on error).
bool runSql(const db::ConnectionSettings &s, const QString &sql);
// First column of the first row as text ("" on error).
QString queryValue(const db::ConnectionSettings &s, const QString &sql);
// {table: md5 of all its rows in a canonical order} for every ordinary table in public.
QJsonObject fingerprint(const db::ConnectionSettings &s);
// ops_sample(id, body, n) with `rows` rows of random-ish text (~bytesPerRow each).
bool seedSample(const db::ConnectionSettings &s, int rows, int bytesPerRow = 100,
                const QString &table = QStringLiteral("ops_sample"));
OpsConfig testOpsConfig();

// A tmpfs mounted at a fresh directory (root only); unmounted by the destructor.
class SmallDisk final {
public:
    explicit SmallDisk(int megabytes);
    ~SmallDisk();
    bool ok() const { return m_ok; }
    QString path() const { return m_path; }
    QString error() const { return m_error; }

private:
    QString m_path;
    QString m_error;
    bool m_ok = false;
};

} // namespace bw::test
