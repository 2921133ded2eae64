// ops_backup_child CATALOGUE_URL BACKUP_DIR: runs one manual backup in this process and prints
// "started" once the dump is under way, so tst_backupservice can kill -9 it halfway.
#include "server/db/database.h"
#include "server/ops/backupservice.h"

#include <QCoreApplication>

#include <cstdio>

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    if (argc < 3)
        return 2;
    auto settings = bw::db::ConnectionSettings::fromUrl(QString::fromLocal8Bit(argv[1]));
    if (!settings)
        return 2;
    bw::db::Database catalogue(*settings);
    bw::OpsConfig config;
    config.minFreeMb = 1;
    config.compressLevel = 9; // slow on purpose: the test needs time to kill us mid-dump
    bw::ops::BackupService service(catalogue, config, QString::fromLocal8Bit(argv[2]), {});
    auto op = bw::ops::Operation::create(QStringLiteral("backup"), {}, [](const bw::ops::Progress &p) {
        if (p.step == QLatin1StringView("dump")) {
            static bool once = false;
            if (!once) {
                once = true;
                std::puts("started");
                std::fflush(stdout);
            }
        }
    });
    auto r = service.create(bw::ops::BackupKind::Manual, op);
    std::printf("%s\n", r ? "completed" : qPrintable(r.error().message));
    catalogue.releaseThisThread();
    return r ? 0 : 1;
}
