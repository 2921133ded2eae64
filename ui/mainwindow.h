#pragma once
// The desktop shell: navigation list + stack of panels, menus, and a status bar with the server
// state. GUI thread. Owns the one DbWorker thread that panels use for their queries.

#include "ui/common/consolecontext.h"
#include "ui/overview/overviewcontext.h"

#include <QIcon>
#include <QMainWindow>

#include <functional>
#include <map>

class QActionGroup;
class QLabel;
class QListWidget;
class QMenu;
class QStackedWidget;

namespace bw::ui {

class DbWorker;
class OverviewPanel;
class SignInPage;

class MainWindow final : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget *parent = nullptr);
    ~MainWindow() override;

    void setServerStarting(const QString &message);      // shown until ready (status bar + overview)
    void setServerReady(const OverviewContext &context); // panels start loading
    void setServerFailed(const QString &message);        // clear error, window stays usable
    // Stops all polling and joins the panels' database thread (bounded by the one query it may
    // be running), so the app may destroy the Database once this returns. Closing the window
    // calls it; call it yourself before stopping the server on other paths (SIGTERM).
    void setServerStopping(const QString &message);

    // Adds a page to the navigation and the View menu (Ctrl+<n> for the first nine).
    // Returns its index. The window takes ownership of panel.
    int addPanel(const QString &title, QWidget *panel, const QIcon &icon = {});
    // Same, but the panel is built when first shown: signing in then does not block the GUI
    // thread for all panels at once (≈ 50 ms of constructors here; Dashboards alone ≈ 20 ms).
    int addPanel(const QString &title, std::function<QWidget *()> factory, const QIcon &icon = {});
    void showPanel(int index);
    int currentPanel() const;

    // The shared database thread; null until setServerReady() got a database.
    DbWorker *dbWorker() const { return m_dbWorker; }

    // Sign-in: after setServerReady(), hand over the running server's services (no admin yet).
    // The window shows the sign-in page; once signed in it adds the panels of addConsolePanels()
    // for the user's role. Sign-out removes them again and returns to the sign-in page.
    void setConsoleContext(const ConsoleContext &services);
    void signIn(const moderation::AdminCaller &caller); // what a successful sign-in does (tests may call it)
    void signOut();
    bool isSignedIn() const { return m_signedIn; }
    const ConsoleContext &consoleContext() const { return m_context; } // incl. the signed-in admin
    SignInPage *signInPage() const { return m_signIn; }
    bool isShowingSignIn() const;

Q_SIGNALS:
    // Emitted once, on the first close (window close button, File → Quit). The window stays open;
    // the app drains the server and then quits.
    void quitRequested();
    void signedIn(const bw::moderation::AdminCaller &caller);
    void signedOut();

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    void createMenus();
    void setStatus(const QColor &color, const QString &text);
    void showAbout();
    void removeConsolePanels();
    int addNavigation(const QString &title, QWidget *page, const QIcon &icon);
    void buildPanel(int index); // runs the panel's factory if it has not run yet
    void updateUserLabel();

    QStackedWidget *m_pages; // the console (navigation + panels) or the sign-in page
    QWidget *m_console;
    SignInPage *m_signIn;
    QListWidget *m_navigation;
    QStackedWidget *m_panels;
    OverviewPanel *m_overview;
    QMenu *m_viewMenu = nullptr;
    QActionGroup *m_panelActions;
    QLabel *m_statusIcon;
    QLabel *m_statusText;
    QLabel *m_userText;
    QAction *m_signOutAction = nullptr;
    DbWorker *m_dbWorker = nullptr;
    ConsoleContext m_services;                                  // without the admin: what sign-in starts from
    ConsoleContext m_context;                                   // the signed-in console's context
    int m_basePanels = 1;                                       // panels that stay across sign-outs (the Overview)
    std::map<int, std::function<QWidget *()>> m_deferredPanels; // index → factory, until built
    bool m_signedIn = false;
    bool m_quitRequested = false;
};

} // namespace bw::ui
