#include "logging.h"

#include "server/core/isotime.h"
#include "server/core/threadrole.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLocale>
#include <QRegularExpression>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <mutex>
#include <thread>

Q_LOGGING_CATEGORY(lcApp, "bw.app")

namespace bw::log {

namespace {

struct ThreadContext {
    QString requestId;
    QString agentId;
};
thread_local ThreadContext t_context;

int levelRank(QtMsgType type)
{
    switch (type) {
    case QtDebugMsg:
        return 0;
    case QtInfoMsg:
        return 1;
    case QtWarningMsg:
        return 2;
    case QtCriticalMsg:
        return 3;
    case QtFatalMsg:
        return 4;
    }
    return 1;
}

const char *levelName(QtMsgType type)
{
    switch (type) {
    case QtDebugMsg:
        return "debug";
    case QtInfoMsg:
        return "info";
    case QtWarningMsg:
        return "warning";
    case QtCriticalMsg:
        return "error";
    case QtFatalMsg:
        return "fatal";
    }
    return "info";
}

// Errors wake the writer at once; everything else waits for its next batch (≤ 200 ms). Not
// `type >= QtCriticalMsg`: QtInfoMsg is 4 in the enum, so that woke the writer (a futex wake, a
// context switch and a write()+flush) for every access-log line.
bool isUrgent(QtMsgType type)
{
    return levelRank(type) >= levelRank(QtCriticalMsg);
}

int rankOf(const QString &level)
{
    if (level == u"debug")
        return 0;
    if (level == u"warning")
        return 2;
    if (level == u"error")
        return 3;
    return 1;
}

// Buffers lines and writes them from one background thread (file rotation happens there too).
class Writer final {
public:
    void start(const Options &options)
    {
        std::lock_guard lock(m_mutex);
        m_options = options;
        m_minRank = rankOf(options.level);
        if (!options.directory.isEmpty()) {
            // Logs hold e-mail addresses and verification codes: private to the service's user. A
            // directory we create is 0700; one that exists keeps what its administrator chose.
            if (!QFileInfo::exists(options.directory) && QDir().mkpath(options.directory))
                QFile::setPermissions(options.directory, kPrivateDir);
            m_file.setFileName(options.directory + QStringLiteral("/betterworld.log"));
            if (!openPrivately())
                std::fprintf(stderr, "cannot open log file %s\n", qPrintable(m_file.fileName()));
        }
        m_running = true;
        m_thread = std::thread([this] {
            setCurrentThreadName("bw-log-writer");
            run();
        });
    }

    void stop()
    {
        {
            std::lock_guard lock(m_mutex);
            if (!m_running)
                return;
            m_running = false;
        }
        m_wake.notify_all();
        if (m_thread.joinable())
            m_thread.join();
        m_file.close();
    }

    bool accepts(QtMsgType type) const { return levelRank(type) >= m_minRank.load(); }
    bool running()
    {
        std::lock_guard lock(m_mutex);
        return m_running;
    }

    void append(const QByteArray &line, bool urgent)
    {
        bool wake = urgent;
        {
            std::lock_guard lock(m_mutex);
            if (!m_running) {
                std::fwrite(line.constData(), 1, size_t(line.size()), stderr);
                return;
            }
            m_pending += line;
            wake = wake || m_pending.size() > 64 * 1024; // under the lock: the writer swaps m_pending
        }
        if (wake)
            m_wake.notify_all();
    }

    void flushNow()
    {
        QByteArray batch;
        {
            std::lock_guard lock(m_mutex);
            batch.swap(m_pending);
        }
        output(batch);
    }

    int addSink(std::function<void(const QByteArray &)> sink)
    {
        std::lock_guard lock(m_sinkMutex);
        m_sinks.emplace(++m_nextSink, std::move(sink));
        return m_nextSink;
    }
    void removeSink(int id)
    {
        std::lock_guard lock(m_sinkMutex);
        m_sinks.erase(id);
    }

private:
    void run()
    {
        std::unique_lock lock(m_mutex);
        while (m_running) {
            m_wake.wait_for(lock, std::chrono::milliseconds(200));
            QByteArray batch;
            batch.swap(m_pending);
            lock.unlock();
            output(batch);
            lock.lock();
        }
        QByteArray rest;
        rest.swap(m_pending);
        lock.unlock();
        output(rest);
    }

    void output(const QByteArray &batch)
    {
        if (batch.isEmpty())
            return;
        std::lock_guard lock(m_outputMutex);
        if (m_options.toStderr)
            std::fwrite(batch.constData(), 1, size_t(batch.size()), stderr);
        if (!m_file.isOpen() && !m_file.fileName().isEmpty())
            reopenAfterFailure();
        if (m_file.isOpen()) {
            m_file.write(batch);
            m_file.flush();
            if (m_file.size() > m_options.maxFileBytes)
                rotate();
        }
        std::lock_guard sinkLock(m_sinkMutex);
        if (!m_sinks.empty()) {
            for (const QByteArray &line : batch.split('\n'))
                if (!line.isEmpty())
                    for (auto &[id, sink] : m_sinks)
                        sink(line);
        }
    }

