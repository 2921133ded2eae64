#include "secretstore.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>

#include <sys/stat.h>

namespace bw {

Result<QByteArray> readOrCreateSecret(SecretStore &store, const QString &name, const std::function<QByteArray()> &makeValue)
{
    auto existing = store.read(name);
    if (!existing)
        return existing.error();
    if (existing->has_value())
        return **existing;
    const QByteArray value = makeValue();
    if (auto written = store.write(name, value); !written)
        return written.error();
    return value;
}

Result<std::optional<QByteArray>> MemorySecretStore::read(const QString &name)
{
    std::lock_guard lock(m_mutex);
    const auto it = m_values.constFind(name);
    return it == m_values.cend() ? std::optional<QByteArray>{} : std::optional<QByteArray>{*it};
}

Status MemorySecretStore::write(const QString &name, const QByteArray &value)
{
    std::lock_guard lock(m_mutex);
    m_values.insert(name, value);
    return success();
}

Status MemorySecretStore::remove(const QString &name)
{
    std::lock_guard lock(m_mutex);
    m_values.remove(name);
    return success();
}

FileSecretStore::FileSecretStore(QString path) : m_path(std::move(path)) {}

QString FileSecretStore::description() const
{
    return QStringLiteral("file %1 (mode 0600)").arg(m_path);
}

QString FileSecretStore::environmentName(const QString &secretName)
{
    QString env = QStringLiteral("BW_SECRET_") + secretName.toUpper();
    env.replace(u'-', u'_').replace(u'.', u'_');
    return env;
}

Result<QHash<QString, QByteArray>> FileSecretStore::load() const
{
    QHash<QString, QByteArray> values;
    QFile file(m_path);
    if (!file.exists())
        return values;
    if ((QFileInfo(file).permissions() & (QFile::ReadOther | QFile::ReadGroup | QFile::WriteOther | QFile::WriteGroup)))
        return ApiError::internal(QStringLiteral("secrets file %1 is readable by others; run: chmod 600 %1").arg(m_path));
    if (!file.open(QIODevice::ReadOnly))
        return ApiError::internal(QStringLiteral("cannot read secrets file %1: %2").arg(m_path, file.errorString()));
    const QJsonDocument doc = QJsonDocument::fromJson(file.readAll());
    if (!doc.isObject())
        return ApiError::internal(QStringLiteral("secrets file %1 is not a JSON object").arg(m_path));
    const QJsonObject obj = doc.object();
    for (auto it = obj.begin(); it != obj.end(); ++it)
        values.insert(it.key(), QByteArray::fromBase64(it.value().toString().toLatin1()));
    return values;
}

Status FileSecretStore::save(const QHash<QString, QByteArray> &values) const
{
    QJsonObject obj;
    for (auto it = values.cbegin(); it != values.cend(); ++it)
        obj.insert(it.key(), QString::fromLatin1(it.value().toBase64()));
    QDir().mkpath(QFileInfo(m_path).absolutePath());
    const mode_t old = ::umask(077); // the temporary file must never be readable by others
    QSaveFile file(m_path);
    const bool ok = file.open(QIODevice::WriteOnly) && file.write(QJsonDocument(obj).toJson()) >= 0 && file.commit();
    ::umask(old);
    if (!ok)
        return ApiError::internal(QStringLiteral("cannot write secrets file %1: %2").arg(m_path, file.errorString()));
    QFile::setPermissions(m_path, QFile::ReadOwner | QFile::WriteOwner);
    return success();
}

Result<std::optional<QByteArray>> FileSecretStore::read(const QString &name)
{
    const QByteArray fromEnv = qgetenv(environmentName(name).toLatin1().constData());
    if (!fromEnv.isEmpty())
        return std::optional<QByteArray>{fromEnv};
    std::lock_guard lock(m_mutex);
    auto values = load();
    if (!values)
        return values.error();
    const auto it = values->constFind(name);
    return it == values->cend() ? std::optional<QByteArray>{} : std::optional<QByteArray>{*it};
}

Status FileSecretStore::write(const QString &name, const QByteArray &value)
{
    std::lock_guard lock(m_mutex);
    auto values = load();
    if (!values)
        return values.error();
    values->insert(name, value);
    return save(*values);
}

Status FileSecretStore::remove(const QString &name)
{
    std::lock_guard lock(m_mutex);
    auto values = load();
    if (!values)
        return values.error();
    values->remove(name);
    return save(*values);
}

} // namespace bw
