#pragma once
// Connects the evaluator to the job queue: the handler for ("guardrail-evaluation", "evaluate")
// and a 10-minute sweep for evaluations whose job vanished. The handler runs on the queue's
// worker threads. On the last attempt every failure ends in `flagged` with the reason (no content
// is ever stranded in `pending`); earlier failures are retried with backoff.

#include "server/jobs/job.h"

namespace bw::jobs {
class JobSystem;
}

namespace bw::guardrails {

class GuardrailEvaluator;

inline constexpr auto kEvaluationQueue = "guardrail-evaluation";
inline constexpr auto kEvaluateKind = "evaluate";
inline constexpr auto kRescueKind = "rescue-stranded";

jobs::JobHandler makeEvaluationHandler(GuardrailEvaluator &evaluator);

// Registers the handlers and the rescue schedule, and sets the queue's settings: `queue` (the
// node's concurrency and lease) with a backoff that outlasts a short provider outage (retries
// after ~5–10 s, then ~10–20 s). Before JobSystem::start().
void registerGuardrailJobs(jobs::JobSystem &jobs, GuardrailEvaluator &evaluator, jobs::QueueSettings queue);

} // namespace bw::guardrails
