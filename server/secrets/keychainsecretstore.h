#pragma once
// Secrets in the OS keychain (Secret Service / KWallet via QtKeychain). QtKeychain jobs are
// asynchronous and need an event loop, and QtKeychain serialises every job through one executor
// bound to the thread of the first job, so all stores share one process-wide keychain thread;
// callers (never the GUI thread) wait for the answer with a timeout.

#include "server/core/secretstore.h"

#include <memory>

namespace bw {

class KeychainSecretStore final : public SecretStore {
public:
    explicit KeychainSecretStore(QString service = QStringLiteral("betterworld"), int timeoutMs = 10000);
    ~KeychainSecretStore() override;

    Result<std::optional<QByteArray>> read(const QString &name) override;
    Status write(const QString &name, const QByteArray &value) override;
    Status remove(const QString &name) override;
    QString description() const override { return QStringLiteral("OS keychain (service %1)").arg(m_service); }

private:
    enum class Op { Read, Write, Remove };
    Result<std::optional<QByteArray>> run(Op op, const QString &name, const QByteArray &value);

    QString m_service;
    int m_timeoutMs;
};

// Chooses the store by policy: "keychain" (fail if unavailable), "file" (0600 file in dataDir), or
// "auto": the keychain when a session bus is reachable and answers, else the file — the fallback is
// logged once so a headless install never switches storage silently.
Result<std::unique_ptr<SecretStore>> makeSecretStore(const QString &backend, const QString &dataDir);

} // namespace bw
