#pragma once
// Structured logging: every qDebug/qCInfo/… becomes one JSON line (time, level, category, message,
// requestId, agentId, fields) with secrets redacted, written to a rotating file and/or stderr by a
// background flusher so that hot paths only append to a buffer. Thread-safe.

#include <QByteArray>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QString>

#include <functional>

namespace bw::log {

struct Options {
    QString level = QStringLiteral("info"); // debug | info | warning | error
    QString directory;                      // rotating betterworld.log here; empty = no file
    bool toStderr = true;
    qint64 maxFileBytes = 10 * 1024 * 1024;
    int keepFiles = 5;
};

void init(const Options &options);
void shutdown(); // flushes and stops the writer; logging falls back to stderr
void flush();

// Request-scoped values added to every line logged by this thread while the scope lives.
class ScopedContext final {
public:
    explicit ScopedContext(const QString &requestId);
    ~ScopedContext();
    ScopedContext(const ScopedContext &) = delete;
    ScopedContext &operator=(const ScopedContext &) = delete;
    static void setAgentId(const QString &agentId);
    static QString requestId();
};

// A line with extra structured fields (also redacted).
void write(QtMsgType type, const char *category, const QString &message, const QJsonObject &fields = {});

// The access log's line (category bw.http.access): the same line write() produces for these
// fields, formatted without QJsonObject/QJsonDocument because every request writes one.
struct AccessEntry {
    QString message; // "GET /path 200"
    int status = 0;
    QString route;
    double ms = 0;
    QString ip;
    qint64 bytes = 0;
};
void writeAccess(QtMsgType type, const AccessEntry &entry);

// Replaces credentials in free text (Bearer tokens, 64-hex keys, password=…) with "[REDACTED]".
QString redact(const QString &text);
// Redacts values whose key names a secret (authorization, cookie, apiKey, password, *_hash, token…).
QJsonObject redactFields(const QJsonObject &fields);

// Live tail for the desktop Logs panel; called on the writer thread with each formatted line.
int addSink(std::function<void(const QByteArray &line)> sink);
void removeSink(int id);

} // namespace bw::log

Q_DECLARE_LOGGING_CATEGORY(lcApp)
