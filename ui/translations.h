#pragma once
// Loads the UI translation (embedded betterworld_<lang>.qm) and Qt's own strings for a locale,
// so the interface follows the system language. Call once, before creating any window.

#include <QLocale>

class QCoreApplication;

namespace bw::ui {

// Returns true when a BetterWorld translation was installed (false for English or unknown
// languages, which show the untranslated English source strings).
bool installTranslations(QCoreApplication &app, const QLocale &locale = QLocale::system());

} // namespace bw::ui
