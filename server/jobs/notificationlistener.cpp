#include "server/jobs/notificationlistener_p.h"

#include <QLoggingCategory>

#include <libpq-fe.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

namespace bw::jobs::detail {

namespace {
Q_LOGGING_CATEGORY(lcListen, "bw.jobs.listen")
}

struct NotificationListener::Shared {
    std::shared_ptr<Core> core;
    db::ConnectionSettings settings;
    int stopFd = -1;
    std::atomic_bool stop{false};
    std::atomic_bool listening{false};

    ~Shared()
    {
        if (stopFd >= 0)
            ::close(stopFd);
    }

    PGconn *connect() const
    {
        const QByteArray host = settings.host.toUtf8(), port = QByteArray::number(settings.port),
                         dbname = settings.database.toUtf8(), user = settings.user.toUtf8(),
                         password = settings.password.toUtf8(), sslmode = settings.sslMode.toUtf8(),
                         app = (settings.applicationName + QStringLiteral("-listen")).toUtf8(), timeout = QByteArrayLiteral("10");
        std::vector<const char *> keys, values;
        const auto add = [&](const char *k, const QByteArray &v) {
            if (!v.isEmpty()) {
                keys.push_back(k);
                values.push_back(v.constData());
            }
        };
        add("host", host);
        add("port", port);
        add("dbname", dbname);
        add("user", user);
        add("password", password);
        add("sslmode", sslmode);
        add("application_name", app);
        add("connect_timeout", timeout);
        keys.push_back(nullptr);
        values.push_back(nullptr);
        return PQconnectdbParams(keys.data(), values.data(), 0);
    }

    // Sleeps up to ms unless stop is requested (the eventfd becomes readable).
    void pause(int ms) const
    {
        pollfd p{stopFd, POLLIN, 0};
        ::poll(&p, 1, ms);
    }

    void run()
    {
        PGconn *conn = nullptr;
        int retryMs = 250;
        qint64 lastLog = 0;
        while (!stop) {
            if (!conn) {
                conn = connect();
                bool ok = PQstatus(conn) == CONNECTION_OK;
                if (ok) {
                    const QByteArray listen = QByteArray("LISTEN ") + QByteArray(kNotifyChannel);
                    PGresult *res = PQexec(conn, listen.constData());
                    ok = PQresultStatus(res) == PGRES_COMMAND_OK;
                    PQclear(res);
                }
                if (!ok) {
                    const qint64 now = QDateTime::currentMSecsSinceEpoch();
                    if (now - lastLog > 10000) {
                        lastLog = now;
                        qCWarning(lcListen).noquote() << "cannot LISTEN; workers fall back to polling:"
                                                      << QString::fromUtf8(PQerrorMessage(conn)).trimmed();
                    }
                    PQfinish(conn);
                    conn = nullptr;
                    pause(retryMs);
                    retryMs = std::min(retryMs * 2, 5000);
                    continue;
                }
                retryMs = 250;
                listening = true;
                core->wakeAllQueues(); // whatever arrived while we were not listening
            }
            pollfd fds[2] = {{PQsocket(conn), POLLIN, 0}, {stopFd, POLLIN, 0}};
            const int n = ::poll(fds, 2, 1000);
            if (n < 0 && errno != EINTR)
                pause(100);
            if (stop)
                break;
            if (n > 0 && (fds[0].revents & (POLLIN | POLLERR | POLLHUP))) {
                if (!PQconsumeInput(conn) || PQstatus(conn) != CONNECTION_OK) {
                    qCInfo(lcListen).noquote() << "listen connection lost:" << QString::fromUtf8(PQerrorMessage(conn)).trimmed();
                    listening = false;
                    PQfinish(conn);
                    conn = nullptr;
                    continue;
                }
            }
            while (PGnotify *note = PQnotifies(conn)) {
                if (auto q = core->queue(QString::fromUtf8(note->extra)))
                    q->wakeOne();
                PQfreemem(note);
            }
        }
        listening = false;
        if (conn)
            PQfinish(conn);
    }
};

NotificationListener::NotificationListener(std::shared_ptr<Core> core, db::ConnectionSettings settings)
    : m_shared(std::make_shared<Shared>())
{
    m_shared->core = std::move(core);
    m_shared->settings = std::move(settings);
    m_shared->stopFd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
}

NotificationListener::~NotificationListener()
{
    stop(2000);
}

void NotificationListener::start()
{
    m_thread.start("bw-job-listen", [shared = m_shared] { shared->run(); });
}

bool NotificationListener::stop(int timeoutMs)
{
    if (!m_shared->stop.exchange(true)) {
        const quint64 one = 1;
        if (m_shared->stopFd >= 0)
            (void)!::write(m_shared->stopFd, &one, sizeof one);
    }
    return m_thread.wait(QDeadlineTimer(timeoutMs));
}

bool NotificationListener::listening() const
{
    return m_shared->listening;
}

} // namespace bw::jobs::detail
