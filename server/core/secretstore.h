#pragma once
// Where secrets live (database password, signing keys, provider API keys). The desktop uses the OS
// keychain; headless machines use an explicit fallback (0600 file, environment). Calls may block
// briefly: never call from the GUI thread or an HTTP I/O thread.

#include "server/core/result.h"

#include <QByteArray>
#include <QHash>
#include <QString>

#include <mutex>
#include <optional>

namespace bw {

class SecretStore {
public:
    virtual ~SecretStore() = default;
    // nullopt when the secret does not exist; an error when the store itself failed.
    virtual Result<std::optional<QByteArray>> read(const QString &name) = 0;
    virtual Status write(const QString &name, const QByteArray &value) = 0;
    virtual Status remove(const QString &name) = 0;
    // Human-readable name of the backend for logs and the Overview ("keychain", "file /x/secrets.json").
    virtual QString description() const = 0;
};

// Reads the secret, or creates it with makeValue() and stores it (first run).
Result<QByteArray> readOrCreateSecret(SecretStore &store, const QString &name, const std::function<QByteArray()> &makeValue);

// For unit tests and as a last resort; lives in memory only.
class MemorySecretStore final : public SecretStore {
public:
    Result<std::optional<QByteArray>> read(const QString &name) override;
    Status write(const QString &name, const QByteArray &value) override;
    Status remove(const QString &name) override;
    QString description() const override { return QStringLiteral("memory"); }

private:
    std::mutex m_mutex;
    QHash<QString, QByteArray> m_values;
};

// Headless fallback: a JSON file with mode 0600 in the data dir, written atomically.
// Environment variables BW_SECRET_<NAME> (upper-case, '-' → '_') override file values (read-only).
class FileSecretStore final : public SecretStore {
public:
    explicit FileSecretStore(QString path);
    Result<std::optional<QByteArray>> read(const QString &name) override;
    Status write(const QString &name, const QByteArray &value) override;
    Status remove(const QString &name) override;
    QString description() const override;

    static QString environmentName(const QString &secretName);

private:
    Result<QHash<QString, QByteArray>> load() const;
    Status save(const QHash<QString, QByteArray> &values) const;
    QString m_path;
    std::mutex m_mutex;
};

} // namespace bw
