#include "ui/translations.h"

#include <QCoreApplication>
#include <QLibraryInfo>
#include <QTranslator>

namespace bw::ui {

bool installTranslations(QCoreApplication &app, const QLocale &locale)
{
    // Qt's own strings (standard dialogs, data sizes) come from the distribution, if installed.
    auto *qt = new QTranslator(&app);
    if (qt->load(locale, QStringLiteral("qtbase"), QStringLiteral("_"), QLibraryInfo::path(QLibraryInfo::TranslationsPath)))
        app.installTranslator(qt);
    else
        delete qt;

    // Ours are compiled into the binary by qt_add_translations (resource prefix /i18n).
    auto *ours = new QTranslator(&app);
    if (ours->load(locale, QStringLiteral("betterworld"), QStringLiteral("_"), QStringLiteral(":/i18n"))) {
        app.installTranslator(ours);
        return true;
    }
    delete ours;
    return false;
}

} // namespace bw::ui
