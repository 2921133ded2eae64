#include "ui/logs/logtailer.h"

#include <QJsonDocument>
#include <QJsonObject>

#include <sys/stat.h>

namespace bw::ui {

namespace {
constexpr qint64 kMaxReadPerPoll = 4 * 1024 * 1024; // a burst is spread over several polls
constexpr int kBatchLines = 2000;

quint64 inodeOf(const QString &path)
{
    struct stat st {};
    return ::stat(QFile::encodeName(path).constData(), &st) == 0 ? quint64(st.st_ino) : 0;
}
} // namespace

int LogEntry::levelRank() const
{
    if (level == QLatin1StringView("debug"))
        return 0;
    if (level == QLatin1StringView("warning"))
        return 2;
    if (level == QLatin1StringView("error") || level == QLatin1StringView("fatal"))
        return 3;
    return 1;
}

LogEntry LogEntry::parse(const QByteArray &line)
{
    LogEntry e;
    e.raw = QString::fromUtf8(line);
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(line, &error);
    if (error.error != QJsonParseError::NoError || !doc.isObject()) {
        e.level = QStringLiteral("raw");
        e.message = e.raw;
        return e;
    }
    const QJsonObject o = doc.object();
    e.time = QDateTime::fromString(o.value(QStringLiteral("time")).toString(), Qt::ISODateWithMs);
    e.level = o.value(QStringLiteral("level")).toString();
    e.category = o.value(QStringLiteral("category")).toString();
    e.message = o.value(QStringLiteral("message")).toString();
    e.requestId = o.value(QStringLiteral("requestId")).toString();
    e.agentId = o.value(QStringLiteral("agentId")).toString();
    if (o.contains(QStringLiteral("fields")))
        e.fields = QString::fromUtf8(QJsonDocument(o.value(QStringLiteral("fields")).toObject()).toJson(QJsonDocument::Compact));
    return e;
}

LogTailer::LogTailer(QObject *parent) : QObject(parent) {}

void LogTailer::follow(const QString &path, qint64 initialBytes, int pollMs)
{
    m_path = path;
    m_initialBytes = initialBytes;
    m_partial.clear();
    m_file.close();
    if (!m_timer) {
        m_timer = new QTimer(this);
        connect(m_timer, &QTimer::timeout, this, &LogTailer::poll);
    }
    m_timer->start(pollMs);
    if (reopen(true))
        readAvailable();
}

void LogTailer::stop()
{
    if (m_timer)
        m_timer->stop();
    m_file.close();
}

bool LogTailer::reopen(bool fromEnd)
{
    m_file.close();
    m_file.setFileName(m_path);
    if (!m_file.open(QIODevice::ReadOnly)) {
        if (!m_missingReported)
            Q_EMIT status(tr("Waiting for the log file %1").arg(m_path));
        m_missingReported = true;
        return false;
    }
    m_missingReported = false;
    m_inode = inodeOf(m_path);
    m_offset = fromEnd ? std::max<qint64>(0, m_file.size() - m_initialBytes) : 0;
    m_partial.clear();
    if (m_offset > 0) { // skip the line we landed in the middle of
        m_file.seek(m_offset);
        const QByteArray head = m_file.read(64 * 1024);
        const qsizetype nl = head.indexOf('\n');
        m_offset += nl < 0 ? head.size() : nl + 1;
    }
    Q_EMIT status(QString());
    return true;
}

void LogTailer::poll()
{
    if (!m_file.isOpen()) {
        if (reopen(false))
            readAvailable();
        return;
    }
    const quint64 inode = inodeOf(m_path);
    if (inode != m_inode) {
        readAvailable();          // what was appended to the old file before it was renamed
        if (!m_partial.isEmpty()) // its last line, even without a newline
            m_partial.append('\n');
        readAvailable();
        if (reopen(false))
            readAvailable();
        return;
    }
    if (m_file.size() < m_offset) // truncated in place
        m_offset = 0;
    readAvailable();
}

void LogTailer::readAvailable()
{
    if (!m_file.isOpen())
        return;
    LogEntries batch;
    const qint64 size = m_file.size();
    if (size > m_offset && m_file.seek(m_offset)) {
        const QByteArray chunk = m_file.read(std::min(kMaxReadPerPoll, size - m_offset));
        m_offset += chunk.size();
        m_partial += chunk;
    }
    qsizetype start = 0;
    for (qsizetype nl = m_partial.indexOf('\n'); nl >= 0; nl = m_partial.indexOf('\n', start)) {
        const QByteArray line = m_partial.mid(start, nl - start).trimmed();
        start = nl + 1;
        if (line.isEmpty())
            continue;
        batch.append(LogEntry::parse(line));
        if (batch.size() >= kBatchLines) {
            Q_EMIT entries(batch);
            batch.clear();
        }
    }
    m_partial.remove(0, start);
    if (!batch.isEmpty())
        Q_EMIT entries(batch);
}

} // namespace bw::ui