    void rotate()
    {
        const QString base = m_file.fileName();
        m_file.close();
        QFile::remove(base + u'.' + QString::number(m_options.keepFiles));
        for (int i = m_options.keepFiles - 1; i >= 1; --i)
            QFile::rename(base + u'.' + QString::number(i), base + u'.' + QString::number(i + 1));
        QFile::rename(base, base + QStringLiteral(".1"));
        m_file.setFileName(base);
        openPrivately();
    }

    static constexpr QFileDevice::Permissions kPrivateFile = QFileDevice::ReadOwner | QFileDevice::WriteOwner;
    static constexpr QFileDevice::Permissions kPrivateDir = kPrivateFile | QFileDevice::ExeOwner;
    static constexpr QFileDevice::Permissions kOthers = QFileDevice::ReadGroup | QFileDevice::WriteGroup | QFileDevice::ExeGroup
                                                        | QFileDevice::ReadOther | QFileDevice::WriteOther
                                                        | QFileDevice::ExeOther;

    // A file that could not be (re)opened — e.g. out of descriptors during a flood — is retried at
    // most once a second, so file logging comes back by itself when the cause goes away.
    void reopenAfterFailure()
    {
        const auto now = std::chrono::steady_clock::now();
        if (now < m_nextReopen)
            return;
        m_nextReopen = now + std::chrono::seconds(1);
        openPrivately();
    }

    // 0600 when created, and tightened when an older version left it 0644.
    bool openPrivately()
    {
        if (!m_file.open(QIODevice::Append | QIODevice::WriteOnly, kPrivateFile))
            return false;
        if (m_file.permissions() & kOthers)
            m_file.setPermissions(kPrivateFile);
        return true;
    }

