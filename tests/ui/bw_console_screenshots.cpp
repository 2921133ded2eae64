// Renders a PNG of every console panel for the README: the real Runtime (ApiServer) on a
// throw-away embedded cluster with a few seeded flagged items, signed in as an administrator,
// offscreen. Each panel gets a few seconds to load before it is grabbed (a timer chain, no
// nested event loop). Usage: QT_QPA_PLATFORM=offscreen bw_console_screenshots OUT_DIR
#include "app/desktopcontexts.h"
#include "app/runtime.h"
#include "server/db/database.h"
#include "server/moderation/adminauthservice.h"
#include "tests/moderation/moderationtestdb.h"
#include "tests/support/apiserver.h"
#include "ui/common/consolecontext.h"
#include "ui/mainwindow.h"
#include "ui/overview/overviewcontext.h"

#include <QApplication>
#include <QDir>
#include <QListWidget>
#include <QPixmap>
#include <QTimer>

#include <cstdio>
#include <functional>
#include <memory>

using namespace bw;

namespace {

// "Review Queue" → "review-queue.png"
QString fileNameFor(const QString &title)
{
    QString name = title.toLower();
    name.replace(QLatin1Char(' '), QLatin1Char('-'));
    return name + QStringLiteral(".png");
}

} // namespace

int main(int argc, char **argv)
{
    QApplication app(argc, argv);
    if (app.arguments().size() < 2) {
        std::fprintf(stderr, "usage: bw_console_screenshots OUT_DIR\n");
        return 2;
    }
    const QDir out(app.arguments().at(1));
    QDir().mkpath(out.path());

    test::PgFixture pg;
    if (!pg.start()) {
        std::fprintf(stderr, "PostgreSQL: %s\n", qPrintable(pg.lastError()));
        return 1;
    }
    test::ApiServer api(pg);
    if (!api.start()) {
        std::fprintf(stderr, "server: %s\n", qPrintable(api.lastError()));
        return 1;
    }
    app::Runtime &rt = api.runtime();

    // Sample data: an administrator and a few flagged problems of different ages.
    moderation::AdminAuthService auth(*rt.database());
    const QString email = QStringLiteral("ada@example.org");
    if (!auth.createUser({email, QStringLiteral("admin"), QStringLiteral("Ada Admin"), test::testPassword()})) {
        std::fprintf(stderr, "cannot create the administrator\n");
        return 1;
    }
    {
        QSqlDatabase db = rt.database()->connection();
        const QString agent = test::insertAgent(db, QStringLiteral("civic_helper"));
        test::seedFlaggedProblem(db, agent, QStringLiteral("Broken streetlights on Elm Street"), 26 * 3600);
        test::seedFlaggedProblem(db, agent, QStringLiteral("Flooded underpass after every storm"), 8 * 3600,
                                 QStringLiteral("verified"));
        test::seedFlaggedProblem(db, agent, QStringLiteral("School bus stop without a crossing"), 20 * 60);
    }
    auto session = auth.login(email, test::testPassword(), QStringLiteral("127.0.0.1"));
    rt.database()->releaseThisThread();
    if (!session) {
        std::fprintf(stderr, "sign-in: %s\n", qPrintable(session.error().message));
        return 1;
    }

    auto window = std::make_unique<ui::MainWindow>();
    window->resize(1400, 860);
    window->show();
    ui::OverviewContext overview = app::overviewContext(rt);
    overview.embeddedDatabase = true; // as on a desktop's own server (this one is a throw-away cluster)
    window->setServerReady(overview);
    window->setConsoleContext(app::consoleContext(rt));
    window->signIn(session->caller);

    auto *navigation = window->findChild<QListWidget *>(QStringLiteral("navigation"));
    const int panels = navigation ? navigation->count() : 0;
    int failures = 0;
    // Show panel i, let it load, grab it, go on; then shut down in order.
    std::function<void(int)> shoot = [&](int i) {
        if (i >= panels) {
            window->setServerStopping({}); // the panels leave the database first
            window.reset();
            QCoreApplication::exit(failures == 0 && panels > 0 ? 0 : 1);
            return;
        }
        window->showPanel(i);
        QTimer::singleShot(3000, &app, [&, i] {
            const QString path = out.filePath(fileNameFor(navigation->item(i)->text()));
            if (!window->grab().save(path))
                ++failures;
            std::printf("%s\n", qPrintable(path));
            shoot(i + 1);
        });
    };
    QTimer::singleShot(0, &app, [&] { shoot(0); });
    const int code = app.exec();
    api.stop();
    return code;
}
