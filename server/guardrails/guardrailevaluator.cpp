#include "guardrailevaluator.h"

#include "classifierhub.h"
#include "classifierprompt.h"
#include "guardrailcache.h"
#include "guardrailsettings.h"
#include "textnormaliser.h"
#include "writeback.h"

#include "server/core/ids.h"
#include "server/core/metrics.h"
#include "server/db/database.h"
#include "server/db/sql.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QJsonDocument>
#include <QLoggingCategory>
#include <QSqlQuery>

namespace bw::guardrails {

namespace {
Q_LOGGING_CATEGORY(lcEval, "bw.guardrails")

constexpr int kMaxTokens = 1024;
constexpr int kExpectedOutputTokens = 300; // a typical verdict; the estimate is settled afterwards

ApiError retryLater(const QString &why, int retryAfterSeconds = -1)
{
    QJsonObject details{{QStringLiteral("retry"), true}};
    if (retryAfterSeconds >= 0)
        details.insert(QStringLiteral("retryAfterSeconds"), retryAfterSeconds);
    return ApiError::make(ErrorKind::ServiceUnavailable, why, details);
}

ApiError permanent(ErrorKind kind, const QString &why)
{
    return ApiError::make(kind, why, QJsonObject{{QStringLiteral("retry"), false}});
}

QJsonObject skipped(const QString &status, const QString &reason)
{
    return QJsonObject{{QStringLiteral("status"), status}, {QStringLiteral("reason"), reason}};
}
} // namespace

struct GuardrailEvaluator::Loaded {
    QString evaluationId;
    QString contentType;
    QString agentId;
    QString origin;
    QString finalDecision;
    QJsonValue content;
    TrustTier tier = TrustTier::New;
};

struct GuardrailEvaluator::LayerBOutcome {
    std::optional<ClassifierVerdict> verdict;
    QString unavailableReason;
    QJsonObject result;
    bool cacheHit = false;
    QString cacheKey;
    QString provider;
    double costCents = 0;
};

GuardrailEvaluator::GuardrailEvaluator(db::Database &db, GuardrailSettingsStore &settings, ClassifierHub &classifiers,
                                       MetricsRegistry *metrics)
    : m_db(db), m_settings(settings), m_classifiers(classifiers), m_metrics(metrics), m_budget(metrics)
{
}

GuardrailEvaluator::~GuardrailEvaluator() = default;

Result<GuardrailEvaluator::Loaded> GuardrailEvaluator::load(const QString &evaluationId, const GuardrailConfig &policy)
{
    // Trust tier (step 2) in the same round trip: account age, and approved evaluations counted
    // up to the threshold (auto-approved ones plus those a moderator approved).
    static const QString sql = QStringLiteral(
        "SELECT e.content_type, e.agent_id::text, e.origin, coalesce(e.final_decision, ''), e.submitted_content::text,"
        " a.created_at <= now() - make_interval(days => ?),"
        " (SELECT count(*) FROM (SELECT 1 FROM guardrail_evaluations x WHERE x.agent_id = e.agent_id"
        "   AND x.final_decision = 'approved' AND x.origin = 'content' LIMIT ?) t1)"
        " + (SELECT count(*) FROM (SELECT 1 FROM flagged_content f WHERE f.agent_id = e.agent_id"
        "   AND f.status = 'approved' LIMIT ?) t2)"
        " FROM guardrail_evaluations e JOIN agents a ON a.id = e.agent_id WHERE e.id = ?::uuid");
    const int needed = std::max(1, policy.verifiedMinApproved);
    auto q = db::execCached(m_db.connection(), sql, {policy.verifiedMinAgeDays, needed, needed, evaluationId});
    if (!q)
        return retryLater(q.error().message);
    if (!q->next())
        return permanent(ErrorKind::NotFound, QStringLiteral("guardrail evaluation %1 does not exist").arg(evaluationId));
    Loaded l;
    l.evaluationId = evaluationId;
    l.contentType = q->value(0).toString();
    l.agentId = q->value(1).toString();
    l.origin = q->value(2).toString();
    l.finalDecision = q->value(3).toString();
    const QJsonDocument doc = QJsonDocument::fromJson(q->value(4).toString().toUtf8());
    l.content = doc.isObject() ? QJsonValue(doc.object()) : doc.isArray() ? QJsonValue(doc.array()) : QJsonValue();
    const bool oldEnough = q->value(5).toBool();
    const int approved = q->value(6).toInt();
    l.tier = oldEnough && approved >= policy.verifiedMinApproved ? TrustTier::Verified : TrustTier::New;
    return l;
}

Result<GuardrailEvaluator::LayerBOutcome> GuardrailEvaluator::layerB(const Loaded &item, const PolicySnapshot &snapshot,
                                                                     Options options)
{
    const GuardrailConfig &policy = snapshot.policy;
    LayerBOutcome out;
    const QString labelled = labelledTextOf(item.content);
    out.cacheKey = cacheKey(labelled, item.contentType);

    // Step 4: cache.
    if (policy.cacheTtlSeconds > 0) {
        auto cached = cache::lookup(m_db.connection(), out.cacheKey);
        if (!cached)
            return retryLater(cached.error().message);
        if (*cached) {
            if (auto verdict = ClassifierVerdict::fromJson(**cached, item.contentType)) {
                out.verdict = *verdict;
                out.cacheHit = true;
                out.result = **cached;
                out.result.insert(QStringLiteral("status"), QStringLiteral("ok"));
                out.result.insert(QStringLiteral("cacheHit"), true);
                out.provider = (*cached)->value(QStringLiteral("provider")).toString();
                if (m_metrics)
                    m_metrics
                        ->counter(QStringLiteral("guardrail_cache_lookups_total"), QStringLiteral("Classifier cache lookups"),
                                  {{QStringLiteral("result"), QStringLiteral("hit")}})
                        .inc();
                return out;
            }
        }
        if (m_metrics)
            m_metrics
                ->counter(QStringLiteral("guardrail_cache_lookups_total"), QStringLiteral("Classifier cache lookups"),
                          {{QStringLiteral("result"), QStringLiteral("miss")}})
                .inc();
    }

    // Step 6 preconditions: a provider, a closed (or trial) circuit, budget (step 5).
    const ClassifierHub::Active active = m_classifiers.active(policy);
    if (!active.provider) {
        out.unavailableReason = active.unavailableReason;
        out.result = skipped(QStringLiteral("unavailable"), out.unavailableReason);
        out.provider = QStringLiteral("none");
        return out;
    }
    const ClassifierProvider &provider = *active.provider;
    out.provider = provider.name();
    if (!active.breaker->allow()) {
        out.unavailableReason = QStringLiteral("classifier circuit open (provider failing): human review required");
        out.result = skipped(QStringLiteral("circuit_open"), out.unavailableReason);
        return out;
    }

    ClassifierCall call{classifierSystemPrompt(item.contentType, snapshot.patterns->names()),
                        classifierUserMessage(item.contentType, labelled), kMaxTokens, policy.timeoutMs};
    const double priceIn =
        policy.priceInputCentsPerMTok >= 0 ? policy.priceInputCentsPerMTok : provider.defaultInputCentsPerMTok();
    const double priceOut =
        policy.priceOutputCentsPerMTok >= 0 ? policy.priceOutputCentsPerMTok : provider.defaultOutputCentsPerMTok();
    const double estimate =
        (call.systemPrompt.size() + call.userMessage.size()) / 4.0 * priceIn / 1e6 + kExpectedOutputTokens * priceOut / 1e6;
    auto reservation = m_budget.reserve(m_db.connection(), estimate, policy.budgetCents);
    if (!reservation) {
        active.breaker->release();
        return retryLater(reservation.error().message);
    }
    if (!reservation->granted) {
        active.breaker->release();
        out.unavailableReason =
            QStringLiteral("daily AI budget of %1 cents spent: human review required").arg(policy.budgetCents);
        out.result = skipped(QStringLiteral("budget_exhausted"), out.unavailableReason);
        return out;
    }

    QElapsedTimer callTimer;
    callTimer.start();
    const ClassifierReply reply = provider.classify(call);
    const qint64 latencyMs = callTimer.elapsed();
    const bool usage = reply.inputTokens > 0 || reply.outputTokens > 0;
    out.costCents =
        usage ? reply.inputTokens * priceIn / 1e6 + reply.outputTokens * priceOut / 1e6 : (reply.ok() ? estimate : 0.0);
    if (Status settled = m_budget.settle(m_db.connection(), *reservation, out.costCents, policy.budgetCents); !settled)
        qCWarning(lcEval).noquote() << "AI spend not settled:" << settled.error().message;

    reply.breakerFailure() ? active.breaker->recordFailure() : active.breaker->recordSuccess();

    std::optional<Result<ClassifierVerdict>> verdict;
    if (reply.ok())
        verdict = ClassifierVerdict::parse(reply.text, item.contentType);
    const QString outcome = !reply.ok() ? ClassifierReply::failureName(reply.failure)
                            : *verdict  ? QStringLiteral("ok")
                                        : QStringLiteral("invalid_output");
    if (m_metrics)
        m_metrics
            ->counter(QStringLiteral("guardrail_classifier_calls_total"), QStringLiteral("Classifier calls by outcome"),
                      {{QStringLiteral("provider"), provider.name()}, {QStringLiteral("outcome"), outcome}})
            .inc();

    if (!reply.ok() || !*verdict) {
        const QString why =
            !reply.ok() ? QStringLiteral("classifier %1: %2").arg(outcome, reply.message) : verdict->error().message;
        const bool retryable = !reply.ok() ? reply.retryable() : true;
        qCWarning(lcEval).noquote() << "evaluation" << item.evaluationId << why
                                    << (retryable && !options.finalAttempt ? "(will retry)" : "(final)");
        if (retryable && !options.finalAttempt)
            return retryLater(why, reply.retryAfterSeconds);
        out.unavailableReason = QStringLiteral("%1; human review required").arg(why.left(500));
        out.result = skipped(QStringLiteral("failed"), out.unavailableReason);
        return out;
    }

    out.verdict = verdict->value();
    QJsonObject cached = out.verdict->toJson();
    cached.insert(QStringLiteral("provider"), provider.name());
    cached.insert(QStringLiteral("model"), provider.model());
    if (policy.cacheTtlSeconds > 0) {
        if (Status stored = cache::store(m_db.connection(), out.cacheKey, cached, policy.cacheTtlSeconds); !stored)
            qCWarning(lcEval).noquote() << "classifier cache not written:" << stored.error().message;
    }
    out.result = cached;
    out.result.insert(QStringLiteral("status"), QStringLiteral("ok"));
    out.result.insert(QStringLiteral("cacheHit"), false);
    out.result.insert(QStringLiteral("latencyMs"), latencyMs);
    out.result.insert(QStringLiteral("inputTokens"), reply.inputTokens);
    out.result.insert(QStringLiteral("outputTokens"), reply.outputTokens);
    out.result.insert(QStringLiteral("costCents"), out.costCents);
    return out;
}

Result<EvaluationOutcome> GuardrailEvaluator::evaluate(const QString &evaluationId, Options options)
{
    QElapsedTimer timer;
    timer.start();
    if (!ids::isUuid(evaluationId))
        return permanent(ErrorKind::BadRequest, QStringLiteral("'%1' is not an evaluation id").arg(evaluationId));
    auto snapshot = m_settings.current();
    if (!snapshot)
        return retryLater(snapshot.error().message);
    const GuardrailConfig &policy = (*snapshot)->policy;
    auto item = load(evaluationId, policy);
    if (!item)
        return item.error();

    EvaluationOutcome outcome;
    outcome.evaluationId = evaluationId;
    outcome.trustTier = tierName(item->tier);
    if (!item->finalDecision.isEmpty()) {
        outcome.finalDecision = item->finalDecision;
        outcome.alreadyDecided = true;
        return outcome;
    }

    WriteBack w;
    w.evaluationId = evaluationId;
    w.trustTier = outcome.trustTier;
    DecisionInput in;
    in.tier = item->tier;
    in.contentType = item->contentType;

    // Step 3: Layer A on every string of the submission.
    QElapsedTimer layerATimer;
    layerATimer.start();
    const QList<PatternMatch> matches = (*snapshot)->patterns->match(textOf(item->content));
    w.layerA = (*snapshot)->patterns->resultJson(matches);
    w.layerA.insert(QStringLiteral("durationUs"), layerATimer.nsecsElapsed() / 1000);
    in.layerAMatched = !matches.isEmpty();
    if (m_metrics) {
        for (const PatternMatch &m : matches)
            m_metrics
                ->counter(QStringLiteral("guardrail_layer_a_matches_total"), QStringLiteral("Layer A pattern matches"),
                          {{QStringLiteral("pattern"), m.pattern}})
                .inc();
    }

    if (!in.layerAMatched) {
        auto b = layerB(*item, **snapshot, options);
        if (!b)
            return b.error();
        in.verdict = b->verdict;
        in.unavailableReason = b->unavailableReason;
        w.layerB = b->result;
        w.cacheHit = b->cacheHit;
        w.cacheKey = b->cacheKey;
        w.provider = b->provider;
        w.costCents = b->costCents;
    }

    // Step 7: the decision table.
    const Decision d = decide(in, policy);
    w.finalDecision = d.finalDecision;
    w.reason = d.reason;
    w.compositeScore = d.compositeScore;
    if (in.verdict) {
        w.alignmentScore = in.verdict->alignmentScore;
        w.alignmentDomain = in.verdict->alignedDomain;
        w.solutionScores = in.verdict->solutionScores;
    }
    w.durationMs = int(timer.elapsed());

    // Step 8: one statement writes the evaluation, the content row and the review-queue row.
    auto written = writeBack(m_db.connection(), item->contentType, w);
    if (!written)
        return retryLater(written.error().message);
    outcome.finalDecision = d.finalDecision;
    outcome.reason = d.reason;
    outcome.cacheHit = w.cacheHit;
    outcome.alreadyDecided = !written->evaluationUpdated;
    outcome.contentUpdated = written->contentUpdated;
    outcome.flaggedQueued = written->flaggedQueued;
    if (written->evaluationUpdated)
        record(outcome, timer.nsecsElapsed() / 1e9);
    maybePruneCache();
    return outcome;
}

Result<EvaluationOutcome> GuardrailEvaluator::flagAsFailed(const QString &evaluationId, const QString &reason)
{
    if (!ids::isUuid(evaluationId))
        return permanent(ErrorKind::BadRequest, QStringLiteral("'%1' is not an evaluation id").arg(evaluationId));
    auto q = db::execCached(m_db.connection(),
                            QStringLiteral("SELECT content_type FROM guardrail_evaluations WHERE id = ?::uuid"), {evaluationId});
    if (!q)
        return q.error();
    if (!q->next())
        return permanent(ErrorKind::NotFound, QStringLiteral("guardrail evaluation %1 does not exist").arg(evaluationId));
    const QString contentType = q->value(0).toString();

    WriteBack w;
    w.evaluationId = evaluationId;
    w.finalDecision = QStringLiteral("flagged");
    w.reason = reason.left(1000);
    w.layerB = skipped(QStringLiteral("failed"), w.reason);
    auto written = writeBack(m_db.connection(), contentType, w);
    if (!written && db::sqlState(written.error()) == QLatin1String("42P01")) {
        // The content table does not exist (yet): at least the evaluation must leave `pending`.
        qCCritical(lcEval).noquote() << "no table for content type" << contentType << "; flagging the evaluation only";
        written = writeBack(m_db.connection(), contentType, w, false);
    }
    if (!written)
        return written.error();
    EvaluationOutcome outcome;
    outcome.evaluationId = evaluationId;
    outcome.finalDecision = w.finalDecision;
    outcome.reason = w.reason;
    outcome.alreadyDecided = !written->evaluationUpdated;
    outcome.contentUpdated = written->contentUpdated;
    outcome.flaggedQueued = written->flaggedQueued;
    if (written->evaluationUpdated) {
        qCWarning(lcEval).noquote() << "evaluation" << evaluationId << "flagged after failure:" << w.reason;
        record(outcome, -1);
    }
    return outcome;
}

Result<int> GuardrailEvaluator::rescueStranded(std::chrono::seconds olderThan, int limit)
{
    auto q = db::execCached(
        m_db.connection(),
        QStringLiteral("SELECT e.id::text FROM guardrail_evaluations e"
                       " WHERE e.final_decision IS NULL AND e.created_at < now() - make_interval(secs => ?)"
                       " AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.queue = 'guardrail-evaluation'"
                       "  AND j.state IN ('available', 'running', 'retryable') AND j.payload->>'evaluationId' = e.id::text)"
                       " ORDER BY e.created_at LIMIT ?"),
        {qint64(olderThan.count()), limit});
    if (!q)
        return q.error();
    QStringList stranded;
    while (q->next())
        stranded << q->value(0).toString();
    int flagged = 0;
    for (const QString &id : std::as_const(stranded)) {
        auto r = flagAsFailed(id, QStringLiteral("evaluation did not complete (job lost or discarded): human review required"));
        if (!r)
            return r.error();
        flagged += r->alreadyDecided ? 0 : 1;
    }
    return flagged;
}

void GuardrailEvaluator::record(const EvaluationOutcome &o, double seconds)
{
    qCInfo(lcEval).noquote() << "evaluation" << o.evaluationId << o.finalDecision << "tier" << o.trustTier
                             << (o.cacheHit ? "cache hit" : "") << "-" << o.reason;
    if (!m_metrics)
        return;
    static const std::vector<double> buckets{0.1, 0.5, 1, 2, 5, 10, 30};
    if (seconds >= 0) // not for failures flagged by the queue: there was no evaluation to time
        m_metrics
            ->histogram(QStringLiteral("guardrail_evaluation_duration_seconds"),
                        QStringLiteral("Time to evaluate content through guardrails"), buckets,
                        {{QStringLiteral("decision"), o.finalDecision}})
            .observe(seconds);
    m_metrics
        ->counter(QStringLiteral("guardrail_evaluations_total"), QStringLiteral("Guardrail decisions"),
                  {{QStringLiteral("decision"), o.finalDecision}, {QStringLiteral("tier"), o.trustTier}})
        .inc();
}

void GuardrailEvaluator::maybePruneCache()
{
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    qint64 last = m_lastPruneMs.load();
    if (now - last < 5 * 60 * 1000 || !m_lastPruneMs.compare_exchange_strong(last, now))
        return;
    if (auto pruned = cache::prune(m_db.connection()); !pruned)
        qCWarning(lcEval).noquote() << "classifier cache prune failed:" << pruned.error().message;
}

} // namespace bw::guardrails
