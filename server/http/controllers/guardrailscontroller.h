#pragma once
// Guardrail routes (api.md §7 "Guardrail API"): POST /guardrails/evaluate (agent, 202) and
// GET /guardrails/status/:id (own evaluations only). Parse, call GuardrailService, serialise.

#include "server/http/router.h"

namespace bw::guardrails {
class GuardrailService;
}

namespace bw::http {

void registerGuardrailRoutes(Router &router, guardrails::GuardrailService &guardrails, int maxJsonDepth);

} // namespace bw::http
