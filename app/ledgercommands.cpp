#include "app/ledgercommands.h"

#include "app/cli.h"
#include "app/runtime.h"
#include "server/db/database.h"
#include "server/domain/claimsledger/ledgerservice.h"

#include <QCoreApplication>
#include <QFuture>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtConcurrent/QtConcurrentRun>

#include <cstdio>
#include <memory>

namespace bw::app {

namespace {
// (exit code, stdout text) on a worker thread with its own connection.
QPair<int, QString> verifyLedger(db::Database &database, bool json)
{
    domain::LedgerService ledger(database);
    auto violations = ledger.verifyAndRecord(QStringLiteral("cli"));
    database.releaseThisThread();
    if (!violations)
        return {1, QStringLiteral("ledger verify could not run: %1\n").arg(violations.error().message)};
    if (json) {
        const QJsonObject out{{QStringLiteral("clean"), violations->isEmpty()},
                              {QStringLiteral("violationCount"), int(violations->size())},
                              {QStringLiteral("violations"), domain::ledgerverifier::toJson(*violations)}};
        return {violations->isEmpty() ? 0 : 1, QString::fromUtf8(QJsonDocument(out).toJson(QJsonDocument::Indented))};
    }
    if (violations->isEmpty())
        return {0, QStringLiteral("ledger verify: clean (balanced transactions, balances = sums of entries, "
                                  "no negative balance, no duplicate idempotency key)\n")};
    QString text = QStringLiteral("ledger verify: %1 violation(s)\n").arg(violations->size());
    for (const auto &v : *violations)
        text += QStringLiteral("  %1  %2  %3\n").arg(v.kind, -26).arg(v.subject, -38).arg(v.detail);
    return {1, text};
}
} // namespace

void runLedgerCommand(const Config &config, const Command &command)
{
    auto *runtime = new Runtime(config, Runtime::Options{.serveHttp = false, .applyMigrations = true, .attachToRunning = true},
                                nullptr, qApp);
    auto exitCode = std::make_shared<int>(0);
    QObject::connect(runtime, &Runtime::failed, qApp, [runtime, exitCode](const QString &message) {
        std::fprintf(stderr, "betterworld: %s\n", qPrintable(message));
        *exitCode = 1;
        runtime->stop();
    });
    QObject::connect(runtime, &Runtime::stopped, qApp, [exitCode] { QCoreApplication::exit(*exitCode); });
    const bool json = command.opsOptions.contains(QStringLiteral("json"));
    QObject::connect(runtime, &Runtime::ready, runtime, [runtime, exitCode, json] {
        db::Database *database = runtime->database();
        QtConcurrent::run([database, json] {
            return verifyLedger(*database, json);
        }).then(runtime, [runtime, exitCode](QPair<int, QString> result) {
            std::fputs(qPrintable(result.second), stdout);
            *exitCode = result.first;
            runtime->stop();
        });
    });
    runtime->start();
}

} // namespace bw::app