    std::chrono::steady_clock::time_point m_nextReopen{}; // guarded by m_outputMutex
    std::mutex m_mutex;
    std::mutex m_outputMutex;
    std::mutex m_sinkMutex;
    std::condition_variable m_wake;
    std::thread m_thread;
    QByteArray m_pending;
    Options m_options;
    std::atomic<int> m_minRank{1};
    bool m_running = false;
    QFile m_file;
    std::map<int, std::function<void(const QByteArray &)>> m_sinks;
    int m_nextSink = 0;
};

Writer &writer()
{
    static Writer *w = new Writer; // leaked on purpose: logging may happen during static destruction
    return *w;
}

// Appends text as a JSON string, escaped exactly as QJsonDocument escapes it (short escapes for
// \b \f \n \r \t, \u00XX for other control characters, UTF-8 otherwise, \uXXXX for lone
// surrogates), so hand-built lines are byte-identical to the QJsonDocument ones they replace.
void appendJsonString(QByteArray &out, QStringView text)
{
    static const char hex[] = "0123456789abcdef";
    out += '"';
    for (qsizetype i = 0; i < text.size(); ++i) {
        const char16_t u = text[i].unicode();
        if (u >= 0x20 && u < 0x80 && u != '"' && u != '\\') {
            out += char(u);
        } else if (u < 0x80) {
            out += '\\';
            switch (u) {
            case '"':
                out += '"';
                break;
            case '\\':
                out += '\\';
                break;
            case '\b':
                out += 'b';
                break;
            case '\f':
                out += 'f';
                break;
            case '\n':
                out += 'n';
                break;
            case '\r':
                out += 'r';
                break;
            case '\t':
                out += 't';
                break;
            default:
                out += "u00";
                out += hex[u >> 4];
                out += hex[u & 0xf];
            }
        } else if (QChar::isHighSurrogate(u) && i + 1 < text.size() && QChar::isLowSurrogate(text[i + 1].unicode())) {
            out += text.mid(i, 2).toUtf8();
            ++i;
        } else if (QChar::isSurrogate(u)) {
            out += "\\u";
            for (int shift = 12; shift >= 0; shift -= 4)
                out += hex[(u >> shift) & 0xf];
        } else {
            out += text.mid(i, 1).toUtf8();
        }
    }
    out += '"';
}

// One JSON line: {"agentId","category","fields","level","message","requestId","time"} in
// QJsonObject's (sorted) key order. fieldsJson is an already serialised (and redacted) object or empty.
QByteArray formatLine(QtMsgType type, const char *category, const QString &message, const QByteArray &fieldsJson)
{
    QByteArray line;
    line.reserve(160 + message.size() + fieldsJson.size());
    line += '{';
    if (!t_context.agentId.isEmpty()) {
        line += "\"agentId\":";
        appendJsonString(line, t_context.agentId);
        line += ',';
    }
    line += "\"category\":";
    appendJsonString(line, QString::fromLatin1(category ? category : "default"));
    if (!fieldsJson.isEmpty()) {
        line += ",\"fields\":";
        line += fieldsJson;
    }
    line += ",\"level\":\"";
    line += levelName(type);
    line += "\",\"message\":";
    appendJsonString(line, redact(message));
    if (!t_context.requestId.isEmpty()) {
        line += ",\"requestId\":";
        appendJsonString(line, t_context.requestId);
    }
    line += ",\"time\":\"";
    line += isoUtcNowMs();
    line += "\"}\n";
    return line;
}

void messageHandler(QtMsgType type, const QMessageLogContext &context, const QString &message)
{
    if (!writer().accepts(type))
        return;
    writer().append(formatLine(type, context.category, message, QByteArray()), isUrgent(type));
    if (type == QtFatalMsg) {
        writer().flushNow();
        std::abort();
    }
}

bool isSecretKey(const QString &key)
{
    static const QRegularExpression secret(
        QStringLiteral("authorization|cookie|api[_-]?key|password|passwd|secret|token|_hash$|Hash$"),
        QRegularExpression::CaseInsensitiveOption);
    return secret.match(key).hasMatch();
}

} // namespace

void init(const Options &options)
{
    writer().start(options);
    qInstallMessageHandler(messageHandler);
}

void shutdown()
{
    writer().stop();
}

void flush()
{
    writer().flushNow();
}

ScopedContext::ScopedContext(const QString &requestId)
{
    t_context = {requestId, {}};
}
ScopedContext::~ScopedContext()
{
    t_context = {};
}
void ScopedContext::setAgentId(const QString &agentId)
{
    t_context.agentId = agentId;
}
QString ScopedContext::requestId()
{
    return t_context.requestId;
}

void write(QtMsgType type, const char *category, const QString &message, const QJsonObject &fields)
{
    if (!writer().accepts(type))
        return;
    const QByteArray fieldsJson =
        fields.isEmpty() ? QByteArray() : QJsonDocument(redactFields(fields)).toJson(QJsonDocument::Compact);
    writer().append(formatLine(type, category, message, fieldsJson), isUrgent(type));
}

void writeAccess(QtMsgType type, const AccessEntry &entry)
{
    if (!writer().accepts(type))
        return;
    // The fields object write() would build from a QJsonObject (keys sorted, strings redacted), by
    // hand: QJsonObject + redactFields (a regex per key) + QJsonDocument was a third of a /health
    // request's CPU.
    QByteArray fields;
    fields.reserve(96 + entry.route.size() + entry.ip.size());
    fields += "{\"bytes\":";
    fields += QByteArray::number(entry.bytes);
    fields += ",\"ip\":";
    appendJsonString(fields, redact(entry.ip));
    fields += ",\"ms\":";
    fields += QByteArray::number(entry.ms, 'g', QLocale::FloatingPointShortest);
    fields += ",\"route\":";
    appendJsonString(fields, redact(entry.route));
    fields += ",\"status\":";
    fields += QByteArray::number(entry.status);
    fields += '}';
    writer().append(formatLine(type, "bw.http.access", entry.message, fields), isUrgent(type));
}

QString redact(const QString &text)
{
    static const QRegularExpression patterns(
        QStringLiteral(
            R"((Bearer\s+)[A-Za-z0-9._~+/=-]+|\b[0-9a-f]{64}\b|((?:password|passwd|pwd|api_?key|token|secret)\s*[=:]\s*)("[^"]*"|\S+))"),
        QRegularExpression::CaseInsensitiveOption);
    if (!text.contains(u'=') && !text.contains(u':') && !text.contains(QStringLiteral("earer"), Qt::CaseInsensitive)
        && text.size() < 64)
        return text; // fast path: nothing that could hold a credential
    QString out;
    qsizetype last = 0;
    auto it = patterns.globalMatch(text);
    while (it.hasNext()) {
        const auto m = it.next();
        out += QStringView(text).mid(last, m.capturedStart() - last);
        if (!m.captured(1).isEmpty())
            out += m.captured(1) + QStringLiteral("[REDACTED]");
        else if (!m.captured(2).isEmpty())
            out += m.captured(2) + QStringLiteral("[REDACTED]");
        else
            out += QStringLiteral("[REDACTED]");
        last = m.capturedEnd();
    }
    out += QStringView(text).mid(last);
    return out;
}

namespace {
QJsonArray redactArray(const QJsonArray &items)
{
    QJsonArray out;
    for (const QJsonValue &v : items) {
        if (v.isObject())
            out.append(redactFields(v.toObject()));
        else if (v.isArray())
            out.append(redactArray(v.toArray()));
        else if (v.isString())
            out.append(redact(v.toString()));
        else
            out.append(v);
    }
    return out;
}
} // namespace

QJsonObject redactFields(const QJsonObject &fields)
{
    QJsonObject out;
    for (auto it = fields.begin(); it != fields.end(); ++it) {
        if (isSecretKey(it.key()))
            out.insert(it.key(), QStringLiteral("[REDACTED]"));
        else if (it.value().isObject())
            out.insert(it.key(), redactFields(it.value().toObject()));
        else if (it.value().isArray())
            out.insert(it.key(), redactArray(it.value().toArray()));
        else if (it.value().isString())
            out.insert(it.key(), redact(it.value().toString()));
        else
            out.insert(it.key(), it.value());
    }
    return out;
}

int addSink(std::function<void(const QByteArray &line)> sink)
{
    return writer().addSink(std::move(sink));
}
void removeSink(int id)
{
    writer().removeSink(id);
}

} // namespace bw::log
