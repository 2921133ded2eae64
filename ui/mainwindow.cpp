#include "ui/mainwindow.h"

#include "server/moderation/adminauthservice.h"
#include "ui/common/dbworker.h"
#include "ui/consolepanels.h"
#include "ui/overview/overviewpanel.h"
#include "ui/signin/signinpage.h"

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QCloseEvent>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QMenuBar>
#include <QMessageBox>
#include <QPainter>
#include <QStackedWidget>
#include <QStatusBar>
#include <QStyle>

namespace bw::ui {

MainWindow::MainWindow(QWidget *parent)
    : QMainWindow(parent), m_pages(new QStackedWidget), m_console(new QWidget), m_signIn(new SignInPage),
      m_navigation(new QListWidget), m_panels(new QStackedWidget), m_overview(new OverviewPanel),
      m_panelActions(new QActionGroup(this)), m_statusIcon(new QLabel), m_statusText(new QLabel), m_userText(new QLabel)
{
    setWindowTitle(tr("BetterWorld"));
    setWindowIcon(QIcon(QStringLiteral(":/icons/betterworld.svg")));
    resize(1100, 680);

    m_navigation->setObjectName(QStringLiteral("navigation"));
    m_navigation->setAccessibleName(tr("Navigation"));
    m_navigation->setIconSize(QSize(20, 20));
    m_navigation->setFixedWidth(180);
    m_navigation->setUniformItemSizes(true);
    m_panels->setObjectName(QStringLiteral("panels"));

    auto *layout = new QHBoxLayout(m_console);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    layout->addWidget(m_navigation);
    layout->addWidget(m_panels, 1);
    m_pages->setObjectName(QStringLiteral("pages"));
    m_pages->addWidget(m_console);
    m_pages->addWidget(m_signIn);
    setCentralWidget(m_pages);
    connect(m_signIn, &SignInPage::signedIn, this, &MainWindow::signIn);

    connect(m_navigation, &QListWidget::currentRowChanged, this, &MainWindow::showPanel);
    m_panelActions->setExclusive(true);

    m_statusText->setObjectName(QStringLiteral("serverStatus"));
    statusBar()->addWidget(m_statusIcon);
    statusBar()->addWidget(m_statusText, 1);
    m_userText->setObjectName(QStringLiteral("signedInUser"));
    statusBar()->addPermanentWidget(m_userText);

    createMenus();
    addPanel(tr("Overview"), m_overview, style()->standardIcon(QStyle::SP_ComputerIcon));
    setServerStarting({});
}

MainWindow::~MainWindow() = default; // children go first; the DbWorker (created last) joins last

void MainWindow::createMenus()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    m_signOutAction = file->addAction(tr("Sign &Out"), this, &MainWindow::signOut);
    m_signOutAction->setObjectName(QStringLiteral("actionSignOut"));
    m_signOutAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_L));
    m_signOutAction->setEnabled(false);
    file->addSeparator();
    QAction *quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setObjectName(QStringLiteral("actionQuit"));
    quit->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Q));
    quit->setMenuRole(QAction::QuitRole);

    m_viewMenu = menuBar()->addMenu(tr("&View"));

    QMenu *help = menuBar()->addMenu(tr("&Help"));
    QAction *about = help->addAction(tr("&About BetterWorld"), this, &MainWindow::showAbout);
    about->setObjectName(QStringLiteral("actionAbout"));
    about->setMenuRole(QAction::AboutRole);
}

int MainWindow::addPanel(const QString &title, QWidget *panel, const QIcon &icon)
{
    return addNavigation(title, panel, icon);
}

int MainWindow::addPanel(const QString &title, std::function<QWidget *()> factory, const QIcon &icon)
{
    const int index = addNavigation(title, new QWidget, icon); // an empty page until built
    m_deferredPanels.emplace(index, std::move(factory));
    if (index == 0)
        buildPanel(0);
    return index;
}

