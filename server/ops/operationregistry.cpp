#include "server/ops/operationregistry.h"

#include <QUuid>

#include <algorithm>

namespace bw::ops {

namespace {
constexpr int kKept = 100;

QString iso(const QDateTime &t)
{
    return t.isValid() ? t.toUTC().toString(Qt::ISODateWithMs) : QString();
}
} // namespace

OperationRegistry::OperationRegistry(std::function<void()> releaseThread) : m_releaseThread(std::move(releaseThread))
{
    m_threads.setObjectName(QStringLiteral("bw-ops")); // the threads take the pool's name
    m_threads.setMaxThreadCount(2);                    // a drill and a backup side by side at most
}

OperationRegistry::~OperationRegistry()
{
    {
        QMutexLocker lock(&m_mutex);
        for (const Entry &e : std::as_const(m_entries))
            if (e.state == u"running")
                e.op->cancel();
    }
    m_threads.waitForDone();
}

Result<QJsonObject> OperationRegistry::start(const Start &what, const QStringList &plan, Work work)
{
    QMutexLocker lock(&m_mutex);
    const auto running = [](const Entry &e) { return e.state == u"running"; };
    const auto exclusiveRunning = [&](const Entry &e) { return running(e) && e.what.exclusive; };
    if (std::any_of(m_entries.cbegin(), m_entries.cend(), exclusiveRunning))
        return ApiError::conflict(QStringLiteral("a restore is running; start this once it has finished"));
    if (what.exclusive && std::any_of(m_entries.cbegin(), m_entries.cend(), running))
        return ApiError::conflict(
            QStringLiteral("other operations are running; a %1 runs alone — wait for them or cancel them").arg(what.kind));

    Entry e;
    e.id = QUuid::createUuid().toString(QUuid::WithoutBraces);
    e.what = what;
    e.op = Operation::create(what.kind, plan);
    e.startedAt = QDateTime::currentDateTimeUtc();
    m_entries.append(e);
    // Forget the oldest finished ones; running ones always stay.
    for (qsizetype i = 0; m_entries.size() > kKept && i < m_entries.size();) {
        if (m_entries.at(i).state != u"running")
            m_entries.removeAt(i);
        else
            ++i;
    }
    const QJsonObject json = toJson(e);
    m_threads.start([this, id = e.id, op = e.op, work = std::move(work)] {
        Result<QJsonObject> outcome = work(op);
        op->finish();
        if (m_releaseThread)
            m_releaseThread();
        finish(id, outcome);
    });
    return json;
}

void OperationRegistry::finish(const QString &id, const Result<QJsonObject> &outcome)
{
    QMutexLocker lock(&m_mutex);
    for (Entry &e : m_entries) {
        if (e.id != id)
            continue;
        e.finishedAt = QDateTime::currentDateTimeUtc();
        if (outcome) {
            e.state = QStringLiteral("succeeded");
            e.result = *outcome;
        } else {
            e.state = Operation::isCancelled(outcome.error()) ? QStringLiteral("cancelled") : QStringLiteral("failed");
            e.error = outcome.error();
        }
    }
}

std::optional<QJsonObject> OperationRegistry::find(const QString &id) const
{
    QMutexLocker lock(&m_mutex);
    for (const Entry &e : m_entries)
        if (e.id == id)
            return toJson(e);
    return std::nullopt;
}

Result<QJsonObject> OperationRegistry::cancel(const QString &id)
{
    QMutexLocker lock(&m_mutex);
    for (const Entry &e : std::as_const(m_entries)) {
        if (e.id != id)
            continue;
        if (e.state != u"running")
            return ApiError::conflict(QStringLiteral("the operation has already %1").arg(e.state));
        if (!e.op->progress().cancellable)
            return ApiError::conflict(QStringLiteral("the operation is past the point of no return and will finish"));
        e.op->cancel();
        return toJson(e);
    }
    return ApiError::notFound(QStringLiteral("no operation %1 on this node").arg(id));
}

QJsonArray OperationRegistry::list() const
{
    QMutexLocker lock(&m_mutex);
    QJsonArray out;
    for (auto it = m_entries.crbegin(); it != m_entries.crend(); ++it)
        out.append(toJson(*it));
    return out;
}

bool OperationRegistry::waitForIdle(int timeoutMs)
{
    return m_threads.waitForDone(timeoutMs);
}

QJsonObject OperationRegistry::toJson(const Entry &e)
{
    const Progress p = e.op->progress();
    QJsonObject o{{QStringLiteral("id"), e.id},
                  {QStringLiteral("kind"), e.what.kind},
                  {QStringLiteral("target"), e.what.target.isEmpty() ? QJsonValue() : QJsonValue(e.what.target)},
                  {QStringLiteral("requestedBy"), e.what.requestedBy},
                  {QStringLiteral("state"), e.state},
                  {QStringLiteral("startedAt"), iso(e.startedAt)},
                  {QStringLiteral("finishedAt"), e.finishedAt.isValid() ? QJsonValue(iso(e.finishedAt)) : QJsonValue()},
                  {QStringLiteral("steps"), QJsonArray::fromStringList(e.op->plannedSteps())},
                  {QStringLiteral("progress"),
                   QJsonObject{{QStringLiteral("step"), p.step},
                               {QStringLiteral("stepLabel"), p.stepLabel},
                               {QStringLiteral("stepIndex"), p.stepIndex},
                               {QStringLiteral("stepCount"), p.stepCount},
                               {QStringLiteral("fraction"), p.fraction < 0 ? QJsonValue() : QJsonValue(p.fraction)},
                               {QStringLiteral("message"), p.message},
                               {QStringLiteral("cancellable"), p.cancellable && e.state == u"running"},
                               {QStringLiteral("cancelRequested"), p.cancelRequested},
                               {QStringLiteral("elapsedMs"), double(p.elapsedMs)}}},
                  {QStringLiteral("log"), QJsonArray::fromStringList(e.op->log())}};
    o.insert(QStringLiteral("result"), e.state == u"succeeded" ? QJsonValue(e.result) : QJsonValue());
    o.insert(QStringLiteral("error"), e.error ? QJsonValue(QJsonObject{{QStringLiteral("code"), e.error->code()},
                                                                       {QStringLiteral("message"), e.error->message},
                                                                       {QStringLiteral("details"), e.error->details}})
                                              : QJsonValue());
    return o;
}

} // namespace bw::ops
