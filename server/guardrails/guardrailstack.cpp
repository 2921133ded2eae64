#include "guardrailstack.h"

#include "classifierhub.h"
#include "guardrailevaluator.h"
#include "guardrailservice.h"
#include "guardrailsettings.h"

namespace bw::guardrails {

std::unique_ptr<GuardrailStack> GuardrailStack::create(db::Database &db, const GuardrailConfig &config, SecretStore *secrets,
                                                       MetricsRegistry *metrics)
{
    auto stack = std::make_unique<GuardrailStack>();
    stack->settings = std::make_unique<GuardrailSettingsStore>(db, config);
    stack->classifiers = std::make_unique<ClassifierHub>(secrets, metrics);
    stack->evaluator = std::make_unique<GuardrailEvaluator>(db, *stack->settings, *stack->classifiers, metrics);
    stack->service = std::make_unique<GuardrailService>(db);
    return stack;
}

GuardrailStack::~GuardrailStack()
{
    service.reset();
    evaluator.reset();
    classifiers.reset();
    settings.reset();
}

} // namespace bw::guardrails