void MainWindow::buildPanel(int index)
{
    const auto it = m_deferredPanels.find(index);
    if (it == m_deferredPanels.end())
        return;
    const std::function<QWidget *()> factory = std::move(it->second);
    m_deferredPanels.erase(it);
    QWidget *placeholder = m_panels->widget(index);
    m_panels->insertWidget(index, factory()); // the current page stays current
    m_panels->removeWidget(placeholder);
    delete placeholder;
}

int MainWindow::addNavigation(const QString &title, QWidget *page, const QIcon &icon)
{
    const int index = m_panels->addWidget(page);
    new QListWidgetItem(icon, title, m_navigation);

    QAction *action = m_viewMenu->addAction(icon, title);
    action->setObjectName(QStringLiteral("actionPanel%1").arg(index + 1));
    action->setCheckable(true);
    action->setActionGroup(m_panelActions);
    if (index < 9)
        action->setShortcut(QKeySequence(Qt::CTRL | Qt::Key(Qt::Key_1 + index)));
    connect(action, &QAction::triggered, this, [this, index] { showPanel(index); });

    if (index == 0)
        showPanel(0);
    return index;
}

void MainWindow::showPanel(int index)
{
    if (index < 0 || index >= m_panels->count())
        return;
    buildPanel(index);
    m_panels->setCurrentIndex(index);
    m_navigation->setCurrentRow(index); // re-entry via currentRowChanged is a no-op
    m_panelActions->actions().at(index)->setChecked(true);
}

int MainWindow::currentPanel() const
{
    return m_panels->currentIndex();
}

void MainWindow::setServerStarting(const QString &message)
{
    setStatus(QColor(0xd9, 0x8e, 0x04), message.isEmpty() ? tr("Server starting…") : tr("Server starting: %1").arg(message));
    m_overview->setStarting(message);
}

void MainWindow::setServerReady(const OverviewContext &context)
{
    // One database thread for all panels, created once the database exists.
    if (context.releaseThreadConnection && !m_dbWorker)
        m_dbWorker = new DbWorker(context.releaseThreadConnection, this);
    setStatus(QColor(0x2e, 0x9e, 0x44), tr("Server running, listening on %1").arg(context.listenAddress));
    m_overview->setReady(context, m_dbWorker);
}

void MainWindow::setServerFailed(const QString &message)
{
    setStatus(QColor(0xc6, 0x28, 0x28), tr("Server failed: %1").arg(message));
    m_overview->setFailed(message);
    if (!m_signedIn) {
        m_signIn->setWaiting(tr("The server failed: %1").arg(message));
        m_pages->setCurrentWidget(m_console); // the Overview explains the failure
    }
}

void MainWindow::setConsoleContext(const ConsoleContext &services)
{
    m_services = services;
    m_services.admin = {};
    m_services.worker = m_dbWorker;
    if (m_signedIn)
        return;
    m_signIn->setContext(m_services);
    m_pages->setCurrentWidget(m_signIn);
}

bool MainWindow::isShowingSignIn() const
{
    return m_pages->currentWidget() == m_signIn;
}

void MainWindow::signIn(const moderation::AdminCaller &caller)
{
    if (m_signedIn)
        removeConsolePanels();
    m_context = m_services;
    m_context.worker = m_dbWorker;
    m_context.admin = caller;
    m_signedIn = true;
    m_basePanels = m_panels->count();
    addConsolePanels(*this, m_context);
    m_signOutAction->setEnabled(true);
    updateUserLabel();
    m_pages->setCurrentWidget(m_console);
    showPanel(m_basePanels < m_panels->count() ? m_basePanels : 0); // the first console panel
    if (QWidget *panel = m_panels->currentWidget())
        panel->setFocus(Qt::OtherFocusReason); // keyboard-driven panels work without a click
    Q_EMIT signedIn(caller);
}

