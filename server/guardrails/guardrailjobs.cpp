#include "guardrailjobs.h"

#include "guardrailevaluator.h"

#include "server/jobs/jobsystem.h"

#include <QLoggingCategory>

namespace bw::guardrails {

namespace {
Q_LOGGING_CATEGORY(lcJobs, "bw.guardrails.jobs")
}

jobs::JobHandler makeEvaluationHandler(GuardrailEvaluator &evaluator)
{
    return [&evaluator](const jobs::Job &job, jobs::JobContext &) -> Status {
        const QString id = job.payload.value(QStringLiteral("evaluationId")).toString();
        const bool last = job.lastAttempt();
        auto result = evaluator.evaluate(id, GuardrailEvaluator::Options{.finalAttempt = last});
        if (result)
            return success();
        const ApiError &error = result.error();
        // Nothing to flag (unknown or malformed id): discard at once.
        if (!error.details.value(QStringLiteral("retry")).toBool(true))
            return error;
        if (!last)
            return error; // retried with backoff
        auto flagged = evaluator.flagAsFailed(id, QStringLiteral("evaluation failed after %1 attempts: %2; human review required")
                                                      .arg(job.attempts)
                                                      .arg(error.message.left(500)));
        if (flagged)
            return success();
        // Even the flag could not be written (database down): the job is discarded and the
        // rescue sweep flags the evaluation once the database is back.
        qCCritical(lcJobs).noquote() << "evaluation" << id << "could not be flagged:" << flagged.error().message;
        return flagged.error();
    };
}

void registerGuardrailJobs(jobs::JobSystem &jobs, GuardrailEvaluator &evaluator, jobs::QueueSettings settings)
{
    const QString queue = QString::fromLatin1(kEvaluationQueue);
    jobs.registerHandler(queue, QString::fromLatin1(kEvaluateKind), makeEvaluationHandler(evaluator));
    jobs.registerHandler(queue, QString::fromLatin1(kRescueKind), [&evaluator](const jobs::Job &, jobs::JobContext &) -> Status {
        auto rescued = evaluator.rescueStranded();
        if (!rescued)
            return rescued.error();
        if (*rescued > 0)
            qCWarning(lcJobs) << "flagged" << *rescued << "stranded guardrail evaluations";
        return success();
    });
    settings.backoffBaseMs = 10000;
    settings.backoffCapMs = 5 * 60 * 1000;
    jobs.setQueueSettings(queue, settings);
    jobs.addSchedule(QStringLiteral("guardrails-rescue"), QStringLiteral("*/10 * * * *"), queue,
                     QString::fromLatin1(kRescueKind));
}

} // namespace bw::guardrails
