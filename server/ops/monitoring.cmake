# Metrics history, alert rules and notifications (operations.md "Metrics, dashboards, alerts"),
# part of bw_ops. Included from server/ops/CMakeLists.txt.
target_sources(bw_ops PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/nodemetrics.h ${CMAKE_CURRENT_LIST_DIR}/nodemetrics.cpp
    ${CMAKE_CURRENT_LIST_DIR}/metricsampler.h ${CMAKE_CURRENT_LIST_DIR}/metricsampler.cpp
    ${CMAKE_CURRENT_LIST_DIR}/alertengine.h ${CMAKE_CURRENT_LIST_DIR}/alertengine.cpp
    ${CMAKE_CURRENT_LIST_DIR}/alertnotifier.h ${CMAKE_CURRENT_LIST_DIR}/alertnotifier.cpp
    ${CMAKE_CURRENT_LIST_DIR}/metricjobs.h ${CMAKE_CURRENT_LIST_DIR}/metricjobs.cpp
    ${CMAKE_CURRENT_LIST_DIR}/monitoringservice.h ${CMAKE_CURRENT_LIST_DIR}/monitoringservice.cpp
    ${CMAKE_CURRENT_LIST_DIR}/instancestatusservice.h ${CMAKE_CURRENT_LIST_DIR}/instancestatusservice.cpp
)
# registerMetricJobs uses the job system; webhooks reuse the guardrails' HTTP(S) client; e-mail
# goes through the domain::Mailer interface.
target_link_libraries(bw_ops PUBLIC bw_jobs PRIVATE bw_guardrails bw_domain)
