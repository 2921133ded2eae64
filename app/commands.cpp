#include "commands.h"

#include "app/runtime.h"
#include "app/shutdownsignals.h"
#include "server/core/logging.h"
#include "server/db/database.h"
#include "server/db/migrator.h"

#include <QCoreApplication>
#include <QFuture>
#include <QTextStream>
#include <QtConcurrent/QtConcurrentRun>

#include <cstdio>

namespace bw::app {

void runServe(const Config &config, ShutdownSignals &signals)
{
    auto *runtime = new Runtime(config, {}, nullptr, qApp);
    auto exitCode = std::make_shared<int>(0);
    QObject::connect(runtime, &Runtime::failed, qApp, [runtime, exitCode](const QString &message) {
        std::fprintf(stderr, "betterworld: %s\n", qPrintable(message));
        *exitCode = 1;
        runtime->stop();
    });
    QObject::connect(&signals, &ShutdownSignals::shutdownRequested, runtime, [runtime](int number) {
        qCInfo(lcApp) << "signal" << number << "received";
        runtime->stop();
    });
    QObject::connect(runtime, &Runtime::stopped, qApp, [exitCode] { QCoreApplication::exit(*exitCode); });
    runtime->start();
}

void runMigrate(const Config &config, bool apply)
{
    auto *runtime = new Runtime(config, Runtime::Options{.serveHttp = false, .applyMigrations = false}, nullptr, qApp);
    auto exitCode = std::make_shared<int>(0);
    QObject::connect(runtime, &Runtime::failed, qApp, [runtime, exitCode](const QString &message) {
        std::fprintf(stderr, "betterworld: %s\n", qPrintable(message));
        *exitCode = 1;
        runtime->stop();
    });
    QObject::connect(runtime, &Runtime::stopped, qApp, [exitCode] { QCoreApplication::exit(*exitCode); });
    QObject::connect(runtime, &Runtime::ready, runtime, [runtime, apply, exitCode] {
        db::Database *database = runtime->database();
        QtConcurrent::run([database, apply]() -> QPair<int, QString> {
            const db::Migrator migrator(db::Migrator::builtIn());
            QString out;
            QTextStream text(&out);
            int code = 0;
            if (apply) {
                auto applied = migrator.up(database->connection());
                if (!applied) {
                    text << "migration failed: " << applied.error().message << "\n";
                    code = 1;
                } else if (applied->isEmpty()) {
                    text << "nothing to apply: the schema is up to date\n";
                } else {
                    for (int v : *applied)
                        text << "applied " << QString::number(v).rightJustified(4, u'0') << "\n";
                }
            }
            auto states = migrator.status(database->connection());
            if (!states) {
                text << "cannot read migration status: " << states.error().message << "\n";
                code = 1;
            } else {
                text << "version  state       applied at                duration  name\n";
                for (const auto &s : *states) {
                    const QString state = s.checksumMismatch ? QStringLiteral("CHANGED") : s.applied ? QStringLiteral("applied") : QStringLiteral("pending");
                    text << QString::number(s.version).rightJustified(4, u'0').leftJustified(9) << state.leftJustified(12)
                         << (s.applied ? s.appliedAt.toUTC().toString(Qt::ISODate) : QStringLiteral("-")).leftJustified(26)
                         << (s.applied ? QStringLiteral("%1 ms").arg(s.durationMs) : QStringLiteral("-")).leftJustified(10) << s.name << "\n";
                    if (s.checksumMismatch)
                        code = 1;
                }
            }
            database->releaseThisThread();
            return {code, out};
        }).then(runtime, [runtime, exitCode](QPair<int, QString> result) {
            std::fputs(qPrintable(result.second), stdout);
            *exitCode = result.first;
            runtime->stop();
        });
    });
    runtime->start();
}

} // namespace bw::app
