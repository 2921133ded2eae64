#include "keychainsecretstore.h"

#include "server/core/logging.h"

#include <QThread>
#include <qt6keychain/keychain.h>

#include <future>

namespace bw {

namespace {
struct Outcome {
    bool ok = false;
    bool notFound = false;
    QByteArray value;
    QString error;
};
} // namespace

// The one thread all keychain jobs run on; started on first use and kept for the process lifetime
// (deliberately never destroyed: QtKeychain's executor stays bound to it).
QObject *keychainContext()
{
    static QObject *context = [] {
        auto *thread = new QThread;
        thread->setObjectName(QStringLiteral("bw-keychain")); // QThread names the OS thread after it
        auto *ctx = new QObject;
        ctx->moveToThread(thread);
        thread->start();
        return ctx;
    }();
    return context;
}

KeychainSecretStore::KeychainSecretStore(QString service, int timeoutMs) : m_service(std::move(service)), m_timeoutMs(timeoutMs)
{
}

KeychainSecretStore::~KeychainSecretStore() = default;

Result<std::optional<QByteArray>> KeychainSecretStore::run(Op op, const QString &name, const QByteArray &value)
{
    auto promise = std::make_shared<std::promise<Outcome>>();
    auto future = promise->get_future();
    const QString service = m_service;
    QMetaObject::invokeMethod(
        keychainContext(),
        [=] {
            QKeychain::Job *job = nullptr;
            if (op == Op::Read) {
                job = new QKeychain::ReadPasswordJob(service);
            } else if (op == Op::Write) {
                auto *w = new QKeychain::WritePasswordJob(service);
                w->setBinaryData(value);
                job = w;
            } else {
                job = new QKeychain::DeletePasswordJob(service);
            }
            job->setAutoDelete(true);
            job->setInsecureFallback(false);
            job->setKey(name);
            QObject::connect(job, &QKeychain::Job::finished, job, [promise, op](QKeychain::Job *j) {
                Outcome o;
                o.ok = j->error() == QKeychain::NoError;
                o.notFound = j->error() == QKeychain::EntryNotFound;
                o.error = j->errorString();
                if (o.ok && op == Op::Read)
                    o.value = static_cast<QKeychain::ReadPasswordJob *>(j)->binaryData();
                promise->set_value(o);
            });
            job->start();
        },
        Qt::QueuedConnection);

    if (future.wait_for(std::chrono::milliseconds(m_timeoutMs)) != std::future_status::ready)
        return ApiError::internal(QStringLiteral("keychain did not answer within %1 ms").arg(m_timeoutMs));
    const Outcome o = future.get();
    if (o.notFound)
        return op == Op::Remove ? Result<std::optional<QByteArray>>(std::optional<QByteArray>{}) : std::optional<QByteArray>{};
    if (!o.ok)
        return ApiError::internal(QStringLiteral("keychain: %1").arg(o.error));
    return op == Op::Read ? std::optional<QByteArray>{o.value} : std::optional<QByteArray>{};
}

Result<std::optional<QByteArray>> KeychainSecretStore::read(const QString &name)
{
    return run(Op::Read, name, {});
}

Status KeychainSecretStore::write(const QString &name, const QByteArray &value)
{
    auto r = run(Op::Write, name, value);
    return r ? success() : Status(r.error());
}

Status KeychainSecretStore::remove(const QString &name)
{
    auto r = run(Op::Remove, name, {});
    return r ? success() : Status(r.error());
}

Result<std::unique_ptr<SecretStore>> makeSecretStore(const QString &backend, const QString &dataDir)
{
    const QString filePath = dataDir + QStringLiteral("/secrets.json");
    if (backend == u"file") {
        qCInfo(lcApp).noquote() << "secrets: using" << filePath << "(mode 0600), as configured";
        return std::unique_ptr<SecretStore>(new FileSecretStore(filePath));
    }
    const bool sessionBus = !qEnvironmentVariableIsEmpty("DBUS_SESSION_BUS_ADDRESS") || !qEnvironmentVariableIsEmpty("DISPLAY")
                            || !qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY");
    QString why = QStringLiteral("no D-Bus session bus or display");
    if (sessionBus) {
        auto keychain = std::make_unique<KeychainSecretStore>();
        auto probe = keychain->read(QStringLiteral("probe"));
        if (probe) {
            qCInfo(lcApp).noquote() << "secrets: using" << keychain->description();
            return std::unique_ptr<SecretStore>(std::move(keychain));
        }
        why = probe.error().message;
    }
    if (backend == u"keychain")
        return ApiError::badRequest(QStringLiteral("secrets/backend is 'keychain' but the keychain is unavailable: %1").arg(why));
    qCWarning(lcApp).noquote() << "secrets: no usable keychain (" + why + "); falling back to" << filePath
                               << "(mode 0600). Set secrets/backend=file to silence this warning.";
    return std::unique_ptr<SecretStore>(new FileSecretStore(filePath));
}

} // namespace bw
