#include "commands.h"

#include "app/cli.h"
#include "app/opscommands.h"
#include "app/runtime.h"
#include "app/shutdownsignals.h"
#include "server/core/logging.h"
#include "server/db/database.h"
#include "server/db/migrator.h"
#include "server/domain/accounts/heartbeatsigner.h"
#include "server/moderation/adminauthservice.h"
#include "server/moderation/passwordhash.h"

#include <QCoreApplication>
#include <QFuture>
#include <QJsonDocument>
#include <QTextStream>
#include <QtConcurrent/QtConcurrentRun>

#include <cstdio>
#include <iostream>
#include <optional>
#include <string>
#include <termios.h>
#include <unistd.h>

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

void runMigrate(const Config &config, bool apply, bool force)
{
    auto *runtime = new Runtime(config, Runtime::Options{.serveHttp = false, .applyMigrations = false, .attachToRunning = true},
                                nullptr, qApp);
    auto exitCode = std::make_shared<int>(0);
    QObject::connect(runtime, &Runtime::failed, qApp, [runtime, exitCode](const QString &message) {
        std::fprintf(stderr, "betterworld: %s\n", qPrintable(message));
        *exitCode = 1;
        runtime->stop();
    });
    QObject::connect(runtime, &Runtime::stopped, qApp, [exitCode] { QCoreApplication::exit(*exitCode); });
    QObject::connect(runtime, &Runtime::ready, runtime, [runtime, apply, force, exitCode] {
        db::Database *database = runtime->database();
        const Config config = runtime->config();
        // Migrations change the schema under a running server: only with the database to ourselves.
        const QString serving =
            runtime->attachedTo() ? runtime->runningServerNote(QStringLiteral("migrations are pending")) : QString();
        QtConcurrent::run([database, apply, force, config, serving]() -> QPair<int, QString> {
            const db::Migrator migrator(db::Migrator::builtIn());
            QString out;
            QTextStream text(&out);
            int code = 0;
            MigrationGuard guard;
            if (apply && !serving.isEmpty()) {
                auto upToDate = migrator.isUpToDate(database->connection());
                if (!upToDate || !*upToDate) {
                    text << "migration refused: " << (upToDate ? serving : upToDate.error().message) << "\n";
                    database->releaseThisThread();
                    return {1, out};
                }
            }
            if (apply) {
                if (Status ok = guard.before(config, *database, force, text); !ok) {
                    text << "migration refused: " << ok.error().message << "\n";
                    database->releaseThisThread();
                    return {1, out};
                }
            }
            if (apply) {
                auto applied = migrator.up(database->connection());
                guard.after(*database, text);
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
                    const QString state = s.checksumMismatch ? QStringLiteral("CHANGED")
                                          : s.applied        ? QStringLiteral("applied")
                                                             : QStringLiteral("pending");
                    text << QString::number(s.version).rightJustified(4, u'0').leftJustified(9) << state.leftJustified(12)
                         << (s.applied ? s.appliedAt.toUTC().toString(Qt::ISODate) : QStringLiteral("-")).leftJustified(26)
                         << (s.applied ? QStringLiteral("%1 ms").arg(s.durationMs) : QStringLiteral("-")).leftJustified(10)
                         << s.name << "\n";
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

namespace {

// One line from stdin without its line end; with echo off while a terminal is attached.
std::optional<QString> readSecretLine(const char *prompt)
{
    const bool tty = ::isatty(STDIN_FILENO) == 1;
    termios saved{};
    if (tty) {
        std::fputs(prompt, stderr);
        std::fflush(stderr);
        ::tcgetattr(STDIN_FILENO, &saved);
        termios quiet = saved;
        quiet.c_lflag &= ~tcflag_t(ECHO);
        ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    std::string line;
    const bool got = bool(std::getline(std::cin, line));
    if (tty) {
        ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
        std::fputs("\n", stderr);
    }
    if (!got && line.empty())
        return std::nullopt;
    if (!line.empty() && line.back() == '\r')
        line.pop_back();
    QString out = QString::fromStdString(line);
    std::fill(line.begin(), line.end(), '\0');
    return out;
}

// The new password: prompted twice on a terminal, else the first line of stdin (scripts:
// `printf '%s\n' "$PW" | betterworld admin create-user …`). Never from the command line, where
// other users could read it in the process list.
std::optional<QString> readNewPassword(QString *why)
{
    const auto first = readSecretLine("New password: ");
    if (!first) {
        *why = QStringLiteral("no password given on stdin");
        return std::nullopt;
    }
    if (const QString bad = moderation::password::policyViolation(*first); !bad.isEmpty()) {
        *why = bad;
        return std::nullopt;
    }
    if (::isatty(STDIN_FILENO) == 1) {
        const auto again = readSecretLine("Repeat the password: ");
        if (!again || *again != *first) {
            *why = QStringLiteral("the passwords do not match");
            return std::nullopt;
        }
    }
    return first;
}

} // namespace

void runAdminUser(const Config &config, const Command &command)
{
    // Read before anything starts: the prompt owns the terminal, and a bad password costs nothing.
    QString why;
    const std::optional<QString> password = readNewPassword(&why);
    if (!password) {
        std::fprintf(stderr, "betterworld: %s\n", qPrintable(why));
        QMetaObject::invokeMethod(
            qApp, [] { QCoreApplication::exit(2); }, Qt::QueuedConnection);
        return;
    }
    auto *runtime = new Runtime(config, Runtime::Options{.serveHttp = false, .applyMigrations = true, .attachToRunning = true},
                                nullptr, qApp);
    auto exitCode = std::make_shared<int>(0);
    QObject::connect(runtime, &Runtime::failed, qApp, [runtime, exitCode](const QString &message) {
        std::fprintf(stderr, "betterworld: %s\n", qPrintable(message));
        *exitCode = 1;
        runtime->stop();
    });
    QObject::connect(runtime, &Runtime::stopped, qApp, [exitCode] { QCoreApplication::exit(*exitCode); });
    QObject::connect(runtime, &Runtime::ready, runtime, [runtime, command, exitCode, pw = *password] {
        db::Database *database = runtime->database();
        QtConcurrent::run([database, command, pw]() -> QPair<int, QString> {
            moderation::AdminAuthService auth(*database);
            QPair<int, QString> out;
            if (command.kind == CommandKind::AdminCreateUser) {
                auto created = auth.createUser({command.adminEmail, command.adminRole, command.adminDisplayName, pw});
                if (created)
                    out = {0, QStringLiteral("created %1 %2 (id %3)\n")
                                  .arg(command.adminRole, created->value(QStringLiteral("email")).toString(),
                                       created->value(QStringLiteral("id")).toString())};
                else
                    out = {created.error().kind == ErrorKind::Validation ? 2 : 1, created.error().message};
                if (!created && created.error().kind == ErrorKind::Validation)
                    out.second += QStringLiteral(": ")
                                  + QString::fromUtf8(QJsonDocument(created.error().details).toJson(QJsonDocument::Compact));
            } else {
                auto reset = auth.resetPassword(command.adminEmail, pw);
                if (reset)
                    out = {0, QStringLiteral("password reset for %1; account unlocked; %2 session(s) ended\n")
                                  .arg(reset->value(QStringLiteral("email")).toString())
                                  .arg(reset->value(QStringLiteral("sessionsRevoked")).toInt())};
                else
                    out = {reset.error().kind == ErrorKind::NotFound     ? 1
                           : reset.error().kind == ErrorKind::Validation ? 2
                                                                         : 1,
                           reset.error().kind == ErrorKind::NotFound
                               ? QStringLiteral("no admin user with email %1").arg(command.adminEmail)
                               : reset.error().message};
            }
            database->releaseThisThread();
            return out;
        }).then(runtime, [runtime, exitCode](QPair<int, QString> result) {
            if (result.first == 0)
                std::fputs(qPrintable(result.second), stdout);
            else
                std::fprintf(stderr, "betterworld: %s\n", qPrintable(result.second));
            *exitCode = result.first;
            runtime->stop();
        });
    });
    runtime->start();
}

void runRotateHeartbeatKey(const Config &config)
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
    QObject::connect(runtime, &Runtime::ready, runtime, [runtime, exitCode] {
        db::Database *database = runtime->database();
        SecretStore *secrets = runtime->secrets();
        QtConcurrent::run([database, secrets]() -> QPair<int, QString> {
            domain::HeartbeatSigner signer(*secrets, *database);
            auto rotated = signer.rotate();
            QString out;
            int code = 0;
            if (!rotated) {
                out = QStringLiteral("rotation failed: %1\n").arg(rotated.error().message);
                code = 1;
            } else {
                out = QStringLiteral("heartbeat signing key rotated (stored in %1)\n").arg(secrets->description());
                for (const auto &key : signer.publishedKeys())
                    out += QStringLiteral("  %1  %2  valid from %3%4\n")
                               .arg(key.keyId, key.publicKey, key.notBefore.toString(Qt::ISODate),
                                    key.notAfter.isValid() ? QStringLiteral(" until ") + key.notAfter.toString(Qt::ISODate)
                                                           : QString());
                out +=
                    QStringLiteral("Both keys are listed at /.well-known/heartbeat-keys.json; running servers switch to the new\n"
                                   "key at their next heartbeat request. Other nodes need the same secret.\n");
            }
            database->releaseThisThread();
            return {code, out};
        }).then(runtime, [runtime, exitCode](QPair<int, QString> result) {
            std::fputs(qPrintable(result.second), result.first ? stderr : stdout);
            *exitCode = result.first;
            runtime->stop();
        });
    });
    runtime->start();
}

} // namespace bw::app
