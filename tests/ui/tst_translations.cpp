// installTranslations(): the embedded Spanish catalogue loads for a Spanish locale and the shell
// then shows Spanish text; English needs no catalogue.
#include "ui/mainwindow.h"
#include "ui/translations.h"

#include <QApplication>
#include <QMenuBar>
#include <QTest>

class tst_Translations final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void englishNeedsNoCatalogue();
    void spanishTranslatesTheShell();
};

void tst_Translations::englishNeedsNoCatalogue()
{
    QVERIFY(!bw::ui::installTranslations(*qApp, QLocale(QLocale::English, QLocale::UnitedStates)));
}

void tst_Translations::spanishTranslatesTheShell()
{
    QVERIFY(bw::ui::installTranslations(*qApp, QLocale(QLocale::Spanish, QLocale::Spain)));
    QCOMPARE(QCoreApplication::translate("bw::ui::MainWindow", "&Quit"), QStringLiteral("&Salir"));

    bw::ui::MainWindow w;
    QStringList menus;
    for (QAction *action : w.menuBar()->actions())
        menus << action->text();
    QCOMPARE(menus, (QStringList{QStringLiteral("&Archivo"), QStringLiteral("&Ver"), QStringLiteral("A&yuda")}));
    QCOMPARE(QCoreApplication::translate("bw::ui::OverviewModel", "Agents"), QStringLiteral("Agentes"));
}

QTEST_MAIN(tst_Translations)
#include "tst_translations.moc"
