// Renders the main window (Overview) with fixed sample values to a PNG, offscreen, for the docs.
// Usage: QT_QPA_PLATFORM=offscreen bw_screenshot OUT.png [lang]
#include "ui/charts/timeserieschart.h"
#include "ui/mainwindow.h"
#include "ui/overview/overviewloader.h"
#include "ui/overview/overviewpanel.h"
#include "ui/overview/overviewsnapshot.h"
#include "ui/translations.h"

#include "server/core/metrics.h"

#include <QApplication>
#include <QTimer>

#include <cmath>
#include <cstdio>

int main(int argc, char **argv)
{
    QApplication app(argc, argv);
    const QStringList args = app.arguments();
    if (args.size() < 2) {
        std::fprintf(stderr, "usage: bw_screenshot OUT.png [language, e.g. es]\n");
        return 2;
    }
    const QString out = args.at(1);
    const QLocale locale = args.size() > 2 ? QLocale(args.at(2)) : QLocale(QLocale::English, QLocale::UnitedStates);
    QLocale::setDefault(locale);
    bw::ui::installTranslations(app, locale);

    bw::MetricsRegistry metrics; // the loader reads it once; the values shown come from below
    bw::ui::MainWindow window;
    bw::ui::OverviewContext context;
    context.metrics = &metrics;
    context.listenAddress = QStringLiteral("127.0.0.1:4000");
    context.databaseDescription = QStringLiteral("/home/pilot/.local/share/betterworld/pg");
    context.startedAt = QDateTime::currentDateTime().addSecs(-(3 * 3600 + 25 * 60 + 12));
    window.setServerReady(context);

    auto *panel = window.findChild<bw::ui::OverviewPanel *>();
    bw::ui::OverviewSnapshot s;
    s.state = bw::ui::ServerState::Running;
    s.listenAddress = context.listenAddress;
    s.embeddedDatabase = true;
    s.databaseDescription = context.databaseDescription;
    s.databaseVersion = QStringLiteral("15.18 (Debian 15.18-0+deb12u1)");
    s.databaseSizeBytes = 48'600'000;
    s.uptimeSeconds = 3 * 3600 + 25 * 60 + 12;
    s.requestRate = 142.6;
    s.activeConnections = 23;
    s.agentCount = 1284;
    s.problemCount = 5317;
    const QDateTime now = QDateTime::currentDateTime();
    for (int i = 60; i >= 0; --i) { // a plausible minute of traffic
        const double t = 60 - i;
        panel->rateChart()->addPoint(now.addSecs(-i), 120 + 25 * std::sin(t / 6.0) + 8 * std::sin(t * 1.7));
    }
    panel->loader()->blockSignals(true); // keep the prepared values on screen
    panel->showSnapshot(s);

    window.show();
    // Let layouts and the chart scene settle in the normal event loop, then grab.
    QTimer::singleShot(500, &window, [&] {
        const bool saved = window.grab().save(out);
        std::fprintf(saved ? stdout : stderr, "%s %s\n", saved ? "wrote" : "could not write", qPrintable(out));
        app.exit(saved ? 0 : 1);
    });
    return app.exec();
}