void MainWindow::signOut()
{
    if (!m_signedIn)
        return;
    // Ends the session row (audited) in the background; the window does not wait for it.
    if (m_dbWorker && m_context.adminAuth) {
        moderation::AdminAuthService *auth = m_context.adminAuth;
        const moderation::AdminCaller caller = m_context.admin;
        m_dbWorker->submit(
            this, [auth, caller]() { return bool(auth->logout(caller)); }, [](bool) {});
    }
    removeConsolePanels();
    m_signedIn = false;
    m_context = {};
    m_signOutAction->setEnabled(false);
    updateUserLabel();
    if (m_services.adminAuth && m_dbWorker) {
        m_signIn->setContext(m_services);
        m_pages->setCurrentWidget(m_signIn);
    }
    Q_EMIT signedOut();
}

void MainWindow::removeConsolePanels()
{
    showPanel(0);
    m_deferredPanels.clear(); // only console panels are deferred
    const QList<QAction *> actions = m_panelActions->actions();
    for (int i = m_panels->count() - 1; i >= m_basePanels; --i) {
        QWidget *panel = m_panels->widget(i);
        m_panels->removeWidget(panel);
        delete panel; // its pending DbWorker results are dropped (QPointer context)
        delete m_navigation->takeItem(i);
        if (i < actions.size())
            delete actions.at(i);
    }
}

void MainWindow::updateUserLabel()
{
    if (!m_signedIn) {
        m_userText->clear();
        return;
    }
    const auto &admin = m_context.admin;
    const QString name = admin.displayName.isEmpty() ? admin.email : admin.displayName;
    m_userText->setText(admin.isAdmin() ? tr("Signed in as %1 (administrator)").arg(name)
                                        : tr("Signed in as %1 (moderator)").arg(name));
    m_userText->setToolTip(admin.email);
}

void MainWindow::setServerStopping(const QString &message)
{
    setStatus(QColor(0x75, 0x75, 0x75),
              message.isEmpty() ? tr("Stopping the server…") : tr("Stopping the server: %1").arg(message));
    m_overview->setStopping(message);
    if (!m_signedIn) {
        m_signIn->setWaiting(message.isEmpty() ? tr("Stopping the server…") : message);
        m_pages->setCurrentWidget(m_console);
    }
    m_deferredPanels.clear(); // no panel starts polling a stopping server
    m_services.worker = nullptr;
    m_context.worker = nullptr;
    delete m_dbWorker; // joins; panels' QPointers to it become null
    m_dbWorker = nullptr;
}

void MainWindow::setStatus(const QColor &color, const QString &text)
{
    // A small coloured dot: state is visible at a glance, the text says the details.
    const int size = fontMetrics().height() * 2 / 3;
    const qreal dpr = devicePixelRatioF();
    QPixmap dot(QSize(size, size) * dpr);
    dot.setDevicePixelRatio(dpr);
    dot.fill(Qt::transparent);
    QPainter painter(&dot);
    painter.setRenderHint(QPainter::Antialiasing);
    painter.setPen(Qt::NoPen);
    painter.setBrush(color);
    painter.drawEllipse(QRectF(0, 0, size, size));
    painter.end();
    m_statusIcon->setPixmap(dot);
    m_statusText->setText(text);
    m_statusText->setToolTip(text);
}

void MainWindow::showAbout()
{
    // open(), not exec(): no nested event loop.
    auto *box = new QMessageBox(QMessageBox::NoIcon, tr("About BetterWorld"),
                                tr("<h3>BetterWorld %1</h3>"
                                   "<p>Agents report real-world problems and propose solutions; "
                                   "people carry them out.</p>"
                                   "<p>This console runs the agent API and lets you moderate, "
                                   "monitor and back up the platform.</p>")
                                    .arg(QStringLiteral(BW_VERSION)),
                                QMessageBox::Close, this);
    box->setObjectName(QStringLiteral("aboutBox"));
    box->setIconPixmap(windowIcon().pixmap(64, 64));
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    // The app decides when the process ends (after draining the server), not the window.
    event->ignore();
    if (m_quitRequested)
        return;
    m_quitRequested = true;
    setServerStopping({});
    Q_EMIT quitRequested();
}

} // namespace bw::ui
